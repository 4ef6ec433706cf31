"""The dataset builder: real archives in, compact records out, every skip counted, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from goengine.board import Board
from goengine.coords import BLACK, WHITE
from goengine.dataset import prepare as prepare_module
from goengine.dataset.prepare import prepare
from goengine.dataset.records import open_shard, unpack_stones



@pytest.fixture
def month(shared_data) -> Path:
    """One month of real games (tests/conftest.py skips where the shared data is absent)."""
    return shared_data / "tygem-9d" / "tygem-9d-2011-04.tar.bz2"


def load_split(folder: Path, split: str) -> np.ndarray:
    meta = json.loads((folder / "meta.json").read_text())
    shards = [open_shard(folder / name) for name in meta["splits"][split]]
    return np.concatenate(shards) if shards else np.zeros(0)


def test_records_replay_to_the_positions_they_describe(tmp_path, month):
    report = prepare([month], tmp_path / "out", workers=2, max_games=60, val_fraction=0.2, progress=False)
    assert report["games_read"] == 60
    assert report["games_used"] + sum(report["skipped"].values()) == 60
    train, val = load_split(tmp_path / "out", "train"), load_split(tmp_path / "out", "val")
    assert len(train) + len(val) == report["positions"] > 60 * 50
    assert len(val) > 0 and len(train) > len(val)
    assert not set(train["game"]) & set(val["game"])  # split by game, never by position
    # replaying game 0 move by move gives exactly the stored positions
    first = np.concatenate([train, val])
    first = np.sort(first[first["game"] == 0], order="move_number")
    board = Board(19)
    stones = unpack_stones(first, 19)
    for record, position in zip(first, stones):
        while board.move_number < record["move_number"] - 1:  # passes are not stored
            board.play(board.pass_point)
        assert np.array_equal(position, board.stones)
        assert record["to_play"] == board.to_play
        assert record["ko"] == board.ko_point
        assert np.array_equal(record["recent"], board.recent_moves(8))
        board.play(int(record["move"]))
    bytes_per_position = report["bytes_on_disk"] / report["positions"]
    assert bytes_per_position < 5e9 / 28e6  # the whole Tygem set fits in 5 GB


def write_sgf(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_bad_games_are_skipped_and_counted_by_reason(tmp_path):
    games = tmp_path / "games"
    games.mkdir()
    good = "(;GM[1]FF[4]SZ[19]KM[6.5];B[pd];W[dp];B[pp];W[dd];B[];W[qf])"
    write_sgf(games, "a.sgf", good)
    write_sgf(games, "copy.sgf", good)  # duplicate move sequence
    write_sgf(games, "small.sgf", "(;GM[1]FF[4]SZ[9];B[ee];W[cc])")
    write_sgf(games, "illegal.sgf", "(;GM[1]FF[4]SZ[19];B[pd];W[pd];B[dd])")  # keeps 1 position
    write_sgf(games, "garbage.sgf", "this is not (; an sgf [")
    write_sgf(games, "empty.sgf", "(;GM[1]FF[4]SZ[19]PB[x])")
    report = prepare([games], tmp_path / "out", workers=1, val_fraction=0.0, progress=False)
    assert report["skipped"]["duplicate"] == 1
    assert report["skipped"]["board size 9"] == 1
    assert report["games_cut_at_illegal_move"] == 1
    assert report["skipped_positions"]["after an illegal move"] == 2
    assert report["skipped_positions"]["pass move"] == 1
    assert report["games_used"] == 2
    assert report["positions"] == 5 + 1
    assert sum(report["skipped"].values()) == 4  # duplicate, size, garbage, no moves
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["skipped"] == report["skipped"]


def test_an_interrupted_run_resumes_to_the_same_result(tmp_path, monkeypatch, month):
    clean = prepare([month], tmp_path / "clean", workers=1, max_games=40, checkpoint_games=10, progress=False)

    calls = []
    real_checkpoint = prepare_module._checkpoint

    def crash_after_two(*args, **kwargs):
        real_checkpoint(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(prepare_module, "_checkpoint", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        prepare([month], tmp_path / "resumed", workers=1, max_games=40, checkpoint_games=10, progress=False)
    assert not (tmp_path / "resumed" / "meta.json").exists()  # an unfinished set never reads as finished
    assert (tmp_path / "resumed" / "progress.json").exists()
    # debris from after the last checkpoint is discarded on resume
    (tmp_path / "resumed" / "train-00099.npy").write_bytes(b"half written")
    monkeypatch.setattr(prepare_module, "_checkpoint", real_checkpoint)
    resumed = prepare([month], tmp_path / "resumed", workers=1, max_games=40, checkpoint_games=10, progress=False)
    assert resumed == {**clean, "bytes_on_disk": resumed["bytes_on_disk"]}
    for split in ("train", "val"):
        assert np.array_equal(load_split(tmp_path / "clean", split), load_split(tmp_path / "resumed", split))
    assert not (tmp_path / "resumed" / "train-00099.npy").exists()
    assert not (tmp_path / "resumed" / "progress.json").exists()


def test_split_does_not_depend_on_worker_count(tmp_path, month):
    one = prepare([month], tmp_path / "one", workers=1, max_games=30, val_fraction=0.3, progress=False)
    two = prepare([month], tmp_path / "two", workers=2, max_games=30, val_fraction=0.3, progress=False)
    assert one == two
    assert np.array_equal(load_split(tmp_path / "one", "val"), load_split(tmp_path / "two", "val"))


def test_setup_stones_and_handicap_reach_the_records(tmp_path):
    games = tmp_path / "games"
    games.mkdir()
    write_sgf(games, "h.sgf", "(;GM[1]FF[4]SZ[19]HA[2]AB[dp][pd];W[dd];B[pp])")
    prepare([games], tmp_path / "out", workers=1, val_fraction=0.0, progress=False)
    records = load_split(tmp_path / "out", "train")
    stones = unpack_stones(records, 19)
    assert records["to_play"][0] == WHITE and records["to_play"][1] == BLACK
    assert np.count_nonzero(stones[0] == BLACK) == 2 and np.count_nonzero(stones[1] == WHITE) == 1
