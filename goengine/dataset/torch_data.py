"""Training batches from a prepared data directory, for torch.

A prepared directory (``goengine.dataset.prepare``) holds ``meta.json`` and ``.npy``
shards of position records (``records.py``).  Shards are memory-mapped, never read
into RAM: a batch gathers its records by fancy indexing, which only touches the pages
it needs.  Feature planes are computed per batch with a ``goengine.features.FeatureSet``'s
vectorised ``encode_batch`` (numba) and a random dihedral symmetry is applied to planes
and target moves together.

Batches, not items, are the unit: item ``s`` of :class:`TrainBatches` *is* the batch
of training step ``s``.  Its records and symmetries are a pure function of
``(seed, step, rank, world_size, batch_size)``:

* epoch ``e = s // steps_per_epoch`` visits the positions in a pseudo-random order
  ``perm_e`` (a keyed Feistel bijection on ``[0, n)``: O(1) memory whatever ``n``, and
  any batch can be computed directly without materialising the permutation);
* step ``s`` of rank ``r`` takes positions ``perm_e[(j*W + r)*B : (j*W + r + 1)*B]``
  with ``j = s % steps_per_epoch``, so the ranks of a DDP job read disjoint slices;
* symmetries come from a generator seeded by ``(seed, step, rank)``.

So resuming at step ``s`` restarts the stream exactly where it stopped, with any
number of DataLoader workers (the sampler hands step numbers to workers in order).

A batch is a :class:`Batch` ``(planes, moves, z)``.  ``z`` is the value target of each
position, from the side to move's view: +1 when the player to move won the game, -1
when they lost, 0 for no target (the game's winner is unknown, or the position was
not picked for value training).  The winner comes from the records' ``winner`` field
(0 unknown, 1 black, 2 white); data prepared before that field existed has no value
targets at all (``PreparedData.has_winner`` is False).

Value targets and overfitting: the positions of one game are strongly correlated and
share one result, so a value head trained on every position of human games learns to
recognise games instead of judging positions (AlphaGo, Silver et al. 2016).
:func:`value_positions` picks at most ``per_game`` positions of each game, at random
but fixed for the run's seed, so an epoch shows the value head each game at most
``per_game`` times in total; the validation split is by game, as for the policy.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from goengine.dataset.records import FORMAT_VERSION, open_shard, record_dtype, unpack_stones
from goengine.features import FEATURE_SETS, FeatureSet, get_feature_set
from goengine.features.symmetry import transform_batch_torch, transform_moves_torch

META_FORMAT_VERSIONS = (1, FORMAT_VERSION)  # 1: before the games' winners (trains the policy only)
WINNER = "winner"


class Batch(NamedTuple):
    """One batch: planes ``uint8 [B, C, N, N]``, expert moves ``int64 [B]``, value targets ``float32 [B]``."""

    planes: torch.Tensor
    moves: torch.Tensor
    z: torch.Tensor


class DataError(ValueError):
    """A prepared data directory that cannot be used."""


# --------------------------------------------------------------------------- meta & shards


def read_meta(root: str | os.PathLike) -> dict:
    root = Path(root)
    path = root / "meta.json"
    if not root.is_dir():
        raise DataError(f"data directory not found: {root}")
    if not path.is_file():
        raise DataError(f"{root} is not a prepared data directory (no meta.json); run `prepare` first")
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if meta.get("format_version") not in META_FORMAT_VERSIONS:
        raise DataError(f"{path}: unsupported format_version {meta.get('format_version')!r}")
    if "board_size" not in meta or "splits" not in meta:
        raise DataError(f"{path}: missing board_size or splits")
    return meta


def _position_fields(dtype: np.dtype) -> dict:
    """The fields that describe a position (all but the game's winner), by name."""
    return {name: dtype.fields[name][0] for name in dtype.names if name != WINNER}


def data_identity(root: str | os.PathLike) -> dict:
    """What names a prepared data set in model metadata, without a machine's paths: the
    folder's name, a digest of its meta.json (which lists every shard and count) and
    the position counts."""
    root = Path(root)
    meta = read_meta(root)
    return {
        "name": root.resolve().name,
        "meta_sha256": hashlib.sha256((root / "meta.json").read_bytes()).hexdigest()[:16],
        "board_size": int(meta["board_size"]),
        "positions": meta.get("positions"),
    }


class PreparedData:
    """One split (``train``/``val``) of a prepared directory: global index -> record."""

    def __init__(self, root: str | os.PathLike, split: str = "train") -> None:
        self.root = Path(root)
        meta = read_meta(self.root)
        self.split = split
        self.size = int(meta["board_size"])
        names = meta["splits"].get(split, [])
        self.paths = [self.root / name for name in names]
        position_fields = _position_fields(record_dtype(self.size))
        self.dtype: np.dtype | None = None
        lengths = []
        for path in self.paths:
            if not path.is_file():
                raise DataError(f"shard listed in meta.json is missing: {path}")
            shard = open_shard(path)
            if shard.dtype.names is None or _position_fields(shard.dtype) != position_fields:
                raise DataError(f"{path}: records are not {self.size}x{self.size} position records")
            if self.dtype is None:
                self.dtype = shard.dtype
            elif shard.dtype != self.dtype:
                raise DataError(f"{path}: records differ from the split's first shard (mixed data formats)")
            lengths.append(len(shard))
            del shard
        if self.dtype is None:
            self.dtype = record_dtype(self.size)
        self.offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
        self._shards: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def has_winner(self) -> bool:
        """Whether the records know their game's winner (value targets are possible)."""
        return WINNER in self.dtype.names

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_shards"] = None  # pickling a memmap would copy its data; workers reopen
        return state

    @property
    def shards(self) -> list[np.ndarray]:
        if self._shards is None:
            self._shards = [open_shard(path) for path in self.paths]
        return self._shards

    def gather(self, indices: np.ndarray) -> np.ndarray:
        """Records at the given global indices, in the given order."""
        indices = np.asarray(indices, dtype=np.int64)
        if len(indices) and (indices.min() < 0 or indices.max() >= len(self)):
            raise IndexError("record index out of range")
        out = np.empty(len(indices), dtype=self.dtype)
        shard_of = np.searchsorted(self.offsets, indices, side="right") - 1
        for shard_id in np.unique(shard_of):
            where = np.nonzero(shard_of == shard_id)[0]
            local = indices[where] - self.offsets[shard_id]
            order = np.argsort(local, kind="stable")  # sorted reads are kinder to the page cache
            out[where[order]] = self.shards[shard_id][local[order]]
        return out


# --------------------------------------------------------------------------- permutation


_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(values: np.ndarray, key: np.uint64) -> np.ndarray:
    """splitmix64 finaliser of ``values + key`` (uint64 arithmetic wraps)."""
    z = (values + key) * _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


class Permutation:
    """A pseudo-random bijection of ``[0, n)`` keyed by ``(seed, epoch)``.

    A 4-round balanced Feistel network on the smallest even-bit power of two >= n,
    with cycle walking to stay inside ``[0, n)``.  ``perm(i)`` for a batch of ``i``
    costs a few vector operations and no memory proportional to n.
    """

    ROUNDS = 4

    def __init__(self, n: int, seed: int, epoch: int) -> None:
        if n < 1:
            raise ValueError("cannot permute an empty range")
        self.n = int(n)
        bits = max(2, (self.n - 1).bit_length())
        bits += bits % 2
        self.half = np.uint64(bits // 2)
        self.mask = np.uint64((1 << (bits // 2)) - 1)
        self.keys = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(epoch), 0x60E9]).generate_state(
            self.ROUNDS, np.uint64
        )

    def _feistel(self, x: np.ndarray) -> np.ndarray:
        left = x >> self.half
        right = x & self.mask
        for key in self.keys:
            left, right = right, left ^ (_mix(right, key) & self.mask)
        return (left << self.half) | right

    def __call__(self, indices: np.ndarray) -> np.ndarray:
        x = self._feistel(np.asarray(indices, dtype=np.uint64))
        outside = x >= self.n
        while outside.any():  # cycle walking: expected < 4 rounds, domain <= 4n
            x[outside] = self._feistel(x[outside])
            outside = x >= self.n
        return x.astype(np.int64)


# --------------------------------------------------------------------------- datasets


class _Batches(Dataset):
    """Records -> a :class:`Batch` with one feature set."""

    def __init__(self, data: PreparedData, features: FeatureSet) -> None:
        self.data = data
        self.size = data.size
        self.features = features

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        # A registered feature set travels to worker processes by name: once used it
        # holds its compiled kernel module, which cannot be pickled.
        if FEATURE_SETS.get(self.features.name) is self.features:
            state["features"] = self.features.name
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state["features"], str):
            state["features"] = get_feature_set(state["features"])
        self.__dict__.update(state)

    def encode(self, records: np.ndarray) -> Batch:
        stones = unpack_stones(records, self.size)
        planes = self.features.encode_batch(stones, records["to_play"], records["ko"], records["recent"], self.size)
        planes = np.ascontiguousarray(planes, dtype=np.uint8)
        return Batch(torch.from_numpy(planes), torch.from_numpy(records["move"].astype(np.int64)),
                     torch.from_numpy(value_targets(records)))

    def augment(self, batch: Batch, rng: np.random.Generator) -> Batch:
        """The batch under a random symmetry per position (the value target does not move)."""
        ks = torch.from_numpy(rng.integers(0, 8, size=len(batch.moves), dtype=np.int64))
        return Batch(transform_batch_torch(batch.planes, ks), transform_moves_torch(batch.moves, ks, self.size),
                     batch.z)


def side_results(to_play: np.ndarray, winner) -> np.ndarray:
    """float32 z of positions: +1 where the side to move won, -1 where it lost, 0 where
    the winner (1 black, 2 white, 0 unknown; one per position or one for all) is unknown."""
    to_play = np.asarray(to_play, dtype=np.int64)
    winner = np.broadcast_to(np.asarray(winner, dtype=np.int64), to_play.shape)
    return np.where(winner == 0, 0.0, np.where(winner == to_play, 1.0, -1.0)).astype(np.float32)


def value_targets(records: np.ndarray) -> np.ndarray:
    """The value target z of each record (all 0 for records without a winner field)."""
    if WINNER not in records.dtype.names:
        return np.zeros(len(records), dtype=np.float32)
    return side_results(records["to_play"], records[WINNER])


def _contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_values`` (O(len(values) log n), no copy of the big array)."""
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    where = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[where] == values


def value_positions(data: PreparedData, per_game: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of the positions that train the value head: those of games with a
    known winner, at most ``per_game`` of each game (None: all of them), picked at random
    by ``seed`` once for the whole run.

    Reads the ``game`` and ``winner`` columns of the split once (a pass over its shards).
    """
    if not data.has_winner:
        raise DataError(f"{data.root} has no game results in its records (prepared before the {WINNER!r} "
                        f"field existed): run `prepare` again to train a value head")
    games = np.empty(len(data), dtype=np.int64)
    known = np.empty(len(data), dtype=bool)
    for shard_id, shard in enumerate(data.shards):
        span = slice(int(data.offsets[shard_id]), int(data.offsets[shard_id + 1]))
        games[span] = shard["game"]
        known[span] = shard[WINNER] != 0
    candidates = np.flatnonzero(known)
    if per_game is None:
        return candidates
    keys = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x7A1E]).random(len(candidates))
    order = np.lexsort((keys, games[candidates]))  # by game, then at random within the game
    by_game = games[candidates][order]
    first_of_game = np.flatnonzero(np.r_[True, by_game[1:] != by_game[:-1]])
    rank_in_game = np.arange(len(order)) - np.repeat(first_of_game, np.diff(np.r_[first_of_game, len(order)]))
    return np.sort(candidates[order[rank_in_game < per_game]])


