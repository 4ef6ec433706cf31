"""Where goengine finds the files it ships."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_MODEL_NAME = "policy.safetensors"


def default_model_path() -> Path:
    """The shipped policy network, or the file named by $GOENGINE_MODEL."""
    override = os.environ.get("GOENGINE_MODEL")
    return Path(override) if override else DATA_DIR / DEFAULT_MODEL_NAME
