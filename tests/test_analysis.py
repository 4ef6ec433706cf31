"""KataGo's JSON analysis protocol: ``play.py analysis`` driven over pipes the way KaTrain
drives KataGo, and the engine behind it with a stand-in analyzer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from goengine.board import Board
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.engine.analysis import Analysis, MoveInfo, RootInfo
from goengine.engine.agent import RandomAgent
from goengine.play.analysis import AnalysisEngine, QueryError, parse_query, policy_list

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def katrain_query(ident: str, moves, **extra) -> dict:
    """A query with every field KaTrain's engine.py sends."""
    query = {
        "id": ident, "rules": "japanese", "priority": 0, "analyzeTurns": [len(moves)], "maxVisits": 500,
        "komi": 6.5, "boardXSize": 9, "boardYSize": 9, "includeOwnership": False, "includeMovesOwnership": False,
        "includePolicy": True, "initialStones": [], "initialPlayer": "B", "moves": moves,
        "overrideSettings": {"reportAnalysisWinratesAs": "BLACK", "maxTime": 8.0, "wideRootNoise": 0.04},
    }
    query.update(extra)
    return query


class AnalysisProcess:
    """``python play.py analysis`` with its stdin held open, as a GUI holds it."""

    def __init__(self, model: Path, *args):
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "play.py"), "analysis", "--model", str(model), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )

    def send(self, query) -> None:
        self.proc.stdin.write((query if isinstance(query, str) else json.dumps(query)) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def ask(self, query, answers: int = 1) -> list[dict]:
        self.send(query)
        return [self.read() for _ in range(answers)]

    def close(self) -> tuple[int, str]:
        self.proc.stdin.close()
        code = self.proc.wait(timeout=60)
        return code, self.proc.stderr.read()


@pytest.fixture(scope="module")
def engine(model9):
    process = AnalysisProcess(model9, "--candidates", "4")
    yield process
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait()


def test_a_katrain_query_is_answered_by_id(engine):
    moves = [["B", "E5"], ["W", "C3"], ["B", "A9"]]
    (answer,) = engine.ask(katrain_query("QUERY:1", moves))
    assert answer["id"] == "QUERY:1" and answer["turnNumber"] == 3 and answer["isDuringSearch"] is False
    infos = answer["moveInfos"]
    assert 1 <= len(infos) <= 4 and [m["order"] for m in infos] == list(range(len(infos)))
    for info in infos:
        assert {"move", "visits", "winrate", "scoreLead", "prior", "order", "pv"} <= set(info)
        assert info["winrate"] == 0.5 and info["scoreLead"] == 0.0  # no value estimate: neutral everywhere
        assert info["pv"][0] == info["move"] and info["visits"] >= 1
    assert infos == sorted(infos, key=lambda m: -m["prior"])
    root = answer["rootInfo"]
    assert root["currentPlayer"] == "W" and root["winrate"] == 0.5 and root["visits"] == sum(m["visits"] for m in infos)
    policy = answer["policy"]
    assert len(policy) == 82 and policy[-1] == 0.0  # pass last; the network never proposes it
    for vertex in ("A9", "E5", "C3"):  # row-major from the top-left: A9 is index 0
        assert policy[from_gtp(vertex, 9)] == -1
    assert policy[0] == -1 and policy[8] != -1  # A9 taken, J9 free
    assert sum(p for p in policy if p > 0) == pytest.approx(1.0, abs=1e-4)
    assert infos[0]["prior"] == pytest.approx(max(policy), abs=1e-6)


def test_several_turns_and_perspectives(engine):
    moves = [["B", "E5"], ["W", "C3"]]
    answers = engine.ask(katrain_query("turns", moves, analyzeTurns=[0, 1, 2], includePolicy=False), answers=3)
    assert [a["turnNumber"] for a in answers] == [0, 1, 2]
    assert [a["rootInfo"]["currentPlayer"] for a in answers] == ["B", "W", "B"]
    assert all("policy" not in a for a in answers)
    (answer,) = engine.ask(katrain_query("xy", [["B", "(4,4)"], ["W", "pass"]], includePolicy=True))
    assert answer["policy"][4 * 9 + 4] == -1  # (x, y) from the top-left: E5


def test_errors_come_back_by_id_and_the_engine_goes_on(engine):
    (answer,) = engine.ask("this is not json")
    assert "error" in answer and "id" not in answer
    (answer,) = engine.ask("[1, 2]")
    assert "error" in answer and "id" not in answer
    cases = [
        (katrain_query("e1", [["B", "E5"], ["W", "E5"]]), "moves", "Illegal move 2"),
        (katrain_query("e2", [], rules="go-moku"), "rules", "unknown rules"),
        (katrain_query("e3", [], boardXSize=19, boardYSize=19), "boardXSize", "9x9"),
        (katrain_query("e4", [], boardYSize=7), "boardYSize", "square"),
        (katrain_query("e5", [["B", "E5"]], analyzeTurns=[2]), "analyzeTurns", "from 0 to 1"),
        (katrain_query("e6", [], komi=7.3), "komi", "half-integer"),
        (katrain_query("e7", [["B", "Z99"]]), "moves", "not a location"),
        (katrain_query("e8", [], initialStones=[["B", "A9"], ["W", "A8"], ["W", "B9"]]), "initialStones",
         "no liberties"),
        ({"id": "e9", "action": "dance"}, "action", "unknown action"),
        (katrain_query("e10", [["X", "E5"]]), "moves", "not a player"),
        (katrain_query("e11", [], maxVisits=0), "maxVisits", "at least 1"),
    ]
    for query, field, text in cases:
        (answer,) = engine.ask(query)
        assert answer["id"] == query["id"] and answer["field"] == field and text in answer["error"], answer
    query = katrain_query("e12", [])
    del query["boardXSize"]
    (answer,) = engine.ask(query)
    assert answer["field"] == "boardXSize" and "required" in answer["error"]
    (answer,) = engine.ask(katrain_query("after", [["B", "E5"]]))
    assert answer["id"] == "after" and answer["moveInfos"]


def test_warnings_then_the_answer(engine):
    answers = engine.ask(katrain_query("w", [], includeOwnership=True, colour="blue"), answers=3)
    assert [(a.get("field"), "warning" in a) for a in answers[:2]] == [("includeOwnership", True), ("colour", True)]
    assert answers[2]["id"] == "w" and "moveInfos" in answers[2] and "ownership" not in answers[2]


def test_actions_are_echoed(engine):
    (answer,) = engine.ask({"id": "v", "action": "query_version"})
    assert answer["action"] == "query_version" and answer["version"] and answer["id"] == "v"
    query = {"id": "t", "action": "terminate", "terminateId": "QUERY:1"}
    (answer,) = engine.ask(query)
    assert answer == query


def test_end_of_input_ends_the_engine_cleanly(model9):
    process = AnalysisProcess(model9)
    (answer,) = process.ask(katrain_query("only", []))
    assert answer["id"] == "only"
    code, stderr = process.close()
    assert code == 0 and "no value estimate" in stderr


# --------------------------------------------------------------------------- the engine itself


class FixedAnalyzer:
    """Says the side to move wins 70% with E5, whatever the position."""

    def __init__(self, visits: int):
        self.visits = visits

    def analyze(self, board, color, max_moves, deadline=None):
        move = MoveInfo(from_gtp("E5", 9), self.visits, 0.7, 0.9, (from_gtp("E5", 9),), 0)
        return Analysis(color, RootInfo(0.7, self.visits), (move,))


def answers_for(query: dict, analyzer_for=FixedAnalyzer) -> list[dict]:
    engine = AnalysisEngine(RandomAgent(rng=0), analyzer_for)
    return list(engine.handle_line(json.dumps(query)))


def test_the_analyzer_is_replaceable_and_max_visits_reaches_it():
    (answer,) = answers_for(katrain_query("a", [["B", "E5"]], maxVisits=77))
    assert answer["moveInfos"][0]["visits"] == 77 and answer["rootInfo"]["visits"] == 77


@pytest.mark.parametrize("perspective, to_play_moves, expected", [
    ("BLACK", [], 0.7), ("BLACK", [["B", "C3"]], 0.3), ("WHITE", [], 0.3),
    ("SIDETOMOVE", [["B", "C3"]], 0.7),
])
def test_winrates_from_the_side_asked_for(perspective, to_play_moves, expected):
    query = katrain_query("p", to_play_moves, overrideSettings={"reportAnalysisWinratesAs": perspective})
    (answer,) = answers_for(query)
    assert answer["rootInfo"]["winrate"] == pytest.approx(expected)
    assert answer["moveInfos"][0]["winrate"] == pytest.approx(expected)


def test_a_crashing_analyzer_is_an_error_not_an_exit():
    class Broken:
        def analyze(self, *args):
            raise RuntimeError("boom")

    (answer,) = answers_for(katrain_query("x", []), analyzer_for=lambda visits: Broken())
    assert answer == {"error": "internal error: RuntimeError: boom", "id": "x"}


def test_policy_list_is_the_agents_policy_on_legal_points(model9):
    from goengine.engine.agent import load_agent

    agent = load_agent(model9)
    board = Board(9)
    board.play(from_gtp("E5", 9))
    values = np.array(policy_list(agent, board, WHITE))
    probabilities = agent.probabilities(board, WHITE)
    legal = board.legal_mask(WHITE)
    assert values.shape == (82,) and values[81] == 0.0
    assert np.all(values[:81][~legal] == -1)
    assert np.allclose(values[:81][legal], probabilities[legal], rtol=1e-5)


def test_parse_query_defaults():
    query = parse_query({"id": "d", "moves": [["W", "D4"]], "rules": "chinese", "boardXSize": 9, "boardYSize": 9})
    assert query.turns == [1] and query.komi == 7.5 and query.max_visits == 1000 and not query.include_policy
    assert query.perspective == "BLACK" and query.record().first_player == WHITE
    with pytest.raises(QueryError) as caught:
        parse_query({"id": "d", "moves": [], "boardXSize": 9, "boardYSize": 9})
    assert caught.value.field == "rules"
    assert parse_query({"id": "e", "moves": [], "rules": "aga", "boardXSize": 9, "boardYSize": 9,
                        "initialPlayer": "W"}).record().first_player == WHITE
    assert BLACK == parse_query({"id": "f", "moves": [], "rules": "aga", "boardXSize": 9,
                                 "boardYSize": 9}).record().first_player
