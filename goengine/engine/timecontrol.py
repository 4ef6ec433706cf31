"""Game clocks and the thinking time one move may take.

A GTP controller announces the time system once (``time_settings`` or KGS's
``kgs-time_settings``) and usually the time left before each of our moves
(``time_left``).  :class:`Clock` keeps both players' clocks from those messages and
from the time the engine itself spends, and :meth:`Clock.seconds_for_move` says how
long the next move may take.  Whatever thinks about moves (today one network call,
later a tree search) asks it for a budget and stops in time, so the engine never
loses on time and never thinks longer than the clock allows.

Time systems (``TimeSettings.system``):

============  ============================================================================
``none``      no limit: ``seconds_for_move`` is ``math.inf`` (a search then uses its
              own visit limit)
``absolute``  ``main_time`` seconds for all of a player's moves (sudden death)
``canadian``  ``main_time``, then blocks of ``period_time`` seconds in which
              ``period_count`` stones must be played
``byoyomi``   ``main_time``, then ``period_count`` periods of ``period_time`` seconds;
              a move made within a period keeps that period, a slower one uses it up
============  ============================================================================

``time_left COLOR SECONDS STONES`` reports the time left in the current stage: with
``STONES == 0`` the player is still in main time; otherwise ``SECONDS`` are left in
the current overtime block or period, and ``STONES`` is the number of stones still to
play in the Canadian block or, for byo-yomi (KGS's convention, followed by KataGo
too), the number of periods left.

The budget: in main time, the main time left shared over the moves the player still
expects to make (:func:`expected_moves_left`), but at least one overtime allowance
(a byo-yomi period, or a Canadian block's time per stone), since every later move
gets that much anyway; in overtime, the period (byo-yomi) or the block's time left
per stone still to play (Canadian).  The budget never comes closer to the moment the
move would lose on time than a reserve for latency (``lag`` seconds, or a quarter of
the time that is left when that is less).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from goengine.coords import BLACK, WHITE

NONE, ABSOLUTE, CANADIAN, BYOYOMI = "none", "absolute", "canadian", "byoyomi"
SYSTEMS = (NONE, ABSOLUTE, CANADIAN, BYOYOMI)

DEFAULT_LAG = 1.0  # seconds kept back for the network, the controller and the operating system
GAME_LENGTH_PER_POINT = 0.7  # a game lasts about 0.7 moves per board point (250 on 19x19)
MIN_MOVES_LEFT = 10  # plan for at least this many more own moves, however long the game has been
MIN_MOVES_LEFT_PER_POINT = 0.2  # ... and on big boards for a fifth of the points (72 on 19x19)


def expected_moves_left(move_number: int, board_points: int) -> float:
    """How many more moves one player should plan to make.

    Never fewer than a floor (MIN_MOVES_LEFT, or a fifth of the board's points when
    that is more): a game that runs long still keeps most of its main time back, so
    the fixed cost of each move (network, pipes), which no budget can save, does not
    eat up a sudden-death clock: with 10 ms of such cost per move, 60 s of sudden death
    last a 19x19 game of more than 600 moves even when every budget is used in full.
    """
    floor = max(MIN_MOVES_LEFT, MIN_MOVES_LEFT_PER_POINT * board_points)
    return max(floor, (GAME_LENGTH_PER_POINT * board_points - move_number) / 2)


@dataclass(frozen=True)
class TimeSettings:
    """One time system (see the module docstring); times in seconds."""

    system: str = NONE
    main_time: float = 0.0
    period_time: float = 0.0
    period_count: int = 0

    def __post_init__(self):
        if self.system not in SYSTEMS:
            raise ValueError(f"unknown time system {self.system!r} (one of {', '.join(SYSTEMS)})")
        if min(self.main_time, self.period_time, self.period_count) < 0:
            raise ValueError("times and counts cannot be negative")
        if self.system in (CANADIAN, BYOYOMI) and self.period_time > 0 and self.period_count < 1:
            raise ValueError(f"{self.system} overtime needs at least one stone or period")

    @classmethod
    def from_gtp(cls, main_time: float, byo_yomi_time: float, byo_yomi_stones: int) -> "TimeSettings":
        """GTP ``time_settings``: Canadian overtime; no overtime when its time is 0;
        no limit at all when the overtime has time but no stones (GTP 2, section 6.2)."""
        if byo_yomi_time > 0 and byo_yomi_stones == 0:
            return cls()
        if byo_yomi_time == 0:
            return cls(ABSOLUTE, main_time)
        return cls(CANADIAN, main_time, byo_yomi_time, byo_yomi_stones)

    @property
    def has_overtime(self) -> bool:
        return self.system in (CANADIAN, BYOYOMI) and self.period_time > 0

    def overtime_allowance(self) -> float:
        """The time every overtime move may take: a period, or a Canadian block per stone."""
        if not self.has_overtime:
            return 0.0
        if self.system == BYOYOMI:
            return self.period_time
        return self.period_time / self.period_count


@dataclass
class PlayerClock:
    """One player's clock: main time left, then the overtime state."""

    main_left: float
    in_overtime: bool = False
    period_left: float = 0.0  # seconds left in the current byo-yomi period or Canadian block
    count_left: int = 0  # byo-yomi periods left, or stones left to play in the Canadian block


