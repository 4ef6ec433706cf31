"""The analyzer interface (goengine/engine/analysis.py) and what GTP makes of it: the
policy analyzer, the three line formats, thinking within the clock, and GoGui's boards
of the policy and of the AlphaGo feature planes."""

from __future__ import annotations

import io
import re
import time

import pytest

from goengine.board import Board
from goengine.coords import BLACK, WHITE, from_gtp, to_gtp
from goengine.engine.analysis import NEUTRAL_WINRATE, Analysis, MoveInfo, PolicyAnalyzer, RootInfo
from goengine.nn.modelfile import load_model
from goengine.engine.agent import PolicyAgent, RandomAgent
from goengine.play.gtp import GtpEngine
from goengine.play.gtp.analysis import fraction, kata_line, lz_line, per_10000, sabaki_line
from goengine.play.gtp.args import AnalyzeRequest
from goengine.play.gtp.gogui import ANALYZE_COMMANDS, percent_label
from gtp_replies import err, ok

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py
TINY_MODEL = {"point_bias": True}  # model9 (tests/conftest.py): distinct priors


@pytest.fixture
def agent(model9):
    model, info = load_model(model9)
    return PolicyAgent(model, info, resign_threshold=None)






# ---------------------------------------------------------------------- the analyzer


def test_policy_analysis_has_priors_prior_visits_greedy_lines_and_no_value(agent):
    board = Board(9)
    board.play(from_gtp("E5", 9))
    analysis = PolicyAnalyzer(agent, pv_length=4).analyze(board, WHITE, 6)
    probs = agent.probabilities(board, WHITE)
    assert analysis.color == WHITE and len(analysis.moves) == 6
    assert [m.order for m in analysis.moves] == list(range(6))
    assert [m.prior for m in analysis.moves] == sorted(probs, reverse=True)[:6]
    for info in analysis.moves:
        assert info.winrate == NEUTRAL_WINRATE
        assert info.visits == max(1, round(info.prior * 1000))
        assert info.pv[0] == info.move and 1 < len(info.pv) <= 4
        assert info.pv == tuple(agent.principal_variation(board, info.move, 4, WHITE))
    assert analysis.root == RootInfo(NEUTRAL_WINRATE, sum(m.visits for m in analysis.moves))


def test_a_passed_deadline_cuts_the_variations_and_is_not_remembered(agent):
    board, analyzer = Board(9), PolicyAnalyzer(agent)
    hurried = analyzer.analyze(board, BLACK, 5, deadline=time.monotonic() - 1)
    assert all(m.pv == (m.move,) for m in hurried.moves)
    calm = analyzer.analyze(board, BLACK, 5)
    assert all(len(m.pv) > 1 for m in calm.moves)
    assert analyzer.analyze(board, BLACK, 5) is calm  # the same position: the answer is kept
    board.play(calm.moves[0].move)
    assert analyzer.analyze(board, BLACK, 5) is not calm


def test_no_legal_point_leaves_pass_as_the_only_move():
    board = Board(2)
    board.setup(black=[0, 1, 2])  # black may not fill its last liberty (suicide)
    analysis = PolicyAnalyzer(RandomAgent(rng=0)).analyze(board, BLACK, 5)
    assert [(m.move, m.prior, m.pv) for m in analysis.moves] == [(4, 1.0, (4,))]


# -------------------------------------------------------------------------- formats


