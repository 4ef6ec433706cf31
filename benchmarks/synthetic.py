"""Synthetic prepared data and a stand-in feature set, for the tests and the benchmarks.

The positions are random stone patterns, not Go games; the target move is a simple
function of the last move (the point below it, or above it on the bottom row), so a
small net can learn it and a test can see the loss fall.  The stand-in feature set
``STANDIN`` is a ``goengine.features.FeatureSet`` whose ``encode_batch`` is plain numpy
(no numba compile in a test) with 5 planes: stones of the side to move, opponent
stones, empty points, the last move, and ones.

The tests import this module as ``benchmarks.synthetic`` (tests/conftest.py puts the
repository root on ``sys.path``); ``benchmarks/bench_training.py`` imports it as a sibling.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from goengine.coords import RECENT_MOVES
from goengine.dataset.records import FORMAT_VERSION, record_dtype, write_shard
from goengine.features import FeatureSet

STANDIN_PLANES = 5


class StandinFeatures(FeatureSet):
    """A cheap 5-plane feature set for batches (it has no single-position kernels)."""

    def __init__(self) -> None:
        super().__init__("standin5", STANDIN_PLANES, module="", description="synthetic-data stand-in")

    def encode_batch(self, stones, to_play, ko, recent, size: int) -> np.ndarray:
        stones = np.asarray(stones)
        batch = len(stones)
        to_play = np.asarray(to_play).astype(np.int8)[:, None]
        planes = np.zeros((batch, STANDIN_PLANES, size * size), dtype=np.uint8)
        planes[:, 0] = stones == to_play
        planes[:, 1] = (stones != 0) & (stones != to_play)
        planes[:, 2] = stones == 0
        last = np.asarray(recent)[:, 0].astype(np.int64)
        rows = np.nonzero(last >= 0)[0]
        planes[rows, 3, last[rows]] = 1
        planes[:, 4] = 1
        return planes.reshape(batch, STANDIN_PLANES, size, size)


STANDIN = StandinFeatures()


def without_winner(dtype: np.dtype) -> np.dtype:
    """The record layout of format 1: ``dtype`` without the game's ``winner`` field."""
    return np.dtype([(name, dtype.fields[name][0]) for name in dtype.names if name != "winner"])


def synthetic_records(count: int, size: int = 19, seed: int = 0, game_length: int = 100,
                      winners: bool = True) -> np.ndarray:
    """``count`` random position records, ``game_length`` to a game, whose move target is
    learnable from the last move and whose value target from the stones.

    With ``winners`` each game gets a winner (a fifth of the games an unknown one), and
    the winner's stones are denser in every position of the game, so the result can be
    told from the position; without, the records have the older layout with no winner.
    """
    rng = np.random.default_rng(seed)
    points = size * size
    dtype = record_dtype(size)
    records = np.zeros(count, dtype=dtype if winners else without_winner(dtype))
    game = np.arange(count) // game_length
    winner = rng.choice(np.array([0, 1, 2], np.int8), size=game[-1] + 1 if count else 0, p=[0.2, 0.4, 0.4])[game]
    black_share = np.where(winner == 1, 0.3, np.where(winner == 2, 0.1, 0.2))[:, None]
    draw = rng.random((count, points))
    stones = np.where(draw < black_share, 1, np.where(draw < 0.4, 2, 0)).astype(np.int8)
    last = rng.integers(0, points, size=count)
    row = last // size
    target = np.where(row < size - 1, last + size, last - size)
    stones[np.arange(count), target] = 0
    records["black"] = np.packbits(stones == 1, axis=1)
    records["white"] = np.packbits(stones == 2, axis=1)
    records["to_play"] = rng.integers(1, 3, size=count)
    records["ko"] = -1
    recent = rng.integers(-1, points, size=(count, RECENT_MOVES))
    recent[:, 0] = last
    records["recent"] = recent
    records["move"] = target
    records["game"] = game
    records["move_number"] = 1 + np.arange(count) % game_length
    if winners:
        records["winner"] = winner
    return records


def write_synthetic_data(
    root: str | os.PathLike,
    train: int = 1024,
    val: int = 256,
    size: int = 19,
    shard_size: int = 512,
    seed: int = 0,
    game_length: int = 100,
    winners: bool = True,
) -> Path:
    """A prepared data directory (meta.json + shards) of synthetic positions; ``winners``
    False writes the layout of data prepared before records kept the game's winner."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    splits: dict[str, list[str]] = {}
    for split_id, (split, count) in enumerate((("train", train), ("val", val))):
        records = synthetic_records(count, size, seed=seed * 2 + split_id, game_length=game_length, winners=winners)
        names = []
        for shard, start in enumerate(range(0, count, shard_size)):
            name = f"{split}-{shard:05d}.npy"
            write_shard(root / name, records[start : start + shard_size])
            names.append(name)
        splits[split] = names
    meta = {"format_version": FORMAT_VERSION if winners else 1, "board_size": size, "splits": splits,
            "positions": {"train": train, "val": val}}
    (root / "meta.json").write_text(json.dumps(meta, indent=1))
    return root
