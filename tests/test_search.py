"""PUCT search: selection formula, backup signs, virtual loss, tree reuse, budgets, pass and
resignation, legality, and the network evaluator.  Tiny boards, a scripted evaluator, tiny nets."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from goengine.board import Board
from goengine.coords import BLACK, WHITE, from_rc
from goengine.engine.evaluator import (
    PASS_PRIOR_AFTER_PASS,
    PASS_PRIOR_LATE,
    PASS_PRIOR_MIN,
    NetworkEvaluator,
    area_value,
    pass_prior,
    priors_with_pass,
)
from goengine.engine.search import (
    Node,
    Search,
    SearchAgent,
    SearchConfig,
    own_eyes,
    puct_scores,
    winrate,
)
from goengine.nn.modelfile import load_model
from goengine.engine.agent import RESIGN, BoardSizeError, PolicyAgent

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

# model9 (tests/conftest.py): a per-point bias so the network's choices are not all ties
TINY_MODEL = {"point_bias": True}


class ScriptedEvaluator:
    """An evaluator whose priors and values the test chooses.

    ``logits(board)`` -> float [N*N] (default flat) gives the priors over the legal points,
    with the real ``pass_prior`` (or ``pass_probability``); ``value(board)`` -> float from the
    side to move (default 0).  Every batch is recorded as the list of its boards' hashes.
    """

    def __init__(self, size, logits=None, value=None, pass_probability=None, delay=0.0):
        self.board_size = size
        self.logits = logits or (lambda board: np.zeros(board.pass_point, np.float32))
        self.value = value or (lambda board: 0.0)
        self.pass_probability = pass_probability
        self.delay = delay
        self.batches: list[list[int]] = []

    def supports_size(self, size):
        return size == self.board_size

    def evaluate(self, boards):
        self.batches.append([board.zobrist for board in boards])
        if self.delay:
            time.sleep(self.delay)
        priors = [priors_with_pass(self.logits(board), board.legal_mask(),
                                   self.pass_probability or pass_prior(board)) for board in boards]
        return np.stack(priors), np.array([self.value(board) for board in boards], np.float32)


def agent(evaluator, **options):
    options.setdefault("resign_threshold", None)
    return SearchAgent(evaluator, SearchConfig(**options), rng=0)


def favour(point):
    """Logits that put nearly all the prior on ``point`` (when it is legal)."""
    def logits(board):
        out = np.zeros(board.pass_point, np.float32)
        out[point] = 20.0
        return out
    return logits


def black_area_board(size=5, komi=0.5):
    """Black stones down the middle column, nothing else: black owns the board by area."""
    board = Board(size, komi=komi)
    board.setup(black=[from_rc(row, size // 2, size) for row in range(size)])
    return board


def white_area_board(size=5, komi=0.5):
    board = Board(size, komi=komi)
    board.setup(white=[from_rc(row, size // 2, size) for row in range(size)])
    return board


def all_nodes(node):
    yield node
    if node.expanded:
        for child in node.children.values():
            yield from all_nodes(child)


def expanded_with_boards(root):
    """Every expanded node with its position, rebuilt from the root's board (only the root keeps one)."""
    stack = [(root, root.board)]
    while stack:
        node, board = stack.pop()
        if node.expanded:
            yield node, board
            for index, child in node.children.items():
                after = board.copy()
                after.play(int(node.moves[index]))
                stack.append((child, after))


# --------------------------------------------------------------------------- selection


def hand_made_node(priors, visits, value_sums, node_visits, node_value_sum):
    node = Node(Board(5))
    node.moves = np.arange(len(priors))
    node.priors = np.array(priors, dtype=np.float64)
    node.child_visits = np.array(visits, dtype=np.float64)
    node.child_value = np.array(value_sums, dtype=np.float64)
    node.children = {}
    node.visits, node.value_sum = node_visits, node_value_sum
    return node


def test_puct_scores_follow_q_plus_u_with_first_play_value():
    node = hand_made_node([0.5, 0.3, 0.2], [2, 1, 0], [0.4, 0.6, 0.0], node_visits=4, node_value_sum=1.0)
    c_puct, reduction = 1.5, 0.25
    root_n = math.sqrt(3)
    first_play = 1.0 / 4 - reduction * math.sqrt(0.5 + 0.3)  # parent Q minus the reduction
    expected = [
        0.4 / 2 + c_puct * 0.5 * root_n / 3,
        0.6 / 1 + c_puct * 0.3 * root_n / 2,
        first_play + c_puct * 0.2 * root_n / 1,
    ]
    assert puct_scores(node, c_puct, reduction) == pytest.approx(expected)
    search = Search(ScriptedEvaluator(5), SearchConfig(c_puct=c_puct, fpu_reduction=reduction))
    search.root = node
    path, _ = search._select()
    assert path[0] == (node, 1)  # the largest Q + U


