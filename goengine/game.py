"""One game of Go from the first move to its result: the referee every front door shares.

A :class:`~goengine.board.Board` knows the rules of a position (which moves are legal,
what they capture, the area score).  A :class:`Game` knows when play stops and who won,
so the gymnasium environment, the terminal game, matches, self-play and the GTP engine
do not each carry their own copy of "two passes end the game" and of the result strings.

How a game ends, with its ``end_reason`` and ``result`` (SGF ``RE`` values):

==================  ==============================  ===========================================
``end_reason``      ``result``                      how
==================  ==============================  ===========================================
``"two passes"``    ``"B+3.5"``, ``"W+0.5"``, ``"0"``  two passes in a row: Tromp-Taylor area score
``"resignation"``   ``"B+R"`` / ``"W+R"``            :meth:`Game.resign`
``"time"``          ``"B+T"`` / ``"W+T"``            :meth:`Game.lose_on_time`
``"forfeit"``       ``"B+F"`` / ``"W+F"``            :meth:`Game.forfeit` (illegal move, engine
                                                    failure); ``end_detail`` says why
``"move cap"``      ``"Void"``                      ``max_moves`` moves were played
``"adjudication"``  a score or a referee's text     :meth:`Game.end_by_score` on a live game
==================  ==============================  ===========================================

``"0"`` is a draw (jigo), as SGF writes it.  A game stopped by the move cap has *no*
result (SGF ``Void``): it did not finish, and Tromp-Taylor counts every stone on the
board as alive, so a score taken mid-game would be a guess.  A caller that wants a
result anyway (a match referee) calls :meth:`Game.end_by_score`, which may also replace
the area score of a two-pass ending with the verdict of a referee that judges dead
stones.  :meth:`Game.undo` takes back the last move and reopens an ended game;
:meth:`Game.resume` reopens one without taking anything back (the KGS clean-up phase,
or a GTP controller that plays on after two passes).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from pathlib import Path

from goengine.atomic import atomic_write_text
from goengine.board import Board, fixed_handicap_points
from goengine.coords import BLACK, WHITE, opponent
from goengine.sgf import GameRecord, write_sgf

TWO_PASSES = "two passes"
RESIGNATION = "resignation"
TIME = "time"
FORFEIT = "forfeit"
MOVE_CAP = "move cap"
ADJUDICATION = "adjudication"

VOID = "Void"

_SCORABLE = (TWO_PASSES, MOVE_CAP)  # endings that end_by_score may (re)judge
# SGF RE values a referee may give: a winner with a margin or R/T/F (or no margin), a draw, no result
_RESULT_TEXT = re.compile(r"^(?:[BW]\+(?:\d+(?:\.\d+)?|R|Resign|T|Time|F|Forfeit)?|0|Draw|Void|\?)$", re.IGNORECASE)


class GameOver(RuntimeError):
    """A move or an ending asked of a game that has already ended."""


def _letter(color: int) -> str:
    return "B" if color == BLACK else "W"


def winner_of(result: str | None) -> int | None:
    """BLACK or WHITE for a result that names a winner ('B+...', 'W+...'), else None."""
    if result and result[:2].upper() == "B+":
        return BLACK
    if result and result[:2].upper() == "W+":
        return WHITE
    return None


def board_record(board: Board, result: str = "", setup_black=(), setup_white=(), **fields) -> GameRecord:
    """A GameRecord of the moves on ``board`` after the given setup stones.

    :meth:`Game.record` is the usual way in; this one serves callers that hold a bare
    Board.  ``fields`` are further GameRecord fields (``black_player``, ``name``, ...).
    """
    moves = [(int(c), int(p)) for c, p in board.history]
    values = {
        "size": board.size,
        "komi": float(board.komi),
        "handicap": int(board.handicap),
        "setup_black": [int(p) for p in setup_black],
        "setup_white": [int(p) for p in setup_white],
        "moves": moves,
        "result": result,
        "date": _dt.date.today().isoformat(),
        "rules": "Tromp-Taylor (positional superko)" if board.superko else "Tromp-Taylor",
        "first_player": moves[0][0] if moves else int(board.to_play),
    }
    values.update(fields)
    return GameRecord(**values)


class Game:
    """One game's state: the board, its moves, how and whether it ended, and its record.

    ``max_moves`` (None: no cap) ends the game with result ``Void`` once that many moves
    have been played; ``handicap`` >= 2 puts GTP's fixed handicap stones on the board
    (then White moves first).  See the module docstring for the endings.
    """

    def __init__(self, size: int = 19, komi: float = 7.5, superko: bool = False,
                 max_moves: int | None = None, handicap: int = 0):
        self._board = Board(size, komi, superko=superko)
        self.max_moves = max_moves
        self.setup_black: list[int] = []
        self.setup_white: list[int] = []
        self._result: str | None = None
        self._end_reason: str | None = None
        self.end_detail = ""  # why a forfeit happened, e.g. "illegal move E5 (occupied)"
        if handicap:
            self.place_handicap(fixed_handicap_points(size, handicap))

    @classmethod
    def from_record(cls, record: GameRecord, moves: int | None = None, superko: bool = False) -> "Game":
        """The game of ``record`` after its first ``moves`` moves (all when None), still open:
        the record's result is not taken over, so play can go on from there.  Raises
        ``IllegalMove`` (with ``move_number``) as ``Board.from_record`` does."""
        game = cls(record.size, record.komi, superko=superko)
        game._board = Board.from_record(record, moves=moves, superko=superko)
        game.setup_black = list(record.setup_black)
        game.setup_white = list(record.setup_white)
        return game

    # -- state ----------------------------------------------------------------------------

    @property
    def board(self) -> Board:
        return self._board

    @property
    def to_play(self) -> int:
        return self._board.to_play

    @property
    def move_number(self) -> int:
        return self._board.move_number

    @property
    def komi(self) -> float:
        return self._board.komi

    @komi.setter
    def komi(self, value: float) -> None:
        self._board.komi = float(value)

    @property
    def over(self) -> bool:
        return self._end_reason is not None

    @property
    def result(self) -> str | None:
        """The SGF result once the game is over, else None."""
        return self._result

    @property
    def end_reason(self) -> str | None:
        return self._end_reason

    @property
    def winner(self) -> int | None:
        """BLACK or WHITE once someone has won; None while playing, for a draw or a void game."""
        return winner_of(self._result)

    def score(self) -> float:
        """Tromp-Taylor area score now: black minus white minus komi (> 0: black ahead)."""
        return self._board.area_score()

    # -- moves ----------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.over:
            raise GameOver(f"the game is over ({self._end_reason}, {self._result})")

    def play(self, point: int, color: int | None = None) -> None:
        """Play ``point`` or pass for ``color`` (default: side to move).

        Raises ``IllegalMove`` (the board is unchanged) or GameOver.  Two passes in a row
        end the game by score; reaching ``max_moves`` ends it void.
        """
        self._require_open()
        self._board.play(point, color)
        if self._board.consecutive_passes >= 2:
            self._end(self._board.result(), TWO_PASSES)
        elif self.max_moves is not None and self.move_number >= self.max_moves:
            self._end(VOID, MOVE_CAP)

    def place_handicap(self, points) -> None:
        """Black handicap stones on the empty board where the caller chose; White moves next."""
        self._require_open()
        if self.move_number or self.setup_black or self.setup_white:
            raise ValueError("handicap stones go on an empty board before the first move")
        self._board.place_free_handicap(list(points))
        self.setup_black = [int(p) for p in points]

    def undo(self) -> None:
        """Take back the last move; an ended game is open again.  IndexError if no move was played."""
        if not self._board.history:
            raise IndexError("no move to take back")
        self._board.undo()
        self.resume()

    # -- endings --------------------------------------------------------------------------

    def _end(self, result: str, reason: str, detail: str = "") -> None:
        self._result, self._end_reason, self.end_detail = result, reason, detail

    def resign(self, color: int) -> None:
        """``color`` gives up: the opponent wins by resignation."""
        self._require_open()
        self._end(f"{_letter(opponent(color))}+R", RESIGNATION)

    def lose_on_time(self, color: int) -> None:
        """``color``'s time ran out: the opponent wins on time."""
        self._require_open()
        self._end(f"{_letter(opponent(color))}+T", TIME)

    def forfeit(self, color: int, why: str = "") -> None:
        """``color`` loses by forfeit (an illegal move, an engine that failed); ``why`` is kept."""
        self._require_open()
        self._end(f"{_letter(opponent(color))}+F", FORFEIT, why)

    def end_by_score(self, result_text: str | None = None) -> str:
        """End or re-judge the game by score and return the result.

        Without ``result_text`` the result is the Tromp-Taylor area score; with it, the
        text (an SGF result such as a referee's ``B+3.5``) overrides.  Allowed on a live
        game (``end_reason`` becomes "adjudication") and on games ended by two passes or
        the move cap (the reason is kept); a game won by resignation, time or forfeit is
        decided and raises GameOver.  ValueError for text that is not an SGF result.
        """
        if self.over and self._end_reason not in _SCORABLE:
            raise GameOver(f"the game was decided by {self._end_reason} ({self._result})")
        if result_text is None:
            result = self._board.result()
        else:
            result = result_text.strip()
            if not _RESULT_TEXT.match(result):
                raise ValueError(f"not an SGF result: {result_text!r}")
        self._end(result, self._end_reason or ADJUDICATION)
        return result

    def resume(self) -> None:
        """Reopen an ended game where it stands (KGS clean-up, a controller that plays on)."""
        self._end(None, None)

    # -- the record -----------------------------------------------------------------------

    def record(self, black: str = "", white: str = "", **meta) -> GameRecord:
        """The game as a ``goengine.sgf.GameRecord``; ``meta`` sets further fields (``name``, ``date``)."""
        return board_record(self._board, result=self._result or "", setup_black=self.setup_black,
                            setup_white=self.setup_white, black_player=black, white_player=white, **meta)

    def sgf(self, black: str = "", white: str = "", **meta) -> str:
        """The game as SGF text (see :meth:`record`)."""
        return write_sgf(self.record(black, white, **meta))

    def save_sgf(self, path: str | os.PathLike, black: str = "", white: str = "", **meta) -> Path:
        """Write the game as SGF to ``path`` (parents created, written atomically); returns the path."""
        path = Path(path)
        atomic_write_text(path, self.sgf(black, white, **meta))
        return path
