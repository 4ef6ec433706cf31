"""Registering ``goengine/Go-v0`` with gymnasium without importing gymnasium (or torch).

``import goengine`` must stay light: reading SGF or replaying games needs neither
gymnasium nor torch.  Yet ``import goengine; gym.make("goengine/Go-v0")`` should work,
and gymnasium (1.x) has no plugin entry points that would find us by itself.  So the
id is registered on first use:

* if gymnasium is already imported, :func:`register_on_first_use` registers at once;
* otherwise it puts a small finder at the front of ``sys.meta_path`` that notices the
  import of ``gymnasium`` and registers right after the package has run, then removes
  itself (and its loader wrapper, so gymnasium's module looks as if nothing happened).

The registration names the environment by the string ``"goengine.play.env:GoEnv"``,
so the environment module (and torch behind it) is imported only by ``gym.make``.
"""

from __future__ import annotations

import sys
from importlib.abc import Loader, MetaPathFinder

ENV_ID = "goengine/Go-v0"
ENTRY_POINT = "goengine.play.env:GoEnv"


def register_envs() -> None:
    """Register ``goengine/Go-v0`` with gymnasium (safe to call more than once)."""
    from gymnasium.envs.registration import register, registry

    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point=ENTRY_POINT, disable_env_checker=False)


class _RegisterAfterLoad(Loader):
    """Runs gymnasium's own loader, then registers and puts the original loader back."""

    def __init__(self, loader: Loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        module.__loader__ = module.__spec__.loader = self.loader
        register_envs()

    def __getattr__(self, name: str):  # is_package, get_resource_reader, ...: the real loader's
        return getattr(self.loader, name)


class _GymnasiumWatcher(MetaPathFinder):
    """Finds nothing itself; wraps the loader of the top-level ``gymnasium`` package once."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname != "gymnasium":
            return None
        _remove_watchers()
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisterAfterLoad(spec.loader)
                return spec
        return None


def _remove_watchers() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _GymnasiumWatcher)]


def register_on_first_use() -> None:
    """Register now if gymnasium is loaded, else as soon as it is (see the module docstring)."""
    if "gymnasium" in sys.modules:
        register_envs()
    elif not any(isinstance(finder, _GymnasiumWatcher) for finder in sys.meta_path):
        sys.meta_path.insert(0, _GymnasiumWatcher())