def test_a_node_without_visited_moves_follows_its_priors():
    node = hand_made_node([0.2, 0.7, 0.1], [0, 0, 0], [0, 0, 0], node_visits=1, node_value_sum=-0.4)
    scores = puct_scores(node, 1.0, 0.25)
    # no explored prior mass: first-play value is the node's own Q, U uses sqrt(max(N, 1)) = 1
    assert scores == pytest.approx([-0.4 + 0.2, -0.4 + 0.7, -0.4 + 0.1])


# --------------------------------------------------------------------------- backup


def test_backup_flips_the_sign_at_every_ply():
    # value +0.5 whenever black is to move, +0.3 whenever white is: both sides "like" their
    # positions, so every sign on the way up is visible
    evaluator = ScriptedEvaluator(5, logits=favour(0), value=lambda b: 0.5 if b.to_play == BLACK else 0.3)
    search = Search(evaluator, SearchConfig(batch_size=1, c_puct=1.5))
    root = search.set_root(Board(5))
    search.run(playouts=2)
    a = int(np.argmax(root.child_visits))
    child = root.children[a]
    assert root.moves[a] == 0 and root.child_visits[a] == 2
    grandchild = child.children[int(np.argmax(child.child_visits))]
    assert grandchild.value_sum == pytest.approx(0.5) and grandchild.board is None  # expanded: board dropped
    assert child.value_sum == pytest.approx(0.3 - 0.5)             # white's view: its own 0.3, then black's 0.5
    assert child.child_value.sum() == pytest.approx(-0.5)
    assert root.child_value[a] == pytest.approx(-0.3 + 0.5)        # black's view
    assert root.value_sum == pytest.approx(0.5 - 0.3 + 0.5) and root.visits == 3
    assert search.result().moves[0].winrate == pytest.approx(winrate(0.1))


def test_two_passes_back_up_the_exact_result():
    board = white_area_board()
    board.play(board.pass_point, BLACK)  # white to move after black's pass; white wins by area
    evaluator = ScriptedEvaluator(5, value=lambda b: -0.9)  # the "network" thinks everyone is lost
    search = Search(evaluator, SearchConfig(batch_size=4))
    root = search.set_root(board)
    search.run(playouts=60)
    pass_index = root.moves.size - 1
    assert root.child_visits[pass_index] > 0
    assert root.children[pass_index].terminal == -1.0  # black to move after two passes, black lost
    assert root.child_value[pass_index] / root.child_visits[pass_index] == pytest.approx(1.0)


# --------------------------------------------------------------------------- batches


def test_virtual_loss_spreads_a_batch_over_different_leaves():
    evaluator = ScriptedEvaluator(7)
    search = Search(evaluator, SearchConfig(batch_size=8))
    root = search.set_root(Board(7))
    search.run(playouts=32)
    first, *rest = evaluator.batches
    assert len(first) == 1  # the root
    assert len(rest[0]) == 8 and len(set(rest[0])) == 8
    # every virtual loss was taken back: visits are whole and add up
    assert root.visits == 1 + 32 and root.child_visits.sum() == 32
    for node in all_nodes(root):
        assert not node.pending
        if node.expanded:
            assert np.all(node.child_visits == np.rint(node.child_visits))
            assert node.child_visits.sum() == node.visits - 1


def test_without_virtual_loss_a_batch_stops_at_the_first_repeated_leaf():
    evaluator = ScriptedEvaluator(7)
    search = Search(evaluator, SearchConfig(batch_size=8, virtual_loss=0.0))
    search.set_root(Board(7))
    search.run(playouts=4)
    assert [len(batch) for batch in evaluator.batches] == [1, 1, 1, 1, 1]


# --------------------------------------------------------------------------- tree reuse


def test_tree_reuse_keeps_the_subtree_after_our_move_and_the_reply():
    # priors falling by e per point: the search reads a few lines deeply
    evaluator = ScriptedEvaluator(7, logits=lambda b: -np.arange(b.pass_point, dtype=np.float32), value=lambda b: 0.1)
    player = agent(evaluator, playouts=200, early_stop=False)
    board = Board(7)
    move = player.select_move(board)
    ours = player.search.root.child_for(move)
    board.play(move)
    reply = int(ours.moves[ours.ranked()[0]])
    kept = ours.child_for(reply)
    visits_before = kept.visits
    assert visits_before > 1
    board.play(reply)
    player.select_move(board, playouts=20)
    assert player.search.root is kept
    assert player.last_result.root_visits == visits_before + 20


