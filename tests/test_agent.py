"""PolicyAgent / RandomAgent: legal moves only, no own-eye filling, pass, resign, sizes."""

from __future__ import annotations

import numpy as np
import pytest

from goengine.board import Board
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.nn.modelfile import load_model
from goengine.engine.agent import (
    RESIGN,
    BoardSizeError,
    ModelNotFoundError,
    PolicyAgent,
    RandomAgent,
    load_agent,
    masked_softmax,
    require_size,
    resolve_model_path,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

# model9 / model19 (tests/conftest.py): a non-uniform per-point bias so the choices are not all ties
TINY_MODEL = {"point_bias": True, "info": {"note": "untrained test model"}}


def agent_for(path, **kwargs):
    model, info = load_model(path)
    return PolicyAgent(model, info, **kwargs)


def eye_board():
    """9x9, black everywhere except five single-point eyes; black to play."""
    board = Board(9, komi=7.5)
    eyes = {from_gtp(v, 9) for v in ("B2", "H2", "B8", "H8", "E5")}
    board.setup(black=[p for p in range(81) if p not in eyes])
    return board, eyes


def test_probabilities_are_a_distribution_over_legal_points(model9):
    agent = agent_for(model9)
    board = Board(9)
    for vertex in ("D4", "E5", "C3"):
        board.play(from_gtp(vertex, 9))
    probs = agent.probabilities(board)
    assert probs.shape == (81,)
    assert probs.sum() == pytest.approx(1.0)
    legal = board.legal_mask()
    assert np.all(probs[~legal] == 0)
    assert np.all(probs[legal] > 0)


def test_masked_softmax_handles_empty_mask():
    out = masked_softmax(np.zeros(4, np.float32), np.zeros(4, bool))
    assert out.sum() == 0


def test_greedy_move_is_the_most_probable_legal_point(model9):
    agent = agent_for(model9)
    board = Board(9)
    move = agent.select_move(board)
    assert move == int(np.argmax(agent.probabilities(board)))
    top = agent.top_moves(board, 3)
    assert len(top) == 3 and top[0][0] == move
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_whole_games_only_legal_moves_never_own_eyes(model9):
    for agent in (agent_for(model9, temperature=1.0, rng=1, resign_threshold=None), RandomAgent(rng=2)):
        board = Board(9)
        while board.consecutive_passes < 2 and board.move_number < 200:
            color = board.to_play
            move = agent.select_move(board)
            assert move != RESIGN
            if move != board.pass_point:
                assert board.is_legal(move)
                assert not board.is_eye(move, color)
            board.play(move)
        assert board.move_number > 20


def test_passes_when_only_own_eyes_are_left(model9):
    board, eyes = eye_board()
    assert all(board.is_legal(p) for p in eyes)  # filling them is legal, just pointless
    assert agent_for(model9).select_move(board) == board.pass_point
    assert agent_for(model9, temperature=2.0, rng=0).select_move(board) == board.pass_point
    assert RandomAgent(rng=0).select_move(board) == board.pass_point


def test_plays_a_non_eye_point_when_there_is_one(model9):
    board = Board(9)
    open_points = {from_gtp("E9", 9), from_gtp("F9", 9)}
    board.setup(black=[p for p in range(81) if p not in open_points | {from_gtp("E5", 9)}])
    move = agent_for(model9).select_move(board)
    assert move in open_points


def test_resigns_only_when_clearly_lost_and_allowed(model9):
    board = Board(9, komi=7.5)
    board.setup(white=[p for p in range(81) if p // 9 < 6])  # white owns two thirds of the board
    board.play(from_gtp("E2", 9), BLACK)
    board.play(from_gtp("pass", 9), WHITE)
    assert board.to_play == BLACK
    assert agent_for(model9, resign_threshold=10, resign_min_moves=0).select_move(board) == RESIGN
    assert agent_for(model9, resign_threshold=None).select_move(board) != RESIGN
    assert agent_for(model9, resign_threshold=10, resign_min_moves=50).select_move(board) != RESIGN
    # the default: a quarter of the board (20.25 points on 9x9) after 40 moves
    assert agent_for(model9).should_resign(board) is False


def test_passes_after_opponent_pass_when_already_winning(model9):
    board = Board(9, komi=7.5)
    board.play(board.pass_point)  # black passes on an empty board: white wins by komi
    assert agent_for(model9).select_move(board) == board.pass_point
    assert agent_for(model9, pass_when_winning=False).select_move(board) != board.pass_point
    board2 = Board(9, komi=7.5)
    board2.setup(black=[p for p in range(81) if p // 9 >= 6])
    board2.play(board2.pass_point, BLACK)  # white is far behind by area: it keeps playing
    assert board2.to_play == WHITE
    assert agent_for(model9).select_move(board2) != board2.pass_point


def test_move_for_the_colour_not_to_play(model9):
    agent = agent_for(model9)
    board = Board(9)
    board.play(from_gtp("E5", 9))
    move = agent.select_move(board, BLACK)  # GTP allows genmove for either colour
    assert move != board.pass_point and board.is_legal(move, BLACK)


def test_batch_selection_matches_single(model9):
    agent = agent_for(model9)
    boards = [Board(9), Board(9)]
    boards[1].play(from_gtp("C3", 9))
    batch = agent.select_moves(boards)
    assert batch == [agent.select_move(b) for b in boards]


def test_principal_variation_is_a_legal_line(model9):
    agent = agent_for(model9)
    board = Board(9)
    first = agent.select_move(board)
    line = agent.principal_variation(board, first, 5)
    assert line[0] == first and len(line) == 5
    work = board.copy()
    for move in line:
        assert work.is_legal(move)
        work.play(move)


def test_board_size_must_match_the_model(model9, model19):
    agent19 = agent_for(model19)
    assert agent19.supports_size(19) and not agent19.supports_size(9)
    with pytest.raises(BoardSizeError, match="19x19"):
        agent19.select_move(Board(9))
    with pytest.raises(BoardSizeError):
        agent_for(model9).probabilities(Board(19))
    move = agent19.select_move(Board(19))
    assert 0 <= move < 361


def test_require_size_is_the_one_size_check(model9):
    agent9 = agent_for(model9)
    require_size(agent9, 9)
    require_size(RandomAgent(), 13)  # plays any size
    with pytest.raises(BoardSizeError, match="plays on 9x9 boards only .*cannot play 13x13"):
        require_size(agent9, 13)
    with pytest.raises(BoardSizeError) as from_the_agent:
        agent9.select_move(Board(13))
    assert str(from_the_agent.value) == "the model plays on 9x9 boards only (its output layer has a bias per " \
                                       "board point); it cannot play 13x13"


def test_missing_default_model_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("GOENGINE_MODEL", str(tmp_path / "nope.safetensors"))
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model_path()
    with pytest.raises(ModelNotFoundError):
        load_agent()
    with pytest.raises(ModelNotFoundError, match="not found"):
        load_agent(tmp_path / "missing.safetensors")


def test_load_agent_from_a_file(model9):
    agent = load_agent(model9, temperature=0.5, rng=3)
    assert agent.board_size == 9 and agent.feature_set.name == "simple"
    assert agent.name == "tiny9"
