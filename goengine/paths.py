"""Where goengine finds the files it ships, and where it keeps the games users play.

The repository keeps the network in its top-level ``data/`` folder; a wheel carries the
same files as package resources in ``goengine/data/`` (pyproject.toml maps one onto the
other).  A source checkout or an editable install has no ``goengine/data/``, so the
lookup falls back to the checkout's ``data/`` beside the package.  Either way the
answer does not depend on the working directory.

Games played in the terminal go to the user's data folder (:func:`games_dir`), not the
working directory: inside a checkout they would show up as untracked files.
"""

from __future__ import annotations

import os
import sys
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


def games_dir() -> Path:
    """Where played games are saved: $GOENGINE_GAMES_DIR, else ``goengine/games`` in the
    platform's per-user data folder ($XDG_DATA_HOME or ~/.local/share on Linux and other
    Unix systems, ~/Library/Application Support on macOS, %APPDATA% on Windows)."""
    override = os.environ.get("GOENGINE_GAMES_DIR")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"  # the XDG spec ignores relative
    return base / "goengine" / "games"