def test_tree_is_dropped_when_the_game_went_elsewhere():
    player = agent(ScriptedEvaluator(7), playouts=50)
    board = Board(7)
    board.play(player.select_move(board))
    assert player.analyze(board, playouts=10).root_visits > 1 + 10  # reused: our move's subtree
    fresh = 1 + 10
    assert player.analyze(Board(7), playouts=10).root_visits == fresh  # the move was taken back
    assert player.analyze(Board(7, komi=6.5), playouts=10).root_visits == fresh  # other rules
    assert player.analyze(Board(7), playouts=10).root_visits == fresh
    with_stones = Board(7)
    with_stones.setup(black=[from_rc(3, 3, 7)])
    assert player.analyze(with_stones, playouts=10).root_visits == fresh  # same (no) moves, other stones


def test_only_the_root_keeps_a_board_and_the_tree_stops_at_its_visit_cap():
    player = agent(ScriptedEvaluator(7), playouts=200, max_tree_visits=60)
    result = player.analyze(Board(7))
    root = player.search.root
    assert result.root_visits == 60 and result.playouts == 59
    assert root.board is not None
    assert all(node.board is None for node in all_nodes(root) if node is not root)


# --------------------------------------------------------------------------- budgets


def test_seconds_budget_is_honoured():
    player = agent(ScriptedEvaluator(7, delay=0.01), playouts=None, seconds=0.4, batch_size=4)
    player.analyze(Board(7), playouts=4)  # the rules' numba kernels load on first use (~1 s)
    player.reset()
    started = time.monotonic()
    result = player.analyze(Board(7))
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed <= 0.4 + 0.15
    assert result.seconds <= 0.4 + 0.15 and result.playouts > 4
    player.reset()
    started = time.monotonic()
    player.select_move(Board(7), seconds=0.2)  # the per-move override the GTP clock will use
    assert time.monotonic() - started <= 0.2 + 0.15
    assert player.last_result.playouts > 4


def test_search_stops_early_when_the_best_move_is_settled():
    evaluator = ScriptedEvaluator(7, logits=favour(from_rc(3, 3, 7)), value=lambda b: 0.0)
    player = agent(evaluator, playouts=400)
    move = player.select_move(Board(7))
    assert move == from_rc(3, 3, 7)
    assert player.last_result.playouts < 400
    player.analyze(Board(7), playouts=400)  # analysis runs its budget out
    assert player.last_result.playouts == 400


def test_stop_callback_ends_an_open_ended_analysis():
    evaluator = ScriptedEvaluator(7)
    player = agent(evaluator, playouts=None, seconds=30)
    result = player.analyze(Board(7), stop=lambda: len(evaluator.batches) >= 4)
    assert len(evaluator.batches) == 4 and result.playouts == 3 * 8


def test_config_needs_a_budget():
    with pytest.raises(ValueError, match="budget"):
        SearchConfig(playouts=None, seconds=None)
    with pytest.raises(ValueError):
        SearchConfig(batch_size=0)


# --------------------------------------------------------------------------- pass and resignation


def test_passes_after_the_opponents_pass_when_the_area_score_wins():
    board = black_area_board()
    board.play(board.pass_point, WHITE)
    evaluator = ScriptedEvaluator(5)
    assert agent(evaluator).select_move(board) == board.pass_point
    assert evaluator.batches == []  # no search needed: passing ends the game with a win


def test_never_passes_a_lost_position_while_a_move_exists():
    # a "network" that loves passing: one playout goes to pass, so the search itself prefers it
    player = agent(ScriptedEvaluator(5, pass_probability=0.9), playouts=1)
    losing = white_area_board()
    move = player.select_move(losing)
    assert player.last_result.moves[0].move == losing.pass_point
    assert move != losing.pass_point and losing.is_legal(move)
    winning = black_area_board()
    assert player.select_move(winning) == winning.pass_point  # passing is fine while it wins


def test_cleanup_mode_does_not_pass_while_moves_exist():
    board = black_area_board()
    board.play(board.pass_point, WHITE)
    move = agent(ScriptedEvaluator(5), playouts=16).select_move(board, allow_early_pass=False)
    assert move != board.pass_point and board.is_legal(move)


