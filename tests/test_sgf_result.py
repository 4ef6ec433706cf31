"""Game results (SGF RE) -> winner and how, in the forms real files use."""

from __future__ import annotations

import pytest

from goengine.coords import BLACK, WHITE
from goengine.sgf import NO_WINNER, read_game, read_result, value_winner
from goengine.sgf.result import NO_WINNER_KINDS, WIN_KINDS

CASES = [
    # the SGF standard
    ("B+R", BLACK, "resignation"),
    ("W+12.5", WHITE, "score"),
    ("B+0.5", BLACK, "score"),
    ("B+T", BLACK, "time"),
    ("W+F", WHITE, "forfeit"),
    ("B+", BLACK, "winner only"),
    ("0", NO_WINNER, "draw"),
    ("Draw", NO_WINNER, "draw"),
    ("W+0", NO_WINNER, "draw"),
    ("Void", NO_WINNER, "void"),
    ("?", NO_WINNER, "unknown result"),
    ("", NO_WINNER, "no result"),
    ("   ", NO_WINNER, "no result"),
    # what programs and servers write
    ("W+Resign", WHITE, "resignation"),
    ("B+Time", BLACK, "time"),
    ("W+Forfeit", WHITE, "forfeit"),
    ("b+r", BLACK, "resignation"),
    (" W + 3,5 ", WHITE, "score"),
    ("B", BLACK, "winner only"),
    ("W", WHITE, "winner only"),
    ("draw", NO_WINNER, "draw"),
    ("Jigo", NO_WINNER, "draw"),
    ("no result", NO_WINNER, "void"),
    ("Black wins by resignation", BLACK, "resignation"),
    ("White wins", WHITE, "winner only"),
    ("Ｂ＋Ｒ", BLACK, "resignation"),  # full-width
    # Chinese, Japanese, Korean
    ("黑中盘胜", BLACK, "resignation"),
    ("白胜3/4子", WHITE, "score"),
    ("黑胜半目", BLACK, "score"),
    ("黑负", WHITE, "winner only"),
    ("和棋", NO_WINNER, "draw"),
    ("无胜负", NO_WINNER, "void"),
    ("黒中押し勝ち", BLACK, "resignation"),
    ("白2目半勝ち", WHITE, "score"),
    ("白の時間切れ勝ち", WHITE, "time"),
    ("ジゴ", NO_WINNER, "draw"),
    ("흑 불계승", BLACK, "resignation"),
    ("백 시간승", WHITE, "time"),
    ("백 3집반승", WHITE, "score"),
    ("무승부", NO_WINNER, "draw"),
    # nothing to read a winner from
    ("see comment", NO_WINNER, "unreadable result"),
    ("黑胜白负", NO_WINNER, "unreadable result"),
    ("X+R", NO_WINNER, "unreadable result"),
]


@pytest.mark.parametrize("text, winner, kind", CASES)
def test_result_forms(text, winner, kind):
    outcome = read_result(text)
    assert (outcome.winner, outcome.kind) == (winner, kind)
    assert kind in (WIN_KINDS if winner else NO_WINNER_KINDS)


def test_every_kind_is_met_by_the_cases():
    assert {kind for _, _, kind in CASES} == set(WIN_KINDS) | set(NO_WINNER_KINDS)


def test_value_winner_keeps_time_and_forfeit_and_names_what_it_cannot_use():
    assert value_winner(read_result("W+T")) == (WHITE, None)
    assert value_winner(read_result("B+F")) == (BLACK, None)
    assert value_winner(read_result("B+R")) == (BLACK, None)
    assert value_winner(read_result("Void")) == (NO_WINNER, "void")
    assert value_winner(read_result("")) == (NO_WINNER, "no result")
    assert value_winner(read_result("0")) == (NO_WINNER, "draw")


def test_a_read_record_carries_its_result_text():
    record = read_game(b"(;GM[1]SZ[19]RE[W+T];B[pd];W[dd])", "g.sgf")
    assert read_result(record.result).winner == WHITE
    missing = read_game(b"(;GM[1]SZ[19];B[pd])", "g.sgf")
    assert read_result(missing.result).kind == "no result"