def test_numbers_are_written_the_way_each_gui_reads_them():
    assert fraction(0.5) == "0.5" and fraction(1) == "1.0" and fraction(0.0001234) == "0.000123"
    assert per_10000(0.5) == "5000" and per_10000(0.31215) == "3122"
    analysis = Analysis(BLACK, RootInfo(0.5, 40), (
        MoveInfo(from_gtp("D4", 9), 31, 0.5, 0.3125, (from_gtp("D4", 9), from_gtp("F6", 9)), 0),
        MoveInfo(81, 9, 0.5, 0.0625, (81,), 1),
    ))
    vertex = lambda point: to_gtp(point, 9)  # noqa: E731
    plain = AnalyzeRequest(BLACK, 1.0, 2)
    assert lz_line(analysis, vertex, plain) == (
        "info move D4 visits 31 winrate 5000 prior 3125 lcb 5000 order 0 pv D4 F6 "
        "info move pass visits 9 winrate 5000 prior 625 lcb 5000 order 1 pv pass")
    assert sabaki_line(analysis, vertex, plain) == (
        "info move D4 visits 31 winrate 0.5 prior 0.3125 order 0 pv D4 F6 "
        "info move pass visits 9 winrate 0.5 prior 0.0625 order 1 pv pass")
    assert kata_line(analysis, vertex, AnalyzeRequest(BLACK, 1.0, 2, root_info=True)) == (
        "info move D4 visits 31 winrate 0.5 scoreMean 0.0 scoreLead 0.0 prior 0.3125 lcb 0.5 order 0 pv D4 F6 "
        "info move pass visits 9 winrate 0.5 scoreMean 0.0 scoreLead 0.0 prior 0.0625 lcb 0.5 order 1 pv pass "
        "rootInfo visits 40 winrate 0.5 scoreLead 0.0")


def test_analysis_arguments_in_every_spelling(agent):
    engine = GtpEngine(agent, log=io.StringIO())
    count = lambda line: len(re.findall(r"\binfo move", ok(engine.handle(line))))  # noqa: E731
    assert count("lz-analyze") == engine.analysis_moves
    assert count("lz-analyze w 10 maxmoves 3") == 3
    assert count("kata-analyze B interval 50 maxmoves 2 minmoves 7 ownership true") == 7
    assert count("analyze black 0 avoid b d4,e5 2 allow w e1 1 pvVisits true maxmoves 4") == 4
    assert err(engine.handle("lz-analyze b interval")) == "syntax error (interval expected)"
    assert err(engine.handle("kata-analyze b maxmoves many")) == "syntax error (maxmoves expected)"


def test_an_analyzer_plugs_in_without_touching_the_commands():
    class FixedAnalyzer:
        def analyze(self, board, color, max_moves, deadline=None, stop=None):
            move = MoveInfo(from_gtp("C3", board.size), 77, 0.8125, 0.25, (from_gtp("C3", board.size),), 0)
            return Analysis(color, RootInfo(0.8, 77), (move,))

    engine = GtpEngine(RandomAgent(rng=0), size=9, analyzer=FixedAnalyzer(), log=io.StringIO())
    assert ok(engine.handle("lz-analyze")) == "info move C3 visits 77 winrate 8125 prior 2500 lcb 8125 order 0 pv C3"
    assert ok(engine.handle("analyze b 10")) == "info move C3 visits 77 winrate 0.8125 prior 0.25 order 0 pv C3"


# ---------------------------------------------------------------- thinking in time


class SlowVariations(RandomAgent):
    """A cheap agent whose variations take a while, like a search would."""

    seconds = 0.2

    def principal_variation(self, board, first, length=4, color=None):
        time.sleep(self.seconds)
        return [first, board.pass_point]


def test_genmove_analyze_stops_thinking_when_the_period_ends():
    engine = GtpEngine(SlowVariations(rng=0), size=9, log=io.StringIO())
    assert ok(engine.handle("kgs-time_settings byoyomi 0 1 3")) == ""
    assert ok(engine.handle("time_left b 1 3")) == ""
    start = time.monotonic()
    lines = ok(engine.handle("kata-genmove_analyze b 10 maxmoves 10")).split("\n")
    elapsed = time.monotonic() - start
    assert elapsed < 1.0  # ten variations would take 2 s; the budget is 0.75 s
    pvs = [entry.split(" pv ")[1].split() for entry in lines[0].split(" info ")]
    assert len(pvs) == 10 and len(pvs[0]) == 2 and len(pvs[-1]) == 1  # later variations were cut
    assert lines[-1].startswith("play ") and engine.game.move_number == 1
    assert engine.session.clock.players[BLACK].count_left == 3  # no period lost


