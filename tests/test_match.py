"""Matches against GTP engines: statistics, honest handling of failing engines, scoring,
openings, worker processes, and the real ``play.py match`` against fakes and GNU Go."""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goengine.board import Board
from goengine.coords import from_gtp
from goengine.engine.agent import PolicyAgent, RandomAgent
from goengine.play.gtp_client import GtpClient, GtpEngineDied, GtpEngineError, GtpError, GtpTimeout
from goengine.play.match import (
    MatchError,
    MatchSummary,
    OpponentError,
    elo_difference,
    game_specs,
    play_match,
    wilson_interval,
)
from goengine.play.openings import Opening
from goengine.play.referee import Scoring, choose_scoring, parse_score
from goengine.sgf import read_game

REPO = Path(__file__).resolve().parents[1]

# (torch is imported inside the tests that need it: worker processes import this module
# for its agent factories, and should start fast.)

# A scriptable GTP engine.  argv: MODE [LOG]; every command is appended to LOG.
FAKE_ENGINE = r'''
import sys, time
mode = sys.argv[1]
log = open(sys.argv[2], "a") if len(sys.argv) > 2 else None
games = 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    ident = words.pop(0) if words[0].isdigit() else ""
    command = words[0] if words else ""
    if log:
        log.write(" ".join(words) + "\n"); log.flush()
    answer, ok = "", True
    if command == "name":
        answer = "fake"
    elif command == "known_command":
        answer = "true" if mode == "score" and words[1:] == ["final_score"] else "false"
    elif command == "final_score" and mode == "score":
        answer = "W+99"
    elif command == "boardsize" and mode == "nosize":
        answer, ok = "unacceptable size", False
    elif command == "clear_board":
        games += 1
    elif command == "genmove":
        if mode == "die" or (mode == "die2" and games == 2):
            sys.stderr.write("fake engine: out of memory\n"); sys.stderr.flush()
            sys.exit(3)
        if mode == "hang":
            time.sleep(60)
        if mode == "slow":
            time.sleep(0.3)
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
    return lambda mode, *log: [sys.executable, str(script), mode, *map(str, log)]


def command(args) -> str:
    return subprocess.list2cmdline(args) if os.name == "nt" else " ".join(args)


class FailingAgent:
    """Plays random moves, then raises on its ``fail_at``-th move (the engine under test dying)."""

    name = "failing"

    def __init__(self, fail_at: int = 3):
        self.fail_at = fail_at
        self.random = RandomAgent(rng=0)
        self.moves = 0

    def supports_size(self, size):
        return True

    def select_move(self, board, color=None):
        self.moves += 1
        if self.moves % self.fail_at == 0:
            raise RuntimeError("network exploded")
        return self.random.select_move(board)


class CrashingAgent(FailingAgent):
    """Ends its process at its first move, as a crash in native code would."""

    def select_move(self, board, color=None):
        os._exit(7)


def crashing_agent():
    """A factory that worker processes can import."""
    return CrashingAgent()


def random_agent(seed: int = 0):
    return RandomAgent(rng=seed)


# --------------------------------------------------------------------------- statistics


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
    summary = MatchSummary(agent="a", opponent="b", size=9, komi=7.5, scoring="x")
    assert summary.win_rate is None
    data = summary.to_dict()
    assert data["games"] == 0 and data["scoring"] == "x" and json.dumps(data)
    assert "0 games" in summary.text()


def test_choose_scoring():
    gnugo = choose_scoring("auto", "/usr/games/gnugo --mode gtp --level 3", False)
    assert gnugo == Scoring("referee", "/usr/games/gnugo --mode gtp --chinese-rules")
    assert choose_scoring(None, "kata gtp", True) == Scoring("opponent")
    assert choose_scoring("auto", "leela --gtp", False) == Scoring("area")
    assert choose_scoring("none", "gnugo --mode gtp", True) == Scoring("area")
    assert choose_scoring("my-referee --gtp", "x", False) == Scoring("referee", "my-referee --gtp")
    with pytest.raises(Exception, match="does not know the final_score"):
        choose_scoring("opponent", "leela --gtp", False)


def test_game_specs_pair_openings_with_swapped_colours():
    openings = [Opening("a", ((1, 0),)), Opening("b", ((1, 1),))]
    specs = game_specs(4, openings)
    assert [(s.number, s.agent_color, s.opening.name) for s in specs] == [
        (1, 1, "a"), (2, 2, "a"), (3, 1, "b"), (4, 2, "b")]
    assert all(s.opening is None for s in game_specs(3))


# --------------------------------------------------------------------------- the GTP client


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
    with pytest.raises(GtpEngineDied, match="out of memory"):  # the engine's stderr is quoted
        client.send("genmove b")
    with pytest.raises(GtpEngineDied):
        client.send("name")
    assert client.stderr_tail() == "fake engine: out of memory"
    client.close()


# --------------------------------------------------------------------------- honest counting


@pytest.mark.parametrize(
    "mode, message",
    [("die", "out of memory"), ("hang", "did not answer"), ("illegal", "illegal here"),
     ("garbage", "banana"), ("reject", "rejected goengine's move"), ("nosize", "refuses")],
)
def test_a_failing_opponent_stops_the_match_and_wins_nothing(fake, mode, message):
    with pytest.raises(OpponentError, match=message) as caught:
        play_match(RandomAgent(rng=0), fake(mode), games=2, size=9, max_moves=10, move_timeout=0.5,
                   referee="none", progress=False)
    summary = caught.value.summary
    assert summary is not None and summary.games == 0 and summary.wins == 0
    assert str(caught.value).startswith("game 1:")


def test_an_opponent_dying_mid_match_keeps_the_games_before(fake):
    with pytest.raises(OpponentError, match="(?s)game 2: .*out of memory") as caught:
        play_match(RandomAgent(rng=0), fake("die2"), games=4, size=9, max_moves=6, referee="none", progress=False)
    assert caught.value.summary.games == 1


def test_an_opponent_that_cannot_start(fake):
    with pytest.raises(OpponentError, match="cannot start"):
        play_match(RandomAgent(), "/nonexistent/engine", games=1, size=9, progress=False)
    with pytest.raises(OpponentError, match=r"exited \(return code 1\)"):
        play_match(RandomAgent(), "false", games=1, size=9, progress=False)


def test_goengine_failing_loses_the_game_and_says_why(fake):
    summary = play_match(FailingAgent(fail_at=2), fake("pass"), games=2, size=9, max_moves=20, referee="none",
                         progress=False)
    assert summary.games == 2 and summary.losses == 2 and summary.agent_failures == 2
    for game in summary.results:
        assert game.reason == "forfeit: goengine failed: RuntimeError: network exploded"
        assert game.result == ("W+F" if game.agent_color == "black" else "B+F")
    assert "2 of the losses because goengine failed" in summary.text()
    assert summary.to_dict()["agent_failures"] == 2


def test_resigning_opponent_and_area_scoring_with_a_warning(fake, tmp_path):
    summary = play_match(RandomAgent(rng=0), fake("resign"), games=2, size=9, max_moves=10, progress=False)
    assert summary.wins == 2 and {g.result for g in summary.results} == {"B+R", "W+R"}
    log = tmp_path / "log.txt"
    with open(log, "w") as stream:  # the fake knows no final_score: auto falls back to area scoring, loudly
        summary = play_match(RandomAgent(rng=0), fake("pass"), games=2, size=9, max_moves=7, sgf_dir=tmp_path,
                             progress=False, log=stream)
    assert "Tromp-Taylor" in log.read_text() and "dead stones" in summary.scoring
    for game in summary.results:
        assert game.reason in ("two passes", "move cap") and game.referee_result is None
        record = read_game(Path(game.sgf).read_bytes(), "g", allowed_sizes=(9,))
        assert game.result == record.result == Board.from_record(record).result()


def test_the_opponent_scores_when_it_knows_final_score(fake):
    summary = play_match(RandomAgent(rng=0), fake("score"), games=2, size=9, max_moves=7, progress=False)
    assert summary.scoring == "the opponent's final_score"
    assert [g.result for g in summary.results] == ["W+99", "W+99"]
    assert [g.referee_result for g in summary.results] == ["W+99", "W+99"]


def test_a_failing_referee_stops_the_match(fake):
    with pytest.raises(MatchError, match="referee"):
        play_match(RandomAgent(rng=0), fake("pass"), games=1, size=9, max_moves=7, referee="false",
                   progress=False)


def test_openings_are_played_on_both_boards(fake, tmp_path):
    log = tmp_path / "commands.txt"
    opening = tuple((color, from_gtp(v, 9)) for color, v in ((1, "E5"), (2, "C3"), (1, "G7")))
    summary = play_match(RandomAgent(rng=0), fake("pass", log), games=2, size=9, max_moves=8, referee="none",
                         openings=[Opening("games.sgf#1", opening)], sgf_dir=tmp_path, progress=False)
    assert [g.opening for g in summary.results] == ["games.sgf#1", "games.sgf#1"]
    assert [g.agent_color for g in summary.results] == ["black", "white"]
    for game in summary.results:
        record = read_game(Path(game.sgf).read_bytes(), "g", allowed_sizes=(9,))
        assert record.moves[:3] == list(opening)
    sent = log.read_text().splitlines()
    assert sent.count("play black E5") == 2 and sent.count("play white C3") == 2
    first = sent.index("play black E5")
    assert sent[first - 1] == "clear_board" and sent[first + 1:first + 3] == ["play white C3", "play black G7"]


def test_worker_processes_give_the_same_summary(fake):
    serial = play_match(RandomAgent(rng=0), fake("resign"), games=3, size=9, referee="none", progress=False)
    parallel = play_match(None, fake("resign"), games=3, size=9, referee="none", jobs=2, progress=False,
                          agent_factory=functools.partial(random_agent, 0))
    assert parallel.to_dict() == serial.to_dict()


def test_a_dying_worker_loses_its_game_and_is_replaced(fake, tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as stream:
        summary = play_match(None, fake("pass"), games=3, size=9, max_moves=10, referee="none", jobs=2,
                             agent_factory=crashing_agent, progress=False, log=stream)
    assert summary.games == 3 and summary.losses == 3 and summary.agent_failures == 3
    assert [g.game for g in summary.results] == [1, 2, 3]
    assert all("worker process died (exit code 7)" in g.reason for g in summary.results)
    assert "counted as a loss" in log.read_text()


def test_a_worker_whose_opponent_dies_stops_the_match(fake):
    with pytest.raises(OpponentError, match="out of memory"):
        play_match(None, fake("die"), games=2, size=9, referee="none", jobs=2,
                   agent_factory=functools.partial(random_agent, 0), progress=False)


# --------------------------------------------------------------------------- against GNU Go


def test_match_against_gnugo_is_scored_by_the_referee(gnugo_path, model9, tmp_path):
    from goengine.nn.modelfile import load_model

    model, info = load_model(model9)
    agent = PolicyAgent(model, info, resign_threshold=None)
    summary = play_match(agent, f"{gnugo_path} --mode gtp --level 1", games=2, size=9, max_moves=16,
                         sgf_dir=tmp_path, progress=False)
    assert summary.games == 2 and summary.wins + summary.losses + summary.draws == 2
    assert summary.opponent.startswith("GNU Go") and "--chinese-rules" in summary.scoring
    assert [g.agent_color for g in summary.results] == ["black", "white"]
    for game in summary.results:
        assert game.reason in ("two passes", "move cap", "resignation")
        if game.reason != "resignation":
            assert game.referee_result is not None and game.result == game.referee_result
        record = read_game(Path(game.sgf).read_bytes(), "g", allowed_sizes=(9,))
        assert record.result == game.result and len(record.moves) == game.moves
        ours = record.black_player if game.agent_color == "black" else record.white_player
        assert ours == "goengine tiny9"
        if game.winner:
            assert game.agent_won == float(game.winner == game.agent_color)
    data = json.loads(json.dumps(summary.to_dict()))
    assert 0.0 <= data["win_rate_ci95"][0] <= data["win_rate"] <= data["win_rate_ci95"][1] <= 1.0


# --------------------------------------------------------------------------- the real command


def run_match(*args, timeout=300):
    """``python play.py match ARGS`` from the repository, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(REPO / "play.py"), "match", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_cli_opponent_false_is_an_error_not_a_win(model9):
    done = run_match("--opponent", "false", "--games", "2", "--model", model9)
    assert done.returncode == 1
    assert "exited (return code 1)" in done.stderr and "win rate" not in done.stdout


def test_cli_shows_gnu_gos_own_message_for_a_mistyped_option(gnugo_path, model9):
    done = run_match("--opponent", f"{gnugo_path} --mode gtp --levle 1", "--games", "2", "--model", model9)
    assert done.returncode == 1
    assert "unrecognized option" in done.stderr and "--levle" in done.stderr
    assert "win rate" not in done.stdout


def test_cli_opponent_dying_mid_game(fake, model9):
    done = run_match("--opponent", command(fake("die2")), "--games", "3", "--model", model9, "--max-moves", "6",
                     "--referee", "none", "--json")
    assert done.returncode == 1
    assert "game 2:" in done.stderr and "fake engine: out of memory" in done.stderr
    data = json.loads(done.stdout)
    assert data["games"] == 1 and "out of memory" in data["error"]


def test_cli_against_gnugo_with_the_default_referee(gnugo_path, model9, tmp_path):
    done = run_match("--opponent", f"{gnugo_path} --mode gtp --level 1", "--games", "2", "--model", model9,
                     "--max-moves", "12", "--no-resign", "--sgf-dir", tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["games"] == 2 and "--chinese-rules" in data["scoring"]
    assert all(g["referee_result"] == g["result"] for g in data["results"])
    assert (tmp_path / "game-002.sgf").exists()
    wrong_size = run_match("--opponent", f"{gnugo_path} --mode gtp", "--size", "19", "--model", model9)
    assert wrong_size.returncode == 1 and "9x9" in wrong_size.stderr


def test_cli_openings_and_jobs(fake, model9, tmp_path):
    games = tmp_path / "held-out"
    games.mkdir()
    for index, moves in enumerate(["ee;cc;gg;", "cg;gc;ee;", "ee;cc;gg;"]):  # the third repeats the first
        body = "".join(f";{'BW'[i % 2]}[{m}]" for i, m in enumerate(moves.rstrip(";").split(";")))
        (games / f"{index}.sgf").write_text(f"(;GM[1]SZ[9]KM[7.5]{body};W[aa])")
    done = run_match("--opponent", command(fake("pass")), "--games", "4", "--model", model9, "--max-moves", "8",
                     "--referee", "none", "--openings", games, "--opening-moves", "3", "--jobs", "2", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [g["game"] for g in data["results"]] == [1, 2, 3, 4]
    assert [Path(g["opening"]).name for g in data["results"]] == ["0.sgf", "0.sgf", "1.sgf", "1.sgf"]
    assert [g["agent_color"] for g in data["results"]] == ["black", "white"] * 2
    too_few = run_match("--opponent", command(fake("pass")), "--games", "6", "--model", model9,
                        "--openings", games, "--opening-moves", "3")
    assert too_few.returncode == 1 and "2 usable 9x9 openings" in too_few.stderr
    assert "same opening as an earlier game" in too_few.stderr


def test_cli_ctrl_c_stops_every_process(fake, model9):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "play.py"), "match", "--opponent", command(fake("slow")), "--games", "50",
         "--model", str(model9), "--referee", "none", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until both workers run their engines
        found = subprocess.run(["pgrep", "-g", str(proc.pid), "-f", "fake_gtp.py"], capture_output=True, text=True)
        if len(found.stdout.split()) >= 2:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted after" in err
    left = ["?"]
    for _ in range(50):  # multiprocessing's resource tracker leaves once it sees the parent gone
        left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.1)
    assert left == []