class TrainBatches(_Batches):
    """Item ``step`` = the (augmented) training batch of that step for this rank.

    ``positions`` (sorted indices) restricts the stream to a subset of the split, e.g.
    the value positions when only the value head trains; ``value_positions`` (sorted
    indices) keeps the value targets of those positions only (the others get z = 0).
    """

    def __init__(
        self,
        data: PreparedData,
        features: FeatureSet,
        batch_size: int,
        seed: int = 0,
        augment: bool = True,
        rank: int = 0,
        world_size: int = 1,
        positions: np.ndarray | None = None,
        value_positions: np.ndarray | None = None,
    ) -> None:
        super().__init__(data, features)
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.augment_enabled = augment
        self.rank = int(rank)
        self.world_size = int(world_size)
        self.positions = positions
        self.value_positions = value_positions
        available = len(data) if positions is None else len(positions)
        self.steps_per_epoch = available // (self.batch_size * self.world_size)
        if self.steps_per_epoch < 1:
            what = "positions" if positions is None else "positions to draw from"
            raise DataError(
                f"the {data.split} split has {available} {what}, fewer than one batch of "
                f"{self.batch_size} x {self.world_size} rank(s)"
            )
        self._perm: Permutation | None = None
        self._perm_epoch = -1

    def __len__(self) -> int:  # one epoch; the sampler may ask for any step
        return self.steps_per_epoch

    def batch_indices(self, step: int) -> np.ndarray:
        epoch, j = divmod(int(step), self.steps_per_epoch)
        if self._perm is None or self._perm_epoch != epoch:
            available = len(self.data) if self.positions is None else len(self.positions)
            self._perm, self._perm_epoch = Permutation(available, self.seed, epoch), epoch
        start = (j * self.world_size + self.rank) * self.batch_size
        drawn = self._perm(np.arange(start, start + self.batch_size))
        return drawn if self.positions is None else self.positions[drawn]

    def __getitem__(self, step: int) -> Batch:
        indices = self.batch_indices(step)
        batch = self.encode(self.data.gather(indices))
        if self.value_positions is not None:
            batch.z[~torch.from_numpy(_contains(self.value_positions, indices))] = 0.0
        if self.augment_enabled:
            rng = np.random.default_rng([self.seed & 0xFFFFFFFF, int(step), self.rank, 0xA5])
            batch = self.augment(batch, rng)
        return batch