def test_never_fills_its_own_eyes():
    board = Board(5)
    eyes = {from_rc(1, 1, 5), from_rc(3, 3, 5), from_rc(1, 3, 5)}
    board.setup(black=[p for p in range(25) if p not in eyes])
    assert set(np.flatnonzero(own_eyes(board, BLACK))) == eyes
    player = agent(ScriptedEvaluator(5), playouts=16)
    assert player.select_move(board) == board.pass_point
    assert player.select_move(board, allow_early_pass=False) == board.pass_point


def test_resigns_only_below_the_threshold_and_after_the_minimum_moves():
    evaluator = ScriptedEvaluator(5, value=lambda b: -0.95 if b.to_play == BLACK else 0.95)  # black is lost
    board = Board(5)
    assert agent(evaluator, playouts=16, resign_threshold=0.1, resign_min_moves=0).select_move(board) == RESIGN
    assert agent(evaluator, playouts=16, resign_threshold=None).select_move(board) != RESIGN
    assert agent(evaluator, playouts=16, resign_threshold=0.1, resign_min_moves=4).select_move(board) != RESIGN
    white_to_move = Board(5)
    white_to_move.play(from_rc(0, 0, 5))
    assert agent(evaluator, playouts=16, resign_threshold=0.1, resign_min_moves=0).select_move(white_to_move) != RESIGN
    assert agent(evaluator, playouts=16, resign_threshold=0.1, resign_min_moves=0).select_move(
        board, allow_resign=False) != RESIGN


# --------------------------------------------------------------------------- legality


def ko_shape(size, superko):
    """A ko in the top-left corner area: black can take the white stone at (2, 2) by playing (2, 3)."""
    board = Board(size, superko=superko)
    board.setup(black=[from_rc(1, 2, size), from_rc(3, 2, size), from_rc(2, 1, size)],
                white=[from_rc(1, 3, size), from_rc(3, 3, size), from_rc(2, 4, size), from_rc(2, 2, size)])
    return board


def test_ko_recapture_is_never_a_child():
    board = ko_shape(7, superko=False)
    board.play(from_rc(2, 3, 7))  # black takes the ko
    player = agent(ScriptedEvaluator(7), playouts=8)
    player.analyze(board)
    assert from_rc(2, 2, 7) not in player.search.root.moves


def test_superko_repetition_is_never_a_child(model9):
    """With superko on, retaking a ko after passes repeats a position: the network evaluator's
    priors (hence the children) leave it out; with simple ko it is a legal child."""
    model, info = load_model(model9)
    for superko, expected in ((True, False), (False, True)):
        board = ko_shape(9, superko)
        board.setup(black=[from_rc(2, 3, 9)], empty=[from_rc(2, 2, 9)])  # as if black had taken it
        board.play(board.pass_point, BLACK)  # white to move, the ko point lapsed
        player = SearchAgent(NetworkEvaluator.from_model(model, info), SearchConfig(playouts=8))
        player.analyze(board)
        assert (from_rc(2, 2, 9) in player.search.root.moves) is expected


def test_a_searched_random_game_plays_only_legal_moves():
    rng = np.random.default_rng(7)
    evaluator = ScriptedEvaluator(5, logits=lambda b: rng.normal(size=b.pass_point).astype(np.float32),
                                  value=lambda b: float(rng.uniform(-1, 1)))
    player = agent(evaluator, playouts=24, batch_size=4, temperature=1.0)
    board = Board(5, komi=0.5, superko=True)
    while board.consecutive_passes < 2 and board.move_number < 120:
        move = player.select_move(board)
        assert board.illegal_reason(move) is None
        board.play(move)  # raises IllegalMove (incl. superko) if the search offered one
        for node, position in expanded_with_boards(player.search.root):
            assert all(position.is_legal(int(m)) for m in node.moves)
    assert board.move_number > 10


# --------------------------------------------------------------------------- results and the agent


def test_analysis_reports_moves_best_first_with_legal_variations():
    rng = np.random.default_rng(3)
    evaluator = ScriptedEvaluator(7, value=lambda b: float(rng.uniform(-0.5, 0.5)))
    board = Board(7)
    result = agent(evaluator).analyze(board, playouts=100, max_moves=5)
    assert result.root_visits == 101 and result.playouts == 100 and 0 <= result.root_winrate <= 1
    assert 1 <= len(result.moves) <= 5
    assert [m.order for m in result.moves] == list(range(len(result.moves)))
    assert [m.visits for m in result.moves] == sorted((m.visits for m in result.moves), reverse=True)
    for info in result.moves:
        assert info.pv[0] == info.move and 0 <= info.lcb <= info.winrate <= 1 and info.prior > 0
        line = board.copy()
        for move in info.pv:
            line.play(move)
    assert result.visit_counts.sum() == 100 and result.visit_distribution().sum() == pytest.approx(1.0)
    assert result.visit_counts[result.moves[0].move] == result.moves[0].visits