class Clock:
    """Both players' clocks under one :class:`TimeSettings` (see the module docstring)."""

    def __init__(self, settings: TimeSettings | None = None, lag: float = DEFAULT_LAG):
        self.lag = float(lag)
        self.reset(settings or TimeSettings())

    def reset(self, settings: TimeSettings) -> None:
        """New time settings: both clocks start full."""
        self.settings = settings
        self.players = {color: PlayerClock(settings.main_time) for color in (BLACK, WHITE)}

    def _start_overtime(self, clock: PlayerClock) -> None:
        clock.in_overtime = True
        clock.main_left = 0.0
        clock.period_left = self.settings.period_time
        clock.count_left = self.settings.period_count

    def set_time_left(self, color: int, seconds: float, stones: int) -> None:
        """The controller's ``time_left``: it overrides what this clock has counted.

        A controller that sends ``time_left`` without time settings still runs a clock:
        the settings become sudden death (``stones == 0``) or Canadian overtime.
        """
        seconds, stones = max(0.0, float(seconds)), max(0, int(stones))
        if self.settings.system == NONE:
            self.reset(TimeSettings(CANADIAN, 0.0, seconds, stones) if stones else TimeSettings(ABSOLUTE, seconds))
        clock = self.players[color]
        if stones == 0:
            clock.in_overtime, clock.main_left = False, seconds
        else:
            clock.in_overtime, clock.main_left = True, 0.0
            clock.period_left, clock.count_left = seconds, stones

    def spend(self, color: int, seconds: float) -> None:
        """Count ``seconds`` used by ``color`` for one move (when no ``time_left`` follows)."""
        settings, clock = self.settings, self.players[color]
        if settings.system == NONE:
            return
        seconds = max(0.0, float(seconds))
        if not clock.in_overtime:
            if seconds <= clock.main_left or not settings.has_overtime:
                clock.main_left = max(0.0, clock.main_left - seconds)
                return
            seconds -= clock.main_left
            self._start_overtime(clock)
        if settings.system == BYOYOMI:
            while seconds > clock.period_left and clock.count_left > 0:
                seconds -= clock.period_left
                clock.count_left -= 1
                clock.period_left = settings.period_time
            clock.period_left = settings.period_time if clock.count_left else 0.0
        else:
            clock.period_left -= seconds
            clock.count_left -= 1
            if clock.period_left < 0:
                clock.period_left, clock.count_left = 0.0, 0  # out of time
            elif clock.count_left == 0:
                clock.period_left, clock.count_left = settings.period_time, settings.period_count

    def time_until_loss(self, color: int) -> float:
        """Seconds ``color``'s next move may take before it loses on time (inf: no limit)."""
        settings, clock = self.settings, self.players[color]
        if settings.system == NONE:
            return math.inf
        if clock.in_overtime:
            return clock.period_left
        return clock.main_left + settings.overtime_allowance()

    def seconds_for_move(self, color: int, move_number: int, board_points: int) -> float:
        """The thinking time ``color``'s next move may take (see the module docstring).

        ``move_number`` is the number of moves played so far and ``board_points`` the
        number of points on the board; both only size the share of the main time.
        """
        settings, clock = self.settings, self.players[color]
        hard_limit = self.time_until_loss(color)
        if math.isinf(hard_limit):
            return math.inf
        if clock.in_overtime:
            planned = clock.period_left / max(1, clock.count_left) if settings.system == CANADIAN else clock.period_left
        else:
            share = clock.main_left / expected_moves_left(move_number, board_points)
            planned = max(share, settings.overtime_allowance())
        reserve = min(self.lag, hard_limit / 4)
        return max(0.0, min(planned, hard_limit - reserve))


__all__ = [
    "ABSOLUTE",
    "BYOYOMI",
    "CANADIAN",
    "Clock",
    "DEFAULT_LAG",
    "MIN_MOVES_LEFT",
    "MIN_MOVES_LEFT_PER_POINT",
    "NONE",
    "PlayerClock",
    "SYSTEMS",
    "TimeSettings",
    "expected_moves_left",
]
