"""Compact, fixed-size training records on disk.

A prepared data set stores *positions*, not feature planes: 48 planes of 19x19 bytes
would need ~17 KB per position (~490 GB for the Tygem set), while the stones as two
bit planes plus the few facts the features need (side to move, ko point, the last 8
moves) and the targets (the expert's move, the game's winner) take 120 bytes on 19x19;
docs/design.md lists the fields with their sizes.  Features are computed on the fly by the data loader, which
is fast enough (see docs/benchmarks.md) and keeps the whole 28M-position set under
5 GB.  Records have one numpy structured dtype and live in ``.npy`` shards that are
memory-mapped, so training streams them without loading a shard into RAM.

Shards are written to a temporary name and renamed into place, so an interrupted
run never leaves a file that later reads as a complete shard.

The layout has a version, ``FORMAT_VERSION``, kept in the prepared folder's
``meta.json``; readers call :func:`check_format` so that a folder prepared by another
goengine fails with a clear message instead of misreading bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from goengine.atomic import atomic_write
from goengine.coords import RECENT_MOVES

# 1: positions and the expert's move; 2: + the game's winner (value targets)
FORMAT_VERSION = 2


class DataFormatError(ValueError):
    """A prepared folder whose records this goengine cannot read."""


def check_format(meta: dict) -> None:
    """Raise DataFormatError unless ``meta`` (a prepared folder's meta.json) describes
    records of this goengine's ``FORMAT_VERSION``."""
    version = meta.get("format_version")
    if version == FORMAT_VERSION:
        return
    if isinstance(version, int) and 1 <= version < FORMAT_VERSION:
        raise DataFormatError(
            f"prepared by an older goengine (record format {version}, without the games' winners; "
            f"this goengine reads format {FORMAT_VERSION}): run prepare again")
    raise DataFormatError(f"record format {version!r} is unknown to this goengine (it reads format "
                          f"{FORMAT_VERSION}): prepared by a newer goengine, or not by goengine")


def record_dtype(size: int) -> np.dtype:
    """The record layout for a ``size`` x ``size`` board."""
    packed = (size * size + 7) // 8
    return np.dtype(
        [
            ("black", np.uint8, (packed,)),  # np.packbits of the black-stone plane
            ("white", np.uint8, (packed,)),  # np.packbits of the white-stone plane
            ("to_play", np.uint8),  # BLACK or WHITE
            ("ko", np.int16),  # simple-ko point illegal for to_play, -1 for none
            ("recent", np.int16, (RECENT_MOVES,)),  # last moves' points, newest first, -1 pass/none
            ("move", np.int16),  # the expert's move (a board point; passes are not stored)
            ("game", np.uint32),  # index of the game in the prepared set
            ("move_number", np.uint16),  # 1-based number of `move` in its game
            ("winner", np.int8),  # the game's winner, BLACK or WHITE; 0 unknown (no value target)
        ]
    )


def pack_positions(out: np.ndarray, stones: np.ndarray, to_play, ko, recent) -> None:
    """Fill the position fields of records ``out`` from int8 stones of shape (B, size*size)."""
    out["black"] = np.packbits(stones == 1, axis=-1)
    out["white"] = np.packbits(stones == 2, axis=-1)
    out["to_play"] = to_play
    out["ko"] = ko
    out["recent"] = recent


def unpack_stones(records: np.ndarray, size: int) -> np.ndarray:
    """Records -> int8 stones of shape (len(records), size*size): 0 empty, 1 black, 2 white."""
    points = size * size
    black = np.unpackbits(records["black"], axis=-1, count=points)
    white = np.unpackbits(records["white"], axis=-1, count=points)
    return (black + 2 * white).astype(np.int8)


def write_shard(path: Path, records: np.ndarray) -> None:
    """Write records as an .npy file atomically (temp file, fsync, rename)."""
    with atomic_write(path) as handle:
        np.save(handle, records, allow_pickle=False)


def open_shard(path: Path) -> np.ndarray:
    """Memory-map a shard read-only (no pickles: structured dtypes load without them)."""
    return np.load(path, mmap_mode="r", allow_pickle=False)