class FixedBatches(_Batches):
    """Item ``i`` = the i-th batch of a fixed list of record indices (no augmentation)."""

    def __init__(self, data: PreparedData, features: FeatureSet, indices: np.ndarray, batch_size: int,
                 cache: bool = False) -> None:
        super().__init__(data, features)
        self.indices = np.asarray(indices, dtype=np.int64)
        self.batch_size = int(batch_size)
        self.cache: dict[int, Batch] | None = {} if cache else None

    def __len__(self) -> int:
        return (len(self.indices) + self.batch_size - 1) // self.batch_size

    def __getitem__(self, i: int) -> Batch:
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self.cache is not None and i in self.cache:
            return self.cache[i]
        chunk = self.indices[i * self.batch_size : (i + 1) * self.batch_size]
        batch = self.encode(self.data.gather(chunk))
        if self.cache is not None:  # a fixed validation subset: encode once, keep the planes
            self.cache[i] = batch
        return batch


def validation_indices(n: int, count: int, rank: int = 0, world_size: int = 1) -> np.ndarray:
    """A fixed, evenly spread subset of ``count`` of ``n`` positions; this rank's share."""
    count = min(int(count), int(n))
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    subset = np.unique(np.linspace(0, n - 1, count).round().astype(np.int64))
    return subset[rank::world_size]


def make_loader(
    dataset: Dataset,
    steps: range,
    workers: int = 2,
    pin_memory: bool = False,
    prefetch: int = 4,
) -> DataLoader:
    """A DataLoader over whole batches, yielding ``dataset[s]`` for ``s`` in ``steps`` in order."""
    return DataLoader(
        dataset,
        batch_size=None,
        sampler=steps,
        num_workers=workers,
        pin_memory=pin_memory,
        prefetch_factor=prefetch if workers > 0 else None,
        persistent_workers=False,
    )
