"""Matches against GTP engines: statistics, failing engines, and short games against GNU Go."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from goengine.board import Board
from goengine.nn.modelfile import load_model
from goengine.engine.agent import PolicyAgent, RandomAgent
from goengine.play.gtp_client import GtpClient, GtpEngineDied, GtpEngineError, GtpError, GtpTimeout
from goengine.play.match import MatchError, MatchSummary, elo_difference, parse_score, play_match, wilson_interval
from goengine.sgf import read_game


FAKE_ENGINE = r'''
import sys, time
mode = sys.argv[1]
moves = 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    ident = words.pop(0) if words[0].isdigit() else ""
    command = words[0] if words else ""
    answer, ok = "", True
    if command == "name":
        answer = "fake"
    elif command == "boardsize" and mode == "nosize":
        answer, ok = "unacceptable size", False
    elif command == "genmove":
        moves += 1
        if mode == "die":
            sys.exit(3)
        if mode == "hang":
            time.sleep(60)
        answer = {"illegal": "E5", "garbage": "banana", "resign": "resign"}.get(mode, "pass")
    elif command == "play" and mode == "reject":
        answer, ok = "illegal move", False
    sys.stdout.write(("=" if ok else "?") + ident + " " + answer + "\n\n")
    sys.stdout.flush()
    if command == "quit":
        break
'''


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    script = tmp_path_factory.mktemp("engines") / "fake_gtp.py"
    script.write_text(FAKE_ENGINE)
    return lambda mode: [sys.executable, str(script), mode]


def test_wilson_interval_and_elo():
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson_interval(0, 4)
    assert low == 0.0 and high == pytest.approx(0.4899, abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert elo_difference(0.5) == 0.0
    assert elo_difference(0.75) == pytest.approx(400 * math.log10(3))
    assert elo_difference(0.0) is None and elo_difference(1.0) is None


def test_parse_score():
    assert parse_score("B+3.5") == "B+3.5"
    assert parse_score("w+12 (Tromp-Taylor)") == "W+12"
    assert parse_score("0") == "0" and parse_score("W+R") == "W+R"
    assert parse_score("") is None and parse_score("who knows") is None


def test_summary_json_and_text():
    summary = MatchSummary(agent="a", opponent="b", size=9, komi=7.5)
    assert summary.win_rate is None
    data = summary.to_dict()
    assert data["games"] == 0 and json.dumps(data)
    assert "0 games" in summary.text()


def test_client_errors(fake):
    with pytest.raises(GtpEngineError, match="cannot start"):
        GtpClient(["/nonexistent/engine", "--gtp"])
    with GtpClient(fake("pass")) as client:
        assert client.name() == "fake"
        assert client.genmove(1, 9) == 81
    client = GtpClient(fake("nosize"))
    with pytest.raises(GtpError, match="unacceptable size"):
        client.send("boardsize 9")
    client.close()
    client = GtpClient(fake("hang"), timeout=0.5)
    with pytest.raises(GtpTimeout):
        client.send("genmove b")
    client.kill()
    client = GtpClient(fake("die"))
    with pytest.raises(GtpEngineDied):
        client.send("genmove b")
    with pytest.raises(GtpEngineDied):
        client.send("name")
    client.close()


@pytest.mark.parametrize(
    "mode, reason",
    [("die", "exited"), ("hang", "did not answer"), ("illegal", "illegal move"), ("garbage", "banana"),
     ("reject", "rejected")],
)
def test_failing_engines_forfeit_without_stopping_the_match(fake, mode, reason):
    summary = play_match(RandomAgent(rng=0), fake(mode), games=2, size=9, max_moves=10, move_timeout=0.5,
                         progress=False)
    assert summary.games == 2 and summary.wins == 2
    assert summary.forfeits_by_opponent == 2
    for game in summary.results:
        assert game.reason.startswith("forfeit") and reason in game.reason
        assert game.result == ("B+F" if game.agent_color == "black" else "W+F")


def test_resigning_and_passing_engines(fake, tmp_path):
    summary = play_match(RandomAgent(rng=0), fake("resign"), games=2, size=9, max_moves=10, progress=False)
    assert summary.wins == 2 and {g.result for g in summary.results} == {"B+R", "W+R"}
    assert {g.reason for g in summary.results} == {"resignation"}
    summary = play_match(RandomAgent(rng=0), fake("pass"), games=2, size=9, max_moves=7, sgf_dir=tmp_path,
                         progress=False)
    assert all(g.reason in ("two passes", "move cap") for g in summary.results)
    for game in summary.results:  # both endings are scored by area (a capped game is not left Void)
        record = read_game(Path(game.sgf).read_bytes(), "g", allowed_sizes=(9,))
        assert game.result == record.result == Board.from_record(record).result()


def test_match_cannot_start(fake):
    with pytest.raises(MatchError, match="cannot start"):
        play_match(RandomAgent(), "/nonexistent/engine", games=1, size=9, progress=False)
    with pytest.raises(MatchError, match="refuses"):
        play_match(RandomAgent(), fake("nosize"), games=1, size=9, progress=False)


def test_match_against_gnugo(gnugo_path, model9, tmp_path):
    model, info = load_model(model9)
    agent = PolicyAgent(model, info, resign_threshold=None)
    summary = play_match(agent, f"{gnugo_path} --mode gtp --level 1", games=2, size=9, max_moves=16,
                         sgf_dir=tmp_path, progress=False)
    assert summary.games == 2 and summary.wins + summary.losses + summary.draws == 2
    assert summary.opponent.startswith("GNU Go")
    assert [g.agent_color for g in summary.results] == ["black", "white"]
    for game in summary.results:
        assert game.reason in ("two passes", "move cap", "resignation")
        record = read_game(Path(game.sgf).read_bytes(), "g", allowed_sizes=(9,))
        assert record.result == game.result and len(record.moves) == game.moves
        ours = record.black_player if game.agent_color == "black" else record.white_player
        assert ours == "goengine tiny9"
        if game.winner:
            assert game.agent_won == float(game.winner == game.agent_color)
    data = json.loads(json.dumps(summary.to_dict()))
    assert 0.0 <= data["win_rate_ci95"][0] <= data["win_rate"] <= data["win_rate_ci95"][1] <= 1.0


def test_match_with_gnugo_referee(gnugo_path, model9):
    model, info = load_model(model9)
    agent = PolicyAgent(model, info, resign_threshold=None)
    summary = play_match(agent, f"{gnugo_path} --mode gtp --level 1", games=1, size=9, max_moves=10,
                         referee_cmd=f"{gnugo_path} --mode gtp --chinese-rules --level 1", progress=False)
    game = summary.results[0]
    assert game.referee_result is not None and game.result == game.referee_result


def test_match_cli_json_and_text(gnugo_path, model9, tmp_path):
    from goengine.play.cli import match

    args = ["--opponent", f"{gnugo_path} --mode gtp --level 1", "--games", "1", "--size", "9", "--max-moves", "8",
            "--model", str(model9), "--no-resign"]
    result = CliRunner().invoke(match, args + ["--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["games"] == 1 and len(data["results"]) == 1 and "elo_ci95" in data
    result = CliRunner().invoke(match, args + ["--sgf-dir", str(tmp_path)])
    assert result.exit_code == 0 and "win rate" in result.stdout and "Elo difference" in result.stdout
    assert (tmp_path / "game-001.sgf").exists()
    result = CliRunner().invoke(match, args[:6] + ["--size", "19", "--model", str(model9)])
    assert result.exit_code != 0 and "9x9" in result.output
