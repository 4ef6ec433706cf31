"""Go rules for play: a Board that knows chains, liberties, captures, ko and scoring.

The words, as every module of goengine uses them:

point     an intersection of the board, one flat integer ``row * size + col`` with row 0
          at the top (``goengine.coords``); ``size * size`` is not a point but the pass.
colour    what a point holds: ``EMPTY`` (0), ``BLACK`` (1) or ``WHITE`` (2); a player is
          BLACK or WHITE and ``opponent(c) = 3 - c`` is the other one.
chain     stones of one colour joined through their up/down/left/right neighbours; a
          chain is captured, and lives, as a whole.
liberty   an empty point next to a chain.  A chain whose last liberty is filled by the
          opponent is captured: its stones leave the board.
move      a colour and a point (or the pass) played in turn.  Legal when the point is
          empty, the stone is not suicide (it has a liberty once captures are taken off)
          and it does not break ko or, when asked for, superko.
pass      a move that places no stone; two passes in a row end a game.
ko        a single stone that captures a single stone and is left with one liberty could
          be taken straight back, forever; simple ko forbids that immediate recapture
          (``ko_point``) for one move.
superko   the stronger rule that no move may recreate any whole-board position seen
          before (positional superko), checked through Zobrist hashes when enabled.
setup     stones put on the board directly, not played (SGF ``AB``/``AW``/``AE``, edited
          positions); no captures happen.
handicap  black setup stones on an empty board (``HA``) after which White moves first.

The heavy lifting happens in the numba kernels of ``goengine._board_core``; this class
holds the state arrays, the move history (for undo, superko and SGF output) and the
rules choices:

- suicide is illegal; simple ko always applies; positional superko is optional, for play
  against engines that use it;
- scoring is Tromp-Taylor area scoring (stones + empty regions reaching one colour only)
  with komi;
- handicap stones follow GTP's fixed placement; SGF setup stones (AB/AW/AE) can be placed
  at any time and count as a step that ``undo`` takes back.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from goengine import _board_core as core
from goengine.coords import BLACK, EMPTY, RECENT_MOVES, WHITE, check_size, from_rc, opponent, pass_point, star_lines
from goengine.render import render_board

_REASONS = {core.OCCUPIED: "occupied", core.SUICIDE: "suicide", core.KO: "ko"}


class IllegalMove(ValueError):
    """A move the rules forbid; ``reason`` is 'occupied', 'suicide', 'ko' or 'superko'."""

    def __init__(self, reason: str, point: int, color: int):
        super().__init__(f"illegal move ({reason})")
        self.reason = reason
        self.point = point
        self.color = color


@lru_cache(maxsize=None)
def _tables(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour and Zobrist tables, built once per board size."""
    return core.neighbour_table(size), core.zobrist_table(size)


def replay_stones(setup: np.ndarray, colours: np.ndarray, moves: np.ndarray, size: int):
    """Replay a whole game in one compiled call, without the Board object's history.

    The fast path of ``prepare`` and ``evaluate``: ``setup`` is the int8 starting
    position (``size*size``), ``colours``/``moves`` the int8/int16 moves (PASS allowed).
    Returns ``(before, ko, replayed)``: the stones before each move (int8 ``[n, size*size]``),
    the simple-ko point the mover may not take (int16 ``[n]``, -1 for none), and how many
    moves were legal (the replay stops at the first illegal one; rows after it are
    undefined).
    """
    nbr, zob = _tables(size)
    before = np.empty((len(moves), size * size), dtype=np.int8)
    ko = np.empty(len(moves), dtype=np.int16)
    replayed = core.replay_game(colours, moves, setup, nbr, zob, before, ko)
    return before, ko, int(replayed)


def fixed_handicap_points(size: int, stones: int) -> list[int]:
    """GTP's fixed handicap placement (GTP 2, section 4.1.1) as flat points.

    The stones stand on the lines of ``coords.star_lines``, but the table is a fact of
    its own, not the star points: on odd boards from 9x9 to 11x11 it also uses the side
    points of the middle lines, which are not drawn as star points there, and 7x7 and
    the even boards take at most 4 stones.  Odd boards of 9 and more take up to 9.
    """
    lines = star_lines(size)
    largest = 0 if lines is None else (9 if size % 2 == 1 and size >= 9 else 4)
    if not 2 <= stones <= largest:
        raise ValueError(f"no fixed placement for {stones} handicap stones on {size}x{size}")
    low, mid, high = lines  # row/col indices, row 0 at the top

    def rc(row: int, col: int) -> int:
        return from_rc(row, col, size)

    corners = [rc(high, low), rc(low, high), rc(low, low), rc(high, high)]  # D4 Q16 D16 Q4 order
    sides_lr = [rc(mid, low), rc(mid, high)]
    sides_tb = [rc(high, mid), rc(low, mid)]
    centre = rc(mid, mid)
    layouts = {
        2: corners[:2],
        3: corners[:3],
        4: corners,
        5: corners + [centre],
        6: corners + sides_lr,
        7: corners + sides_lr + [centre],
        8: corners + sides_lr + sides_tb,
        9: corners + sides_lr + sides_tb + [centre],
    }
    return layouts[stones]


