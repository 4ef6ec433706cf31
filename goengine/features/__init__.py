"""Feature planes: turn a Go position into the uint8 planes a policy network reads.

A position is what a dataset record stores, never a Board's internals:

* ``stones``: int8[size*size], 0 empty / 1 black / 2 white, point = row*size + col, row 0 at the top
* ``to_play``: 1 (black) or 2 (white)
* ``ko``: the point illegal for ``to_play`` by simple ko, -1 for none
* ``recent``: int16[8], points of the last 8 moves, most recent first, -1 for pass / no move

>>> fs = get_feature_set("alphago48")
>>> planes = fs.encode(stones, to_play, ko, recent, 19)     # uint8 (48, 19, 19)

The kernels are numba functions compiled (and cached on disk) on first use;
importing this package compiles nothing and does not import numba.
"""

from __future__ import annotations

import importlib

import numpy as np

from goengine.coords import RECENT_MOVES

__all__ = ["FeatureSet", "FEATURE_SETS", "get_feature_set", "feature_set_names"]


class FeatureSet:
    """A named set of feature planes with numba encoders behind it."""

    def __init__(self, name: str, num_planes: int, module: str, description: str):
        self.name = name
        self.num_planes = num_planes
        self.description = description
        self._module_name = module
        self._module = None

    def __repr__(self) -> str:
        return f"FeatureSet({self.name!r}, num_planes={self.num_planes})"

    # ------------------------------------------------------------------ internals
    @property
    def _kernels(self):
        if self._module is None:
            self._module = importlib.import_module(f"{__name__}.{self._module_name}")
        return self._module

    @property
    def plane_names(self) -> list[str]:
        """One short name per plane, in order (e.g. ``"liberties_8+"``)."""
        return list(self._kernels.PLANE_NAMES)

    @staticmethod
    def _check(size: int, points: int) -> None:
        if points != size * size:
            raise ValueError(f"stones has {points} points, a {size}x{size} board has {size * size}")

    # ------------------------------------------------------------------ single positions
    def encode(self, stones, to_play, ko, recent, size: int) -> np.ndarray:
        """Planes of one position: uint8 (num_planes, size, size)."""
        out = np.empty((self.num_planes, size, size), np.uint8)
        self.encode_into(stones, to_play, ko, recent, size, out)
        return out

    def encode_into(self, stones, to_play, ko, recent, size: int, out: np.ndarray) -> np.ndarray:
        """Like ``encode`` but writes into ``out`` (uint8, C-contiguous, (num_planes, size, size)
        or (num_planes, size*size)); every plane is overwritten.  Returns ``out``."""
        size = int(size)
        s = np.ascontiguousarray(stones, dtype=np.int8).reshape(-1)
        self._check(size, s.shape[0])
        to_play = int(to_play)
        if to_play != 1 and to_play != 2:
            raise ValueError(f"to_play must be 1 (black) or 2 (white), got {to_play}")
        if out.dtype != np.uint8 or not out.flags.c_contiguous or out.size != self.num_planes * size * size:
            raise ValueError(f"out must be C-contiguous uint8 with {self.num_planes}x{size}x{size} elements")
        self._kernels.encode_into_kernel(s, to_play, int(ko), _fit_recent(np.asarray(recent).reshape(-1)), size,
                                         out.reshape(self.num_planes, size * size))
        return out

    def encode_board(self, board) -> np.ndarray:
        """Planes of a Board-like object (``stones``, ``to_play``, ``ko_point``, ``recent_moves(8)``, ``size``)."""
        return self.encode(board.stones, board.to_play, board.ko_point, board.recent_moves(RECENT_MOVES), board.size)

    # ------------------------------------------------------------------ batches
    def encode_batch(self, stones, to_play, ko, recent, size: int, out: np.ndarray | None = None) -> np.ndarray:
        """Planes of B positions in one numba call: uint8 (B, num_planes, size, size).

        ``stones`` (B, size*size), ``to_play`` (B,), ``ko`` (B,), ``recent`` (B, 8).
        ``out`` may be given (C-contiguous uint8 with B*num_planes*size*size elements).
        """
        size = int(size)
        s = np.ascontiguousarray(stones, dtype=np.int8)
        batch = s.shape[0]
        s = s.reshape(batch, size * size) if s.size == batch * size * size else s.reshape(batch, -1)
        self._check(size, s.shape[1])
        tp = np.ascontiguousarray(to_play, dtype=np.int64).reshape(batch)
        if batch and not np.all((tp == 1) | (tp == 2)):
            raise ValueError("to_play must be 1 (black) or 2 (white)")
        k = np.ascontiguousarray(ko, dtype=np.int64).reshape(batch)
        r = np.asarray(recent)
        r = _fit_recent(r.reshape(batch, r.size // batch if batch else RECENT_MOVES))
        if out is None:
            out = np.empty((batch, self.num_planes, size, size), np.uint8)
        elif out.dtype != np.uint8 or not out.flags.c_contiguous or out.size != batch * self.num_planes * size * size:
            raise ValueError(f"out must be C-contiguous uint8 with {batch}x{self.num_planes}x{size}x{size} elements")
        if batch:
            self._kernels.encode_batch_kernel(s, tp, k, r, size, out.reshape(batch, self.num_planes, size * size))
        return out


def _fit_recent(recent: np.ndarray) -> np.ndarray:
    """Recent moves (last axis) as contiguous int16 of exactly RECENT_MOVES: longer lists
    are cut, shorter ones padded with -1 (no move)."""
    recent = np.asarray(recent, dtype=np.int16)
    if recent.shape[-1] == RECENT_MOVES:
        return np.ascontiguousarray(recent)
    fitted = np.full(recent.shape[:-1] + (RECENT_MOVES,), -1, np.int16)
    kept = min(recent.shape[-1], RECENT_MOVES)
    fitted[..., :kept] = recent[..., :kept]
    return fitted


FEATURE_SETS: dict[str, FeatureSet] = {
    "alphago48": FeatureSet(
        "alphago48", 48, "alphago",
        "AlphaGo policy-network input (Silver et al. 2016, Extended Data Table 2): stones, ones, "
        "turns since, liberties, capture size, self-atari size, liberties after move, ladder capture, "
        "ladder escape, sensibleness, zeros"),
    "simple": FeatureSet(
        "simple", 12, "simple",
        "stones (player, opponent, empty), ones, turns since (1..7, >=8)"),
}


def feature_set_names() -> list[str]:
    return sorted(FEATURE_SETS)


def get_feature_set(name: str) -> FeatureSet:
    """The feature set called ``name`` (``"alphago48"`` or ``"simple"``); KeyError names the choices."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise KeyError(f"unknown feature set {name!r}; choose from {', '.join(feature_set_names())}") from None