def test_time_commands_set_the_clock(agent):
    engine = GtpEngine(agent, log=io.StringIO())
    clock = engine.session.clock
    engine.handle("time_settings 600 30 5")
    assert (clock.settings.system, clock.settings.main_time, clock.settings.period_count) == ("canadian", 600, 5)
    engine.handle("kgs-time_settings absolute 90.5")
    assert (clock.settings.system, clock.settings.main_time) == ("absolute", 90.5)
    engine.handle("time_left white 12 0")
    assert clock.players[WHITE].main_left == 12
    engine.handle("kgs-time_settings none")
    assert clock.seconds_for_move(BLACK, 0, 81) == float("inf")
    assert err(engine.handle("kgs-time_settings byoyomi 600 30 0")).startswith("syntax error")
    assert err(engine.handle("kgs-time_settings canadian 600 x 25")).startswith("syntax error")


# ----------------------------------------------------------------------- GoGui


def test_gogui_lists_its_analyze_commands_and_each_is_known(agent):
    engine = GtpEngine(agent, log=io.StringIO())
    lines = ok(engine.handle("gogui-analyze_commands")).split("\n")
    assert lines == ["/".join(entry) for entry in ANALYZE_COMMANDS]
    for entry in ANALYZE_COMMANDS:
        assert ok(engine.handle(f"known_command {entry[2].split()[0]}")) == "true"
    assert percent_label(0.3121) == "31%" and percent_label(0.042) == "4.2%" and percent_label(0.0004) == "0.0%"


def test_gogui_policy_views(agent):
    engine = GtpEngine(agent, log=io.StringIO())
    engine.handle("play b e5")
    probs = agent.probabilities(engine.board, WHITE)
    rows = ok(engine.handle("goengine-policy_heatmap")).split("\n")  # white to play by default
    values = [float(v) for row in rows for v in row.split()]
    best = int(probs.argmax())
    assert len(rows) == 9 and values[best] == 1.0 and values[from_gtp("E5", 9)] == 0.0
    top = ok(engine.handle("goengine-policy_top white")).split()
    assert from_gtp(top[0], 9) == best and top[1] == percent_label(probs[best])
    gfx = ok(engine.handle("goengine-policy_gfx w")).split("\n")
    assert [line.split()[0] for line in gfx] == ["INFLUENCE", "LABEL", "TEXT"]
    assert gfx[1] == "LABEL " + " ".join(top)
    black = agent.probabilities(engine.board, BLACK)
    black_rows = ok(engine.handle("goengine-policy_heatmap b")).split("\n")
    assert black_rows != rows  # the colour argument is honoured
    assert [float(v) for row in black_rows for v in row.split()] == pytest.approx(black / black.max(), abs=6e-4)


def test_gogui_feature_boards_show_liberties_and_ladders():
    engine = GtpEngine(RandomAgent(rng=0), size=9, log=io.StringIO())
    for move in ("b d5", "w d4", "b c4", "w pass", "b e3", "w pass"):  # white D4 can be laddered
        assert ok(engine.handle(f"play {move}")) == ""
    ladders = ok(engine.handle("goengine-ladders")).split("\n")
    assert ladders[0].split()[:2] == ["COLOR", "red"] and set(ladders[0].split()[2:]) == {"E4", "D3"}
    assert ladders[-1] == "TEXT ladder captures (red): 2, ladder escapes (green): 0"
    liberties = [row.split() for row in ok(engine.handle("goengine-liberties")).split("\n")]
    assert len(liberties) == 9 and all(len(row) == 9 for row in liberties)
    assert liberties[9 - 4][3] == "2" and liberties[9 - 5][3] == "3" and liberties[0][0] == '""'
    after = [row.split() for row in ok(engine.handle("goengine-liberties_after")).split("\n")]
    assert after[9 - 4][4] == "5"  # black E4 joins E3: E5, F4, F3, E2 and D3
    assert after[9 - 4][3] == '""'  # occupied
    ones = ok(engine.handle("goengine-feature_plane ones")).split()
    assert ones == ["1"] * 81
    mine = ok(engine.handle("goengine-feature_plane 0")).split()  # stone_player: black to move
    assert {i for i, v in enumerate(mine) if v == "1"} == {from_gtp(v, 9) for v in ("D5", "C4", "E3")}
    assert err(engine.handle("goengine-feature_plane 48")).startswith("unknown feature plane")
    assert err(engine.handle("goengine-feature_plane")).startswith("syntax error")
