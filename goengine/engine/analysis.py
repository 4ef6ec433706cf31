"""What the engine thinks of a position, in the shape GUIs and analysis tools expect.

An *analyzer* answers ``analyze(board, color, max_moves, deadline=None) -> Analysis``:
the candidate moves for ``color`` (best first) with visits, winrate, prior and a
principal variation, plus the root's winrate and visits.  The GTP analysis commands
(``lz-analyze``, ``kata-analyze``, ``analyze`` and their ``genmove`` variants) only
format an :class:`Analysis`, so a tree search can replace :class:`PolicyAnalyzer`
with real visits, winrates and variations without touching them.

:class:`PolicyAnalyzer` is the analyzer of a policy network alone:

* ``prior`` is the network's probability of the move (softmax over legal points);
* ``visits`` are proportional to the prior (``prior * visits_scale``, at least 1, so
  GUIs that hide zero-visit moves, such as Sabaki, still draw every listed move);
* ``pv`` is the move followed by the greedy policy's replies, as far as ``deadline``
  allows (then just the move);
* there is **no value estimate**: every ``winrate`` is :data:`NEUTRAL_WINRATE` (0.5),
  the same for every move and for the root.  GUIs then show 50% everywhere, which
  means "unknown", not "even game".

:class:`SearchAnalyzer` is the analyzer of a searching agent (``goengine.engine.search``):

* the numbers are the tree's: ``visits`` are real playouts, ``winrate`` the mean value
  of the move's subtree, ``lcb`` a lower confidence bound of it, ``pv`` the most
  visited line, the root's winrate and visits are the root node's;
* each call searches on from the tree the agent already holds for the position (the
  tree follows the game), so an analysis asked for again and again, as GUIs do while
  they stream, grows one tree until it is stopped;
* a call ends at ``deadline``, when ``stop()`` says so (a GUI sent a new command, or
  the streaming interval is over), or after the analyzer's ``playouts`` new playouts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Protocol

NEUTRAL_WINRATE = 0.5  # what analyzers without a value estimate report


@dataclass(frozen=True)
class MoveInfo:
    """One candidate move: ``move`` a board point or the pass point; ``winrate``,
    ``lcb`` and ``prior`` in [0, 1] from the mover's side; ``pv`` starts with
    ``move``; ``order`` 0 for the best.  ``lcb`` is a lower confidence bound of the
    winrate (Leela Zero's and KataGo's ``lcb``); an analyzer that knows no spread
    leaves it out and it is the winrate itself."""

    move: int
    visits: int
    winrate: float
    prior: float
    pv: tuple[int, ...]
    order: int
    lcb: float | None = None

    def __post_init__(self):
        if self.lcb is None:
            object.__setattr__(self, "lcb", self.winrate)


@dataclass(frozen=True)
class RootInfo:
    """The position as a whole: its winrate for the player to move and the visits spent on it."""

    winrate: float
    visits: int


@dataclass(frozen=True)
class Analysis:
    color: int
    root: RootInfo
    moves: tuple[MoveInfo, ...]


class Analyzer(Protocol):
    """What the analysis front doors ask.  An analyzer whose answers improve with time
    (a search) also sets ``thinks_until_stopped = True``: streaming front doors then let
    each ``analyze`` call think for the whole interval, ended by ``stop``."""

    def analyze(self, board, color: int, max_moves: int, deadline: float | None = None,
                stop: Callable[[], bool] | None = None) -> Analysis:
        """Candidate moves for ``color`` on ``board`` (at most ``max_moves``, best first).
        ``deadline`` is a ``time.monotonic()`` instant the answer must not wait past;
        ``stop()`` turning true asks an analyzer that thinks on (a search) to answer now."""
        ...


class PolicyAnalyzer:
    """Analysis from a policy agent (``top_moves``; ``principal_variation`` if it has one).

    The network's answer for a position does not change with time, so the last
    complete answer is kept and repeated for the same request (streaming analysis
    asks again every interval), and ``stop`` has nothing to cut short.
    """

    def __init__(self, agent, pv_length: int = 6, visits_scale: int = 1000):
        self.agent = agent
        self.pv_length = pv_length
        self.visits_scale = visits_scale
        self._last: tuple[tuple, Analysis] | None = None

    def _variation(self, board, point: int, color: int) -> tuple[int, ...]:
        if not hasattr(self.agent, "principal_variation"):
            return (point,)
        return tuple(self.agent.principal_variation(board, point, self.pv_length, color))

    def analyze(self, board, color: int, max_moves: int, deadline: float | None = None,
                stop: Callable[[], bool] | None = None) -> Analysis:
        key = (board.zobrist, board.ko_point, tuple(board.recent_moves()), board.size, color, max_moves)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        moves = []
        cut_short = False
        for order, (point, prior) in enumerate(self.agent.top_moves(board, max_moves, color)):
            if deadline is not None and time.monotonic() >= deadline:
                cut_short, pv = True, (point,)
            else:
                pv = self._variation(board, point, color)
            visits = max(1, round(prior * self.visits_scale))
            moves.append(MoveInfo(point, visits, NEUTRAL_WINRATE, prior, pv, order))
        if not moves:  # no legal point: passing is the only move
            moves.append(MoveInfo(board.pass_point, 1, NEUTRAL_WINRATE, 1.0, (board.pass_point,), 0))
        analysis = Analysis(color, RootInfo(NEUTRAL_WINRATE, sum(m.visits for m in moves)), tuple(moves))
        if not cut_short:
            self._last = (key, analysis)
        return analysis


class SearchAnalyzer:
    """Analysis from a searching agent's tree (see the module docstring).

    ``agent``: a ``goengine.engine.search.SearchAgent`` (anything with its
    ``analyze(board, color, playouts=, seconds=, stop=, max_moves=) -> SearchResult``).
    ``playouts``: the new playouts one call may add when neither a deadline nor
    ``stop`` bounds it (default: the agent's own budget per move); with a deadline or
    ``stop`` it caps the call as well, None for no cap.
    """

    thinks_until_stopped = True  # a streaming front door lets analyze() take its interval (stop) to think

    def __init__(self, agent, playouts: int | None = None):
        self.agent = agent
        self.playouts = playouts

    def analyze(self, board, color: int, max_moves: int, deadline: float | None = None,
                stop: Callable[[], bool] | None = None) -> Analysis:
        seconds = None if deadline is None or math.isinf(deadline) else max(deadline - time.monotonic(), 0.0)
        playouts = self.playouts
        if seconds is None and stop is None and playouts is None:
            config = self.agent.config
            playouts, seconds = config.playouts, config.seconds
        result = self.agent.analyze(board, color, playouts=playouts, seconds=seconds, stop=stop, max_moves=max_moves)
        if not result.moves and result.root_visits <= 1:  # stopped before any playout: one batch to show
            result = self.agent.analyze(board, color, playouts=self.agent.config.batch_size, max_moves=max_moves)
        moves = result.moves or (MoveInfo(board.pass_point, 0, result.root_winrate, 1.0, (board.pass_point,), 0),)
        return Analysis(color, RootInfo(result.root_winrate, result.root_visits), moves)


__all__ = ["Analysis", "Analyzer", "MoveInfo", "NEUTRAL_WINRATE", "PolicyAnalyzer", "RootInfo", "SearchAnalyzer"]
