"""Training checkpoints: written atomically, read back without unpickling code.

A checkpoint is a ``torch.save`` of plain containers and tensors (model, optimizer and
scheduler state, step, RNG states, data position, resolved config).  Everything in it
is chosen so that ``torch.load(weights_only=True)`` accepts it: RNG states are kept as
tensors, ints and tuples, never numpy objects.  Writes go to a temporary file that is
fsync'ed and renamed over the old checkpoint, so a crash at any moment leaves either
the old or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from goengine.atomic import atomic_write

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = "goengine-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used to resume."""


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    path = Path(path)
    payload = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, **state}
    with atomic_write(path) as handle:
        torch.save(payload, handle)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"no checkpoint at {path}") from None
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise CheckpointError(f"cannot load checkpoint {path}: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a goengine training checkpoint")
    if state.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} has checkpoint version {state.get('version')!r}, expected {CHECKPOINT_VERSION}")
    return state


def capture_rng_state() -> dict:
    """Python, numpy (global) and torch RNG states as weights_only-loadable values."""
    np_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {
            "key": torch.from_numpy(np.asarray(np_state["state"]["key"], dtype=np.int64)),
            "pos": int(np_state["state"]["pos"]),
            "has_gauss": int(np_state["has_gauss"]),
            "gauss": float(np_state["gauss"]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state(
        {
            "bit_generator": "MT19937",
            "state": {"key": np_state["key"].numpy().astype(np.uint32), "pos": np_state["pos"]},
            "has_gauss": np_state["has_gauss"],
            "gauss": np_state["gauss"],
        }
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
