"""Light imports: the core loads neither torch nor gymnasium, and goengine/Go-v0 is still
registered whichever of goengine and gymnasium is imported first.  Each check runs in a
fresh interpreter, since this test process has long imported both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_core_modules_load_neither_torch_nor_gymnasium():
    out = run_python(
        "import sys\n"
        "import goengine, goengine.coords, goengine.board, goengine.sgf, goengine.game, goengine.play\n"
        "import goengine.engine\n"
        "print(sorted(m for m in ('torch', 'gymnasium') if m in sys.modules))\n"
    )
    assert out.strip() == "[]"


@pytest.mark.parametrize("first, second", [("goengine", "gymnasium"), ("gymnasium", "goengine")])
def test_env_is_registered_in_either_import_order(first, second):
    out = run_python(
        "import sys, importlib\n"
        f"importlib.import_module({first!r}); importlib.import_module({second!r})\n"
        "import gymnasium as gym\n"
        "from gymnasium.envs.registration import registry\n"
        "assert 'goengine/Go-v0' in registry\n"
        "print('torch before make:', 'torch' in sys.modules)\n"
        "print('loader:', type(gym.__spec__.loader).__name__, type(gym.__loader__).__name__)\n"
        "env = gym.make('goengine/Go-v0', size=9, feature_set='simple', opponent='self')\n"
        "obs, info = env.reset(seed=0)\n"
        "print('shape:', obs.shape, 'legal:', int(info['action_mask'].sum()))\n"
    )
    assert "torch before make: False" in out  # the entry point is a string: nothing heavy until make
    assert "loader: SourceFileLoader SourceFileLoader" in out  # the import hook left no trace
    assert "shape: (12, 9, 9) legal: 82" in out


def test_registration_is_idempotent():
    out = run_python(
        "import sys\n"
        "from goengine.play.registration import _GymnasiumWatcher, register_envs, register_on_first_use\n"
        "register_on_first_use(); register_on_first_use()\n"
        "print('watchers:', sum(isinstance(f, _GymnasiumWatcher) for f in sys.meta_path))\n"
        "import gymnasium\n"
        "print('after import:', sum(isinstance(f, _GymnasiumWatcher) for f in sys.meta_path))\n"
        "register_envs(); register_on_first_use()\n"
        "from gymnasium.envs.registration import registry\n"
        "print('ids:', [name for name in registry if name.startswith('goengine/')])\n"
    )
    assert "watchers: 1" in out and "after import: 0" in out and "ids: ['goengine/Go-v0']" in out