def test_moves_for_the_colour_not_to_move():
    board = Board(7)
    player = agent(ScriptedEvaluator(7), playouts=16)
    move = player.select_move(board, WHITE)
    assert player.last_result.to_play == WHITE and board.is_legal(move, WHITE)


def test_playouts_zero_is_exactly_the_raw_policy(model9):
    model, info = load_model(model9)
    raw = PolicyAgent(model, info)
    player = SearchAgent.from_model(model9, playouts=0)
    rng = np.random.default_rng(11)
    board = Board(9)
    for _ in range(30):
        assert player.select_move(board) == raw.select_move(board)
        board.play(int(rng.choice(np.flatnonzero(board.legal_mask()))))
    board.play(board.pass_point)
    assert player.select_move(board) == raw.select_move(board)
    assert player.last_result is None


def test_network_search_plays_legal_moves_with_a_tiny_net(model9):
    player = SearchAgent.from_model(model9, playouts=16, batch_size=4, resign_threshold=None)
    board = Board(9)
    for _ in range(8):
        move = player.select_move(board)
        assert board.is_legal(move)
        assert 0 < player.last_result.playouts <= 16
        board.play(move)
    assert player.evaluator.value_source == "area score (stand-in)"


def test_playouts_zero_without_a_network_plays_the_highest_prior():
    player = agent(ScriptedEvaluator(7, logits=favour(from_rc(2, 4, 7))), playouts=0)
    assert player.select_move(Board(7)) == from_rc(2, 4, 7)


def test_search_agent_refuses_other_board_sizes(model9):
    player = SearchAgent.from_model(model9, playouts=4)
    assert player.supports_size(9) and not player.supports_size(7)
    with pytest.raises(BoardSizeError):
        player.select_move(Board(7))


# --------------------------------------------------------------------------- the network evaluator


def test_network_priors_cover_the_legal_moves_and_pass(model9):
    model, info = load_model(model9)
    evaluator = NetworkEvaluator.from_model(model, info)
    boards = [Board(9), ko_shape(9, superko=False)]
    boards[1].play(from_rc(2, 3, 9))
    priors, values = evaluator.evaluate(boards)
    assert priors.shape == (2, 82) and priors.dtype == np.float32 and values.shape == (2,)
    for board, row, value in zip(boards, priors, values):
        legal = board.legal_mask()
        assert row.sum() == pytest.approx(1.0, abs=1e-5)
        assert np.all(row[:-1][legal] > 0) and np.all(row[:-1][~legal] == 0)
        assert row[-1] == pytest.approx(pass_prior(board))
        assert value == pytest.approx(area_value(board))
    assert evaluator.value_source == "area score (stand-in)"


class WithValueHead(torch.nn.Module):
    """A policy net plus a constant 'value head', called as a dual-head PolicyNet is."""

    has_value_head = True

    def __init__(self, net, value):
        super().__init__()
        self.net, self.value = net, value

    def forward(self, x, with_value=False):
        logits = self.net(x)
        return (logits, torch.full((x.shape[0],), self.value)) if with_value else logits


def test_network_values_come_from_a_value_head_when_there_is_one(model9):
    model, info = load_model(model9)
    evaluator = NetworkEvaluator.from_model(WithValueHead(model, 0.25), info)
    priors, values = evaluator.evaluate([Board(9), Board(9)])
    assert values.tolist() == pytest.approx([0.25, 0.25])
    assert evaluator.value_source == "value head"
    plain, _ = NetworkEvaluator.from_model(model, info).evaluate([Board(9)])
    assert priors[0] == pytest.approx(plain[0])


def test_pass_prior_grows_late_and_after_the_opponents_pass():
    assert pass_prior(Board(9)) == pytest.approx(PASS_PRIOR_MIN)
    full = Board(9)
    full.setup(black=list(range(0, 81, 2)), white=list(range(1, 60, 2)))  # 71 of 81 points
    assert pass_prior(full) == pytest.approx(PASS_PRIOR_LATE)
    after_pass = Board(9)
    after_pass.play(after_pass.pass_point)
    assert pass_prior(after_pass) == pytest.approx(PASS_PRIOR_AFTER_PASS)


def test_area_value_is_a_squashed_score_for_the_side_to_move():
    board = black_area_board(9, komi=0.5)
    assert area_value(board) == pytest.approx(math.tanh(80.5 / 8.1))
    board.play(board.pass_point)
    assert area_value(board) == pytest.approx(-math.tanh(80.5 / 8.1))
