"""What the GTP handler groups share: the game, the agent, the analyzer and the clock.

The game is a ``goengine.game.Game``: the board, the moves, how the game ended and
its SGF record.  A GTP controller owns the flow of the game, so the session follows
it: a ``play`` after two passes or a resignation reopens the game (as ``kgs-genmove_cleanup``
needs), and ``undo`` takes back the last move.

A searching agent (``goengine.engine.search.SearchAgent``) keeps its tree from move to
move: the moves of ``play`` and ``genmove`` walk down it.  A new game (``boardsize``,
``clear_board``), ``loadsgf`` and ``undo`` drop it (the agent's ``reset()``), since the
new position is not below the old root.  Under a running clock the clock decides how
long a searching agent thinks: ``Clock.seconds_for_move`` becomes the search's time
for that move in place of ``--time`` (the ``--playouts`` cap still holds); without a
clock the agent's own budget does.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, TextIO

from goengine.coords import to_gtp
from goengine.engine.agent import RESIGN, BoardSizeError, require_size
from goengine.engine.timecontrol import Clock
from goengine.game import Game
from goengine.play.gtp.protocol import GtpFailure

if TYPE_CHECKING:
    from goengine.engine.analysis import Analysis


class Session:
    """GTP engine state around a move-choosing agent.

    ``agent``: an agent object (``select_move``, ``supports_size``; a PolicyAgent adds
    ``probabilities``/``top_moves`` for analysis) or a zero-argument callable that
    returns one, called on first need (so the engine answers ``name`` at once and
    reports a model that cannot be loaded as a GTP error).  ``analyzer``: what the
    analysis commands ask (``goengine.engine.analysis``); default:
    ``goengine.engine.search.analyzer_for(agent)`` (a tree search whenever the agent searches
    or its network has a value head, else the policy alone).
    ``size``: the starting board size (default: the agent's ``board_size``, else 19).

    ``input_pending()`` says whether the controller has sent more input.  ``serve``
    points it at its input queue, so that a search that streams analysis stops as soon
    as a new command arrives instead of at the end of its interval.
    """

    def __init__(self, agent, size: int | None = None, komi: float = 7.5, superko: bool = False,
                 analyzer=None, clock: Clock | None = None, analysis_moves: int = 10, pv_length: int = 6,
                 log: TextIO | None = None):
        if hasattr(agent, "select_move"):
            self._agent, self._factory = agent, None
        elif callable(agent):
            self._agent, self._factory = None, agent
        else:
            raise TypeError("agent must be an agent object or a callable returning one")
        self._analyzer = analyzer
        self._warm = False
        self.komi = float(komi)
        self.superko = superko
        self.clock = clock or Clock()
        self.analysis_moves = analysis_moves
        self.pv_length = pv_length
        self.log = log if log is not None else sys.stderr
        self.input_pending: Callable[[], bool] = lambda: False
        self.new_game(int(size or getattr(self._agent, "board_size", None) or 19))

    # -- state ----------------------------------------------------------------------------

    def new_game(self, size: int | None = None) -> None:
        self.set_game(Game(size or self.size, self.komi, superko=self.superko))

    def set_game(self, game: Game) -> None:
        """Play on in ``game`` (a new one, or one loaded from SGF)."""
        self.game = game
        self._forget_tree()

    def undo(self) -> None:
        """Take back the last move; IndexError when there is none."""
        self.game.undo()
        self._forget_tree()

    def _forget_tree(self) -> None:
        """Drop what the agent kept of the old position (a search's tree), if it keeps any."""
        reset = getattr(self._agent, "reset", None)
        if reset is not None:
            reset()

    @property
    def board(self):
        return self.game.board

    @property
    def size(self) -> int:
        return self.game.board.size

    @property
    def agent(self):
        if self._agent is None:
            try:
                self._agent = self._factory()
            except Exception as exc:  # a missing or broken model file
                raise GtpFailure(f"cannot load the model: {exc}") from None
        return self._agent

    @property
    def searching(self) -> bool:
        """True when the agent chooses its moves by tree search."""
        from goengine.engine.search import SearchAgent

        return isinstance(self.agent, SearchAgent)

    @property
    def analyzer(self):
        if self._analyzer is None:
            from goengine.engine.search import analyzer_for

            self._analyzer = analyzer_for(self.agent, pv_length=self.pv_length)
        return self._analyzer

    def warm_up(self) -> None:
        """Run the agent's network once, so that the one-off cost of its first call
        (loading compiled feature kernels, allocating) is not paid inside a timed move."""
        if self._warm:
            return
        agent = self.agent
        if hasattr(agent, "probabilities") and agent.supports_size(self.size):
            agent.probabilities(self.board.copy(), self.game.to_play)
        self._warm = True

    def require_supported_size(self, size: int | None = None) -> None:
        """GTP's ``unacceptable size`` unless the agent plays this size (the reason goes to the log)."""
        try:
            require_size(self.agent, self.size if size is None else size)
        except BoardSizeError as exc:
            self.log.write(f"goengine gtp: {exc}\n")
            self.log.flush()
            raise GtpFailure("unacceptable size") from None

    def vertex(self, point: int) -> str:
        return to_gtp(point, self.size)

    def move_text(self, move: int) -> str:
        """A move as GTP answers it: a vertex, ``pass`` or ``resign``."""
        return "resign" if move == RESIGN else self.vertex(move)

    # -- moves ----------------------------------------------------------------------------

    def play(self, color: int, point: int) -> None:
        """Play for ``color`` (the controller's move or ours); reopens an ended game."""
        if not self.board.is_legal(point, color):
            raise GtpFailure("illegal move")
        if self.game.over:
            self.game.resume()
        self.game.play(point, color)

    @contextmanager
    def thinking(self, color: int):
        """Time one of ``color``'s moves: yields the ``time.monotonic()`` deadline the
        clock allows, and charges the time used to ``color``'s clock."""
        start = time.monotonic()
        budget = self.clock.seconds_for_move(color, self.game.move_number, self.size * self.size)
        try:
            yield start + budget
        finally:
            self.clock.spend(color, time.monotonic() - start)

    def choose_move(self, color: int, cleanup: bool = False, deadline: float = math.inf) -> int:
        """The agent's move for ``color`` (a point, the pass point or RESIGN), always legal.

        ``cleanup``: never resign and never pass early (KGS's clean-up phase).
        ``deadline``: the ``time.monotonic()`` instant the clock allows (``thinking``);
        a searching agent searches until then at most (see the module docstring)."""
        self.require_supported_size()
        options = {"allow_resign": False, "allow_early_pass": False} if cleanup else {}
        if self.searching and math.isfinite(deadline):
            options.update(playouts=self.agent.config.playouts, seconds=max(deadline - time.monotonic(), 0.0))
        move = self.agent.select_move(self.board, color, **options)
        if move != RESIGN and not self.board.is_legal(move, color):  # defensive: never answer an illegal move
            move = self.board.pass_point
        return move

    def choose_move_with_analysis(self, color: int, max_moves: int, deadline: float) -> tuple[int, "Analysis"]:
        """``color``'s move and the analysis shown with it (the ``genmove_analyze`` commands).

        A search's analysis is the tree its move came from, read after the search without
        more playouts; the policy network's is computed first, its variations as far as
        ``deadline`` allows, and then the move.
        """
        if self.searching:
            move = self.choose_move(color, deadline=deadline)
            analysis = self.analyzer.analyze(self.board, color, max_moves, deadline=time.monotonic())
        else:
            analysis = self.analyzer.analyze(self.board, color, max_moves, deadline)
            move = self.choose_move(color)
        return move, analysis

    def commit(self, color: int, move: int) -> str:
        """Make ``move`` ``color``'s move in the game and return it as GTP text."""
        if move == RESIGN:
            if self.game.over:
                self.game.resume()
            self.game.resign(color)
        else:
            self.play(color, move)
        return self.move_text(move)


__all__ = ["Session"]