class Board:
    """A Go board with its history.  See docs/design.md for the full API."""

    def __init__(self, size: int = 19, komi: float = 7.5, superko: bool = False):
        self.size = check_size(size)
        self.komi = float(komi)
        self.superko = superko
        self.pass_point = pass_point(size)
        self._nbr, self._zob = _tables(size)
        points = size * size
        self._color = np.zeros(points, dtype=np.int8)
        self._head = np.full(points, -1, dtype=np.int16)
        self._nxt = np.arange(points, dtype=np.int16)
        self._csize = np.zeros(points, dtype=np.int16)
        self._libs = np.zeros(points, dtype=np.int16)
        self._seen = np.zeros(points, dtype=np.int64)
        self._touched = np.empty(4 * points, dtype=np.int64)
        self._stamp = 0
        self.to_play = BLACK
        self.ko_point = -1
        self.zobrist = 0
        self.captures = {BLACK: 0, WHITE: 0}
        self.history: list[tuple[int, int]] = []
        self.handicap = 0
        self._seen_positions: set[int] = {0}
        self._undo_stack: list[tuple] = []

    @classmethod
    def from_record(cls, record, moves: int | None = None, superko: bool = False) -> "Board":
        """The board of a game record (``goengine.sgf.GameRecord``) after its first
        ``moves`` moves (all of them when None): size, komi, handicap, setup stones,
        then the moves through ``play``, so the history, undo and superko hashes are
        those of a game played here.  Raises ``IllegalMove`` at the first illegal move;
        its ``move_number`` attribute says which (1-based).
        """
        board = cls(record.size, record.komi, superko=superko)
        if record.setup_black or record.setup_white:
            board.setup(black=record.setup_black, white=record.setup_white)
        board.handicap = int(record.handicap or 0)
        board.to_play = record.first_player or BLACK
        played = record.moves if moves is None else record.moves[: max(moves, 0)]
        for number, (color, point) in enumerate(played, start=1):
            try:
                board.play(point, color)
            except IllegalMove as exc:
                exc.move_number = number
                raise
        return board

    # --- reading the position -------------------------------------------------------

    @property
    def stones(self) -> np.ndarray:
        """Flat int8 stones (0 empty, 1 black, 2 white), read-only."""
        view = self._color.view()
        view.flags.writeable = False
        return view

    @property
    def move_number(self) -> int:
        return len(self.history)

    @property
    def consecutive_passes(self) -> int:
        count = 0
        for _, point in reversed(self.history):
            if point != self.pass_point:
                break
            count += 1
        return count

    def recent_moves(self, n: int = RECENT_MOVES) -> np.ndarray:
        """Points of the last ``n`` moves, most recent first; -1 for a pass or no move."""
        out = np.full(n, -1, dtype=np.int16)
        for i, (_, point) in enumerate(reversed(self.history[-n:])):
            out[i] = point if point != self.pass_point else -1
        return out

    def liberties(self, point: int) -> int:
        """Liberties of the chain at ``point`` (0 on an empty point)."""
        head = self._head[point]
        return int(self._libs[head]) if head >= 0 else 0

    def chain(self, point: int) -> list[int]:
        """All stones of the chain at ``point`` (empty list on an empty point)."""
        if self._head[point] < 0:
            return []
        stones, s = [point], int(self._nxt[point])
        while s != point:
            stones.append(s)
            s = int(self._nxt[s])
        return sorted(stones)

    def _ko_for(self, color: int) -> int:
        """The simple-ko point, which binds only the player who moves right after the capture."""
        return self.ko_point if color == self.to_play else -1

    def illegal_reason(self, point: int, color: int | None = None) -> str | None:
        """None if ``color`` (default: side to move) may play ``point``, else why not."""
        color = self.to_play if color is None else color
        if point == self.pass_point:
            return None
        if not 0 <= point < self.pass_point:
            return "off board"
        code = core.legal_code(self._color, self._head, self._libs, self._nbr, point, color, self._ko_for(color))
        if code != core.LEGAL:
            return _REASONS[code]
        if self.superko and self._repeats(point, color):
            return "superko"
        return None

    def is_legal(self, point: int, color: int | None = None) -> bool:
        return self.illegal_reason(point, color) is None

    def _repeats(self, point: int, color: int) -> bool:
        after = core.hash_after(self._color, self._head, self._nxt, self._libs, self._nbr, self._zob, point, color, self.zobrist)
        return int(after) in self._seen_positions

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """Boolean mask over the board points (not pass) of the legal moves."""
        color = self.to_play if color is None else color
        mask = np.zeros(self.pass_point, dtype=bool)
        for point in np.flatnonzero(self._color == EMPTY):
            mask[point] = self.illegal_reason(int(point), color) is None
        return mask

    def is_eye(self, point: int, color: int) -> bool:
        """True if ``point`` is a single-point true eye of ``color`` (see
        ``_board_core.is_own_eye``; the feature planes use the same kernel).  Filling such
        a point is never a good move."""
        return bool(core.is_own_eye(self._color, point, color, self.size))

    # --- changing the position ------------------------------------------------------

    def _save(self) -> None:
        self._undo_stack.append(
            (
                self._color.copy(),
                self._head.copy(),
                self._nxt.copy(),
                self._csize.copy(),
                self._libs.copy(),
                self.to_play,
                self.ko_point,
                self.zobrist,
                dict(self.captures),
                len(self.history),
                self.handicap,
                set(self._seen_positions) if self.superko else None,
            )
        )

    def play(self, point: int, color: int | None = None) -> None:
        """Play ``point`` (or PASS) for ``color`` (default: side to move); raise IllegalMove."""
        color = self.to_play if color is None else color
        if color not in (BLACK, WHITE):
            raise ValueError(f"not a colour: {color!r}")
        reason = self.illegal_reason(point, color)
        if reason is not None:
            raise IllegalMove(reason, point, color)
        self._save()
        if point == self.pass_point:
            self.ko_point = -1
        else:
            captured, ko, delta, self._stamp = core.play_stone(
                self._color, self._head, self._nxt, self._csize, self._libs, self._nbr, self._zob,
                point, color, self._seen, self._stamp, self._touched,
            )
            self.captures[color] += captured
            self.ko_point = ko
            self.zobrist ^= int(delta)
            if self.superko:
                self._seen_positions.add(self.zobrist)
        self.history.append((color, point))
        self.to_play = opponent(color)

    def setup(self, black=(), white=(), empty=()) -> None:
        """Place SGF setup stones (AB/AW/AE); captures are not resolved, as in SGF."""
        self._save()
        for points, color in ((black, BLACK), (white, WHITE), (empty, EMPTY)):
            for point in points:
                self._color[point] = color
        core.rebuild_chains(self._color, self._head, self._nxt, self._csize, self._libs, self._nbr)
        self.zobrist = 0
        for point in np.flatnonzero(self._color):
            self.zobrist ^= int(self._zob[self._color[point], point])
        self.ko_point = -1
        if self.superko:
            self._seen_positions.add(self.zobrist)

    def place_handicap(self, stones: int) -> list[int]:
        """Put GTP's fixed handicap stones on an empty board; white moves next."""
        if self.history or np.any(self._color):
            raise ValueError("handicap stones go on an empty board")
        points = fixed_handicap_points(self.size, stones)
        self.place_free_handicap(points)
        return points

    def place_free_handicap(self, points) -> None:
        """Black stones placed where the caller chose (GTP set_free_handicap); white next."""
        self.setup(black=points)
        self.handicap = len(points)
        self.to_play = WHITE

    def undo(self) -> None:
        """Take back the last move or setup step; IndexError when there is nothing to undo."""
        if not self._undo_stack:
            raise IndexError("nothing to undo")
        (
            color, head, nxt, csize, libs,
            self.to_play, self.ko_point, self.zobrist, captures, moves, self.handicap, seen,
        ) = self._undo_stack.pop()
        # copies: a Board.copy() may share the saved arrays
        self._color, self._head, self._nxt = color.copy(), head.copy(), nxt.copy()
        self._csize, self._libs, self.captures = csize.copy(), libs.copy(), dict(captures)
        del self.history[moves:]
        if seen is not None:
            self._seen_positions = seen

    def copy(self) -> "Board":
        """An independent board with the same position and history."""
        other = Board.__new__(Board)
        other.__dict__.update(self.__dict__)
        for name in ("_color", "_head", "_nxt", "_csize", "_libs", "_seen"):
            setattr(other, name, getattr(self, name).copy())
        other._touched = np.empty_like(self._touched)
        other.captures = dict(self.captures)
        other.history = list(self.history)
        other._seen_positions = set(self._seen_positions)
        other._undo_stack = list(self._undo_stack)
        return other

    # --- scoring ---------------------------------------------------------------------

    def area_ownership(self) -> np.ndarray:
        """Per point: BLACK or WHITE if it counts for that colour by area, EMPTY for dame."""
        return core.area_owner(self._color, self._nbr)

    def area_score(self) -> float:
        """Tromp-Taylor score: black area - white area - komi (> 0 means black wins)."""
        owner = self.area_ownership()
        return float(np.count_nonzero(owner == BLACK) - np.count_nonzero(owner == WHITE)) - self.komi

    def result(self) -> str:
        """SGF-style result of the area score, e.g. 'B+3.5', 'W+0.5' or '0' for a draw."""
        score = self.area_score()
        if score == 0:
            return "0"
        return f"{'B' if score > 0 else 'W'}+{abs(score):g}"

    def __str__(self) -> str:
        """The board as ``goengine.render`` draws it, without the last-move mark and the
        captures line."""
        return render_board(self, mark=None, info=False)
