"""The dataset builder: real archives in, compact records out, every skip counted, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from goengine.board import Board
from goengine.coords import BLACK, WHITE
from goengine.dataset import prepare as prepare_module
from goengine.dataset.cli import prepare as prepare_command
from goengine.dataset.prepare import prepare
from goengine.dataset.records import FORMAT_VERSION, DataFormatError, check_format, open_shard, unpack_stones


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


def test_each_record_carries_its_games_winner_and_games_without_one_are_counted(tmp_path):
    games = tmp_path / "games"
    games.mkdir()
    results = {"a": "B+R", "b": "W+T", "c": "W+3.5", "d": "Void", "e": "", "f": "0", "g": "?"}
    for number, (name, result) in enumerate(results.items()):
        re_property = f"RE[{result}]" if result else ""
        first = "abcdefg"[number]  # every game different, so none is a duplicate
        write_sgf(games, f"{name}.sgf", f"(;GM[1]FF[4]SZ[19]{re_property};B[{first}a];W[pp];B[dd])")
    report = prepare([games], tmp_path / "out", workers=1, val_fraction=0.0, progress=False)
    assert report["games_used"] == 7
    assert report["results"] == {"resignation": 1, "time": 1, "score": 1, "void": 1, "no result": 1,
                                 "draw": 1, "unknown result": 1}
    assert report["games_with_winner"] == 3
    assert report["games_without_winner"] == {"void": 1, "no result": 1, "draw": 1, "unknown result": 1}
    records = load_split(tmp_path / "out", "train")
    # games are numbered in reading order (sorted file names a..g), 3 positions each
    winners = [int(records["winner"][records["game"] == game][0]) for game in range(7)]
    assert winners == [BLACK, WHITE, WHITE, 0, 0, 0, 0]
    assert all(len(set(records["winner"][records["game"] == game])) == 1 for game in range(7))


def test_prepared_meta_names_the_record_format_and_older_folders_are_refused(tmp_path):
    games = tmp_path / "games"
    games.mkdir()
    write_sgf(games, "a.sgf", "(;GM[1]FF[4]SZ[19]RE[B+R];B[pd];W[dp])")
    prepare([games], tmp_path / "out", workers=1, val_fraction=0.0, progress=False)
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["format_version"] == FORMAT_VERSION
    check_format(meta)
    assert "winner" in load_split(tmp_path / "out", "train").dtype.names
    with pytest.raises(DataFormatError, match="older goengine.*run prepare again"):
        check_format({**meta, "format_version": 1})
    for odd in (FORMAT_VERSION + 1, None, "2"):
        with pytest.raises(DataFormatError, match="unknown to this goengine"):
            check_format({**meta, "format_version": odd})


def run_prepare_command(*args: str):
    return CliRunner().invoke(prepare_command, [*args, "--workers", "1"])


def test_the_command_fails_with_one_line_when_no_game_is_usable(tmp_path):
    games = tmp_path / "games"
    games.mkdir()
    write_sgf(games, "small.sgf", "(;GM[1]FF[4]SZ[9];B[ee];W[cc])")
    write_sgf(games, "garbage.sgf", "not sgf at all")
    result = run_prepare_command(str(games), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["games_used"] == 0  # the report is still printed ...
    assert (tmp_path / "out" / "report.json").exists()  # ... and saved
    last_line = result.stderr.strip().splitlines()[-1]  # after the progress bar
    assert last_line == f"Error: no usable game (1 board size 9, 1 parse error); report: {tmp_path / 'out' / 'report.json'}"
    (tmp_path / "nothing").mkdir()
    empty = run_prepare_command(str(tmp_path / "nothing"), "--out", str(tmp_path / "out2"))
    assert empty.exit_code == 1
    assert empty.stderr.strip().splitlines()[-1].startswith("Error: no usable game (the sources hold no SGF game)")


def test_the_command_reports_a_truncated_archive_with_the_games_read_before_the_damage(tmp_path, month):
    cut = tmp_path / "cut.tar.bz2"
    cut.write_bytes(month.read_bytes()[:100_000])
    result = run_prepare_command(str(cut), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["skipped"] == {"truncated or corrupt": 1}
    # bz2 decodes whole blocks of 900 kB: the first 100 kB hold no complete one
    assert report["damaged_sources"] == [{"source": str(cut), "games_before_damage": 0, "error": report["damaged_sources"][0]["error"]}]
    assert "empty file" not in result.output
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("Error: no usable game (1 truncated or corrupt; ")
    assert f"{cut}: truncated or corrupt after 0 games" in last_line


def test_the_command_keeps_the_games_before_the_damage_and_succeeds(tmp_path, month, caplog):
    cut = tmp_path / "cut.tar.bz2"
    cut.write_bytes(month.read_bytes()[:400_000])
    result = run_prepare_command(str(cut), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    damage = report["damaged_sources"][0]
    assert damage["games_before_damage"] > 100
    assert report["games_read"] == damage["games_before_damage"] + 1  # the damaged file counts once
    assert f"truncated or corrupt after {damage['games_before_damage']} games" in caplog.text
