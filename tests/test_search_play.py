"""The search behind the other front doors: the gymnasium environment's searching opponent,
self-play SGF with the root visit counts, ``human``/``selfplay`` options, and
``play.py gtp --playouts/--time`` playing whole games through the match code.
Tiny 9x9 networks."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from click.testing import CliRunner
from sgfmill import sgf

from goengine.board import Board
from goengine.coords import from_sgf
from goengine.engine.agent import RandomAgent
from goengine.engine.search import SearchAgent
from goengine.play.registration import ENV_ID, register_envs
from goengine.sgf import GameRecord, read_game, write_sgf
from goengine.sgf.visits import VISITS_PROPERTY, format_visits, parse_visits

register_envs()
pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py
TINY_MODEL = {"point_bias": True}  # model9 (tests/conftest.py): distinct priors
REPO = Path(__file__).resolve().parents[1]


def searcher(model, **options):
    options.setdefault("resign_threshold", None)
    options.setdefault("early_stop", False)
    return SearchAgent.from_model(model, **options)


def visits_per_move(path: Path) -> list[np.ndarray | None]:
    """The GV counts of every move node of an SGF file, read with sgfmill (None: no GV)."""
    game = sgf.Sgf_game.from_bytes(path.read_bytes())
    size = game.get_size()
    nodes = game.get_main_sequence()[1:]
    return [parse_visits(node.get(VISITS_PROPERTY), size) if node.has_property(VISITS_PROPERTY) else None
            for node in nodes]


# ------------------------------------------------------------------- the environment


def play_random_episode(env, seed=0):
    rng = np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    steps = 0
    while True:
        action = int(rng.choice(np.flatnonzero(info["action_mask"][:-1]))) if info["action_mask"][:-1].any() else 81
        _, reward, terminated, truncated, info = env.step(action)
        steps += 1
        if terminated or truncated:
            return reward, terminated, truncated, info, steps


def test_env_with_a_searching_opponent_completes_an_episode(model9):
    env = gym.make(ENV_ID, size=9, feature_set="simple", opponent="search", opponent_model=str(model9),
                   opponent_playouts=12, agent_color="white", max_moves=60)
    opponent = env.unwrapped.opponent
    assert isinstance(opponent, SearchAgent) and opponent.config.playouts == 12
    reward, terminated, truncated, info, steps = play_random_episode(env)
    assert terminated or truncated
    assert reward in (-1.0, 0.0, 1.0) and info["result"]
    assert opponent.last_result is None or 0 < opponent.last_result.playouts <= 12
    assert env.unwrapped.game.move_number <= 60 and steps >= 1
    env.reset(seed=1)  # the opponent plays black: its first move comes from a fresh tree
    assert opponent.search.root.board.move_number == 0 and 1 < opponent.last_result.root_visits <= 12 + 1
    env.close()


def test_env_takes_a_search_agent_object_and_resets_its_tree(model9):
    agent = searcher(model9, playouts=8)
    env = gym.make(ENV_ID, size=9, feature_set="simple", opponent=agent, agent_color="black", max_moves=20)
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step(40)
    assert agent.last_result is not None and agent.search.root is not None
    env.reset(seed=0)
    assert agent.search.root is None  # reset at the episode's start (black moves first: no search yet)
    env.close()


# ------------------------------------------------------------------- the GV property


def test_visit_counts_round_trip_through_the_gv_text():
    counts = np.zeros(82, np.int64)
    counts[[0, 40, 80, 81]] = [3, 20, 1, 2]
    text = format_visits(counts, 9)
    assert text == "ee:20 aa:3 pass:2 ii:1"
    assert np.array_equal(parse_visits(text, 9), counts)
    assert parse_visits("", 9).sum() == 0
    for bad in ("ee", "ee:x", "zz:3", "tt:1", "e:1"):
        with pytest.raises(ValueError):
            parse_visits(bad, 9)
    with pytest.raises(ValueError):
        format_visits(np.zeros(81), 9)


def test_sgf_writer_adds_properties_to_move_nodes():
    record = GameRecord(size=9, komi=7.5, moves=[(1, 40), (2, 81)], result="")
    text = write_sgf(record, move_properties=[{"GV": "ee:5"}, {}])
    game = sgf.Sgf_game.from_bytes(text.encode())
    first, second = game.get_main_sequence()[1:]
    assert first.get("GV") == "ee:5" and not second.has_property("GV")
    assert read_game(text.encode(), "x.sgf", allowed_sizes=(9,)).moves == record.moves
    with pytest.raises(ValueError):
        write_sgf(record, move_properties=[{"GV": "ee:5"}])  # one per move
    with pytest.raises(ValueError):
        write_sgf(record, move_properties=[{"B": "dd"}, {}])  # the move's own property
    with pytest.raises(ValueError):
        write_sgf(record, move_properties=[{"gv": "x"}, {}])


# ------------------------------------------------------------------- self-play


def test_search_selfplay_records_the_root_visits_of_every_move(model9, tmp_path):
    from goengine.play.selfplay import run_selfplay

    agent = searcher(model9, playouts=12)
    paths = run_selfplay(agent, 2, tmp_path, temperature=1.0, max_moves=30, seed=3, progress=False)
    assert len(paths) == 2
    records = [read_game(path.read_bytes(), path.name, allowed_sizes=(9,)) for path in paths]
    assert records[0].moves != records[1].moves  # sampled by visits: the games differ
    for path, record in zip(paths, records):
        Board.from_record(record)  # every move legal
        visits = visits_per_move(path)
        assert len(visits) == len(record.moves) and record.result
        searched = [(counts, move) for counts, (_, move) in zip(visits, record.moves) if counts is not None]
        assert len(searched) >= len(record.moves) - 1  # only a pass that ends a won game is unsearched
        for counts, move in searched:
            # the new playouts plus the visits the tree kept from the move before; the move
            # played is one the search visited
            assert counts.sum() >= 12 and counts[move] > 0


def test_selfplay_cli_with_playouts(model9, tmp_path):
    from goengine.play.cli import selfplay

    out = tmp_path / "games"
    result = CliRunner().invoke(selfplay, ["--games", "1", "--out", str(out), "--model", str(model9),
                                           "--max-moves", "12", "--playouts", "6", "--seed", "0"])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("selfplay-*.sgf")
    visits = visits_per_move(path)
    assert len(visits) == 12 and all(v is not None and v.sum() >= 6 for v in visits)


def test_human_cli_plays_against_the_search(model9, tmp_path):
    from goengine.play.cli import human

    sgf_path = tmp_path / "human.sgf"
    result = CliRunner().invoke(human, ["--model", str(model9), "--size", "9", "--sgf-out", str(sgf_path),
                                        "--playouts", "8", "--no-resign"], input="e5\nhint\nd4\npass\npass\n")
    assert result.exit_code == 0, result.output
    assert "Hints:" in result.output and sgf_path.exists()
    record = read_game(sgf_path.read_bytes(), "human.sgf", allowed_sizes=(9,))
    assert len(record.moves) >= 4 and record.moves[0] == (1, from_sgf("ee", 9))


# ------------------------------------------------------------------- play.py gtp in matches


def gtp_command(model, *options: str) -> str:
    return shlex.join([sys.executable, str(REPO / "play.py"), "gtp", "--model", str(model), "--threads", "1",
                       *options])


def play_gtp_games(model, tmp_path, games, options, max_moves=None):
    """``games`` games of a random player against ``play.py gtp OPTIONS``, driven by the
    match code (which stops with OpponentError at any illegal move or protocol fault)."""
    from goengine.play.match import play_match

    summary = play_match(RandomAgent(rng=0), gtp_command(model, *options), games, size=9, komi=7.5,
                         max_moves=max_moves, sgf_dir=tmp_path, referee="opponent", progress=False,
                         log=sys.stderr)
    assert summary.games == games and not summary.agent_failures
    records = [read_game(p.read_bytes(), p.name, allowed_sizes=(9,)) for p in sorted(tmp_path.glob("*.sgf"))]
    assert len(records) == games
    for record in records:
        Board.from_record(record)  # every move legal
        assert record.result
    return summary, records


def test_gtp_with_playouts_plays_complete_games_in_a_match(model9, tmp_path):
    summary, records = play_gtp_games(model9, tmp_path, 2, ["--playouts", "32"])
    assert [game.agent_color for game in summary.results] == ["black", "white"]  # the engine played both
    for game, record in zip(summary.results, records):
        assert game.reason in ("two passes", "resignation", "move cap") and len(record.moves) > 20


def test_gtp_with_time_plays_complete_games_in_a_match(model9, tmp_path):
    started = time.monotonic()
    summary, records = play_gtp_games(model9, tmp_path, 1, ["--time", "0.05"])
    engine_moves = (len(records[0].moves) + 1) // 2
    assert time.monotonic() - started < 15 + engine_moves * 0.2  # each move near its 0.05 s
    (game,) = summary.results
    assert game.reason in ("two passes", "resignation", "move cap")


def test_gtp_with_one_second_per_move(model9, tmp_path):
    started = time.monotonic()
    summary, records = play_gtp_games(model9, tmp_path, 1, ["--time", "1"], max_moves=6)
    assert len(records[0].moves) == 6 and summary.results[0].reason == "move cap"
    assert time.monotonic() - started < 15 + 3 * 1.5  # three engine moves of at most about a second

