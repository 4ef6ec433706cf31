"""The clock and the time budget (goengine/engine/timecontrol.py): every time system,
time_left, the engine's own accounting, and simulated games that never lose on time."""

from __future__ import annotations

import math

import pytest

from goengine.coords import BLACK, WHITE
from goengine.engine.timecontrol import (
    ABSOLUTE, BYOYOMI, CANADIAN, MIN_MOVES_LEFT, NONE, Clock, TimeSettings, expected_moves_left,
)

POINTS_19 = 361


def test_gtp_time_settings_follow_the_spec():
    assert TimeSettings.from_gtp(300, 30, 5) == TimeSettings(CANADIAN, 300, 30, 5)
    assert TimeSettings.from_gtp(300, 0, 0) == TimeSettings(ABSOLUTE, 300)
    assert TimeSettings.from_gtp(300, 30, 0) == TimeSettings(NONE)  # GTP: overtime without stones = no limit
    with pytest.raises(ValueError):
        TimeSettings("hourglass", 60)
    with pytest.raises(ValueError):
        TimeSettings(BYOYOMI, 60, 30, 0)
    with pytest.raises(ValueError):
        TimeSettings(ABSOLUTE, -1)


def test_no_time_limit_means_an_unbounded_budget():
    clock = Clock()
    assert clock.seconds_for_move(BLACK, 0, POINTS_19) == math.inf
    clock.spend(BLACK, 1000)
    assert clock.time_until_loss(BLACK) == math.inf


def test_expected_moves_left_shrinks_but_never_below_the_floor():
    assert expected_moves_left(0, POINTS_19) == pytest.approx(0.7 * 361 / 2)
    assert expected_moves_left(100, POINTS_19) < expected_moves_left(0, POINTS_19)
    assert expected_moves_left(500, POINTS_19) == pytest.approx(72.2)  # a fifth of the points
    assert expected_moves_left(500, 25) == MIN_MOVES_LEFT  # small boards: the fixed floor


def test_absolute_time_is_shared_over_the_moves_left():
    clock = Clock(TimeSettings(ABSOLUTE, 600))
    assert clock.seconds_for_move(BLACK, 0, POINTS_19) == pytest.approx(600 / expected_moves_left(0, POINTS_19))
    clock.set_time_left(BLACK, 2.0, 0)
    assert clock.seconds_for_move(BLACK, 300, POINTS_19) == pytest.approx(2.0 / 72.2)
    clock.set_time_left(BLACK, 0.0, 0)
    assert clock.seconds_for_move(BLACK, 300, POINTS_19) == 0.0
    assert clock.seconds_for_move(WHITE, 0, POINTS_19) > 0  # each colour has its own clock


def test_byo_yomi_budget_is_the_period_less_the_reserve():
    clock = Clock(TimeSettings(BYOYOMI, 0, 30, 5), lag=1.0)
    assert clock.seconds_for_move(BLACK, 0, POINTS_19) == pytest.approx(29.0)
    clock.reset(TimeSettings(BYOYOMI, 0, 1, 3))
    clock.set_time_left(BLACK, 1.0, 3)  # KGS: seconds left in the period, periods left
    assert clock.seconds_for_move(BLACK, 50, POINTS_19) == pytest.approx(0.75)  # reserve: a quarter of 1 s
    clock.reset(TimeSettings(BYOYOMI, 5, 30, 3))  # almost no main time: at least a period's worth
    assert clock.seconds_for_move(BLACK, 0, POINTS_19) == pytest.approx(30.0)


def test_canadian_overtime_divides_the_block_by_the_stones_left():
    clock = Clock(TimeSettings(CANADIAN, 600, 300, 25), lag=1.0)
    assert clock.seconds_for_move(BLACK, 0, POINTS_19) == pytest.approx(12.0)  # 300 s / 25 stones > main share
    clock.set_time_left(BLACK, 60, 10)
    assert clock.seconds_for_move(BLACK, 200, POINTS_19) == pytest.approx(6.0)
    clock.set_time_left(BLACK, 2, 1)
    assert clock.seconds_for_move(BLACK, 200, POINTS_19) == pytest.approx(1.5)


def test_time_left_without_settings_still_means_a_clock():
    clock = Clock()
    clock.set_time_left(BLACK, 30, 0)
    assert clock.settings.system == ABSOLUTE and clock.seconds_for_move(BLACK, 0, 81) < 30
    clock = Clock()
    clock.set_time_left(WHITE, 20, 4)
    assert clock.settings == TimeSettings(CANADIAN, 0, 20, 4)
    assert clock.seconds_for_move(WHITE, 0, 81) == pytest.approx(5.0)


def test_spending_moves_through_main_time_and_byo_yomi_periods():
    clock = Clock(TimeSettings(BYOYOMI, 10, 5, 3))
    clock.spend(BLACK, 4)
    assert not clock.players[BLACK].in_overtime and clock.players[BLACK].main_left == 6
    clock.spend(BLACK, 8)  # main time runs out, the move ends 2 s into the first period
    black = clock.players[BLACK]
    assert black.in_overtime and black.count_left == 3 and black.period_left == 5
    clock.spend(BLACK, 11)  # two whole periods used up, finished in the third
    assert black.count_left == 1 and black.period_left == 5
    clock.spend(BLACK, 6)  # too slow for the last period: lost on time
    assert black.count_left == 0 and clock.time_until_loss(BLACK) == 0
    assert clock.seconds_for_move(BLACK, 0, 81) == 0.0


def test_spending_canadian_blocks_and_absolute_time():
    clock = Clock(TimeSettings(CANADIAN, 0, 30, 3))
    for _ in range(3):
        clock.spend(WHITE, 5)
    white = clock.players[WHITE]
    assert white.in_overtime and white.period_left == 30 and white.count_left == 3  # a fresh block
    clock.spend(WHITE, 31)
    assert clock.time_until_loss(WHITE) == 0
    clock = Clock(TimeSettings(ABSOLUTE, 10))
    clock.spend(BLACK, 12)
    assert clock.time_until_loss(BLACK) == 0 and clock.seconds_for_move(BLACK, 0, 81) == 0


@pytest.mark.parametrize("settings, points, game_length", [
    (TimeSettings(ABSOLUTE, 60), POINTS_19, 600),
    (TimeSettings(ABSOLUTE, 10), 81, 120),
    (TimeSettings(BYOYOMI, 20, 1, 1), POINTS_19, 1000),
    (TimeSettings(BYOYOMI, 0, 0.5, 2), 81, 1000),
    (TimeSettings(CANADIAN, 30, 10, 10), POINTS_19, 1000),
    (TimeSettings(CANADIAN, 0, 2, 5), 81, 1000),
])
def test_an_engine_that_keeps_to_its_budget_never_loses_on_time(settings, points, game_length):
    """Long games where every move takes its whole budget plus 10 ms of overhead that
    the engine does not control: the clock never runs out."""
    clock = Clock(settings, lag=0.5)
    for move_number in range(0, game_length, 2):
        budget = clock.seconds_for_move(BLACK, move_number, points)
        assert 0 <= budget <= clock.time_until_loss(BLACK)
        clock.spend(BLACK, budget + 0.01)
        assert clock.time_until_loss(BLACK) > 0, f"lost on time at move {move_number}"
