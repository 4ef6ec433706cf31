"""The "simple" feature set: stones and move history (12 planes, numba).

Planes, all from the view of the player to move:

====  ==========================================================
0     player's stones
1     opponent's stones
2     empty points
3     ones (constant 1, marks the board area for zero padding)
4-11  turns since: stone played 1, 2, ..., 7 moves ago, >= 8
      (stones not among the 8 recent moves, e.g. setup stones or
      older, count as >= 8; empty points are 0 on all eight)
====  ==========================================================

The same kernel fills the first 12 planes of ``alphago48``.
"""

from __future__ import annotations

from numba import njit

NUM_PLANES = 12

PLANE_NAMES = (
    ["stone_player", "stone_opponent", "stone_empty", "ones"]
    + [f"turns_since_{k}" for k in range(1, 8)] + ["turns_since_8+"]
)


@njit(cache=True)
def fill_history_planes(stones, to_play, recent, size, out):
    """Write planes 0-11 into ``out`` (shape (>= 12, size*size), already zeroed)."""
    count = size * size
    enemy = 3 - to_play
    for p in range(count):
        s = stones[p]
        if s == to_play:
            out[0, p] = 1
            out[11, p] = 1
        elif s == enemy:
            out[1, p] = 1
            out[11, p] = 1
        else:
            out[2, p] = 1
        out[3, p] = 1
    # oldest first, so the most recent occurrence of a point wins
    for k in range(min(recent.shape[0], 8) - 1, -1, -1):
        m = recent[k]
        if m < 0 or m >= count or stones[m] == 0:
            continue
        for j in range(4, 12):
            out[j, m] = 0
        out[4 + k, m] = 1


@njit(cache=True)
def _encode_one(stones, to_play, recent, size, out):
    out[:, :] = 0
    fill_history_planes(stones, to_play, recent, size, out)


@njit(cache=True)
def _encode_many(stones, to_play, recent, size, out):
    for b in range(stones.shape[0]):
        out[b, :, :] = 0
        fill_history_planes(stones[b], to_play[b], recent[b], size, out[b])


def encode_into_kernel(stones, to_play, ko, recent, size, out2d):
    """stones int8[P], to_play int, ko int (unused), recent int16[8], out uint8[12, P]."""
    _encode_one(stones, to_play, recent, size, out2d)


def encode_batch_kernel(stones, to_play, ko, recent, size, out3d):
    """stones int8[B, P], to_play int64[B], ko int64[B], recent int16[B, 8], out uint8[B, 12, P]."""
    _encode_many(stones, to_play, recent, size, out3d)


__all__ = ["NUM_PLANES", "PLANE_NAMES", "fill_history_planes", "encode_into_kernel", "encode_batch_kernel"]
