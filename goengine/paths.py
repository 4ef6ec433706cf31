"""Where goengine finds the files it ships.

The repository keeps the network in its top-level ``data/`` folder; a wheel carries the
same files as package resources in ``goengine/data/`` (pyproject.toml maps one onto the
other).  A source checkout or an editable install has no ``goengine/data/``, so the
lookup falls back to the checkout's ``data/`` beside the package.  Either way the
answer does not depend on the working directory.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

DEFAULT_MODEL_NAME = "policy.safetensors"


def _shipped_data_dir() -> Path:
    """goengine/data/ of an installed wheel, else the source checkout's data/."""
    installed = files("goengine") / "data"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "data"


DATA_DIR = _shipped_data_dir()


def default_model_path() -> Path:
    """The shipped policy network, or the file named by $GOENGINE_MODEL."""
    override = os.environ.get("GOENGINE_MODEL")
    return Path(override) if override else DATA_DIR / DEFAULT_MODEL_NAME
