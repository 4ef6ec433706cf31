"""The 8 symmetries of the square board (the dihedral group D4).

Symmetry ``k`` (0..7) is "mirror left-right if ``k >= 4``, then rotate
``k % 4`` quarter turns counter-clockwise" (the rotation of ``np.rot90``).
``k = 0`` is the identity.  Everything here follows that one definition:

* ``transform_planes(planes[..., N, N], k)``  numpy, any leading axes
* ``transform_point(point, k, size)``         flat point; PASS (= size*size) stays PASS
* ``inverse(k)``, ``compose(a, b)``           group structure
* ``point_permutation(k, size)``              int64[P+1]: where each point (and PASS) goes
* ``transform_batch_torch(x[B, C, N, N], ks[B])`` and ``transform_moves_torch(moves[B], ks[B], size)``
  for training batches: one gather with precomputed index tables, a different
  symmetry per sample.

Planes and moves stay consistent: a one-hot plane of point ``p`` transformed by
``k`` is the one-hot plane of ``transform_point(p, k, size)``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NUM_SYMMETRIES = 8

__all__ = [
    "NUM_SYMMETRIES", "transform_planes", "transform_point", "inverse", "compose",
    "point_permutation", "transform_batch_torch", "transform_moves_torch",
]


def _check_k(k: int) -> int:
    k = int(k)
    if not 0 <= k < NUM_SYMMETRIES:
        raise ValueError(f"symmetry index must be 0..7, got {k}")
    return k


def transform_planes(planes: np.ndarray, k: int) -> np.ndarray:
    """Apply symmetry ``k`` to the last two (square) axes; returns a new C-contiguous array."""
    k = _check_k(k)
    a = np.asarray(planes)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"expected [..., N, N] planes, got shape {a.shape}")
    if k >= 4:
        a = a[..., ::-1]
    return np.ascontiguousarray(np.rot90(a, k % 4, axes=(-2, -1)))


def transform_point(point: int, k: int, size: int) -> int:
    """Where flat ``point`` goes under symmetry ``k``; PASS (``size*size``) maps to PASS."""
    k = _check_k(k)
    point = int(point)
    if point == size * size:
        return point
    if not 0 <= point < size * size:
        raise ValueError(f"point {point} is not on a {size}x{size} board (nor PASS)")
    row, col = divmod(point, size)
    if k >= 4:
        col = size - 1 - col
    for _ in range(k % 4):
        # np.rot90 (counter-clockwise): out[i, j] = in[j, N-1-i], so (r, c) -> (N-1-c, r)
        row, col = size - 1 - col, row
    return row * size + col


@lru_cache(maxsize=None)
def _tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """forward[k, p] = transform_point(p, k); gather[k, q] = the p with forward[k, p] == q.

    Both have P+1 columns, the last being PASS -> PASS.
    """
    count = size * size
    forward = np.empty((NUM_SYMMETRIES, count + 1), np.int64)
    for k in range(NUM_SYMMETRIES):
        for p in range(count + 1):
            forward[k, p] = transform_point(p, k, size)
    gather = np.empty_like(forward)
    for k in range(NUM_SYMMETRIES):
        gather[k, forward[k]] = np.arange(count + 1)
    forward.flags.writeable = False
    gather.flags.writeable = False
    return forward, gather


def point_permutation(k: int, size: int) -> np.ndarray:
    """int64[size*size + 1]: ``perm[p] = transform_point(p, k, size)`` (read-only)."""
    return _tables(size)[0][_check_k(k)]


@lru_cache(maxsize=None)
def _group() -> tuple[np.ndarray, np.ndarray]:
    forward = _tables(3)[0]  # a 3x3 board tells the 8 symmetries apart
    rows = {tuple(forward[k]): k for k in range(NUM_SYMMETRIES)}
    compose_table = np.empty((NUM_SYMMETRIES, NUM_SYMMETRIES), np.int64)
    for a in range(NUM_SYMMETRIES):
        for b in range(NUM_SYMMETRIES):
            compose_table[a, b] = rows[tuple(forward[a][forward[b]])]
    inverse_table = np.array([int(np.flatnonzero(compose_table[k] == 0)[0]) for k in range(NUM_SYMMETRIES)])
    return compose_table, inverse_table


def compose(a: int, b: int) -> int:
    """The symmetry "apply ``b`` first, then ``a``" (so compose(a, inverse(a)) == 0)."""
    return int(_group()[0][_check_k(a), _check_k(b)])


def inverse(k: int) -> int:
    """The symmetry undoing ``k``: rotations r -> (4 - r) % 4, mirrors are their own inverse."""
    return int(_group()[1][_check_k(k)])


# --------------------------------------------------------------------------- torch

_torch_tables: dict = {}


def _torch_table(size: int, which: int, device):
    import torch

    key = (size, which, str(device))
    table = _torch_tables.get(key)
    if table is None:
        table = torch.from_numpy(np.array(_tables(size)[which])).to(device)
        _torch_tables[key] = table
    return table


def _ks_tensor(ks, batch: int, device):
    import torch

    ks = torch.as_tensor(ks, dtype=torch.long, device=device).reshape(-1)
    if ks.numel() == 1 and batch != 1:
        ks = ks.expand(batch)
    if ks.numel() != batch:
        raise ValueError(f"need one symmetry per sample: {ks.numel()} for a batch of {batch}")
    if batch and (int(ks.min()) < 0 or int(ks.max()) >= NUM_SYMMETRIES):
        raise ValueError("symmetry indices must be 0..7")
    return ks


def transform_batch_torch(x, ks):
    """Apply symmetry ``ks[b]`` to sample ``b`` of ``x`` ([B, C, N, N], any dtype/device).

    One ``torch.gather`` with a precomputed index table; returns a new tensor.
    """
    import torch

    if x.dim() != 4 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"expected [B, C, N, N], got {tuple(x.shape)}")
    batch, channels, size, _ = x.shape
    count = size * size
    ks = _ks_tensor(ks, batch, x.device)
    idx = _torch_table(size, 1, x.device)[ks, :count]                 # [B, P]: source of each output point
    flat = x.reshape(batch, channels, count)
    out = torch.gather(flat, 2, idx.unsqueeze(1).expand(batch, channels, count))
    return out.reshape(batch, channels, size, size)


def transform_moves_torch(moves, ks, size: int):
    """Apply symmetry ``ks[b]`` to flat move ``moves[b]`` (PASS = size*size stays PASS)."""
    import torch

    moves = torch.as_tensor(moves)
    ks = _ks_tensor(ks, moves.numel(), moves.device)
    if moves.numel() and (int(moves.min()) < 0 or int(moves.max()) > size * size):
        raise ValueError(f"moves must be points 0..{size * size - 1} or PASS={size * size}")
    table = _torch_table(size, 0, moves.device)
    return table[ks, moves.reshape(-1).long()].reshape(moves.shape).to(moves.dtype)
