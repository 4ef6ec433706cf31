"""The board as text, for people: the terminal game, GTP ``showboard`` and the env's
``render``.  One drawing for all of them: GTP coordinates (columns A-T without I, rows
numbered from the bottom), ``+`` on star points, the last move in parentheses, and
optionally ANSI colours and a line with the captures.
"""

from __future__ import annotations

from goengine.coords import BLACK, GTP_COLUMNS, WHITE, star_points, to_gtp

_RESET = "\x1b[0m"
_BOARD_BG = "\x1b[48;5;179m"  # wood
_BLACK_STONE = "\x1b[38;5;232m"
_WHITE_STONE = "\x1b[38;5;255m"
_GRID = "\x1b[38;5;94m"
_MARK = "\x1b[1;38;5;160m"
_LABEL = "\x1b[1m"


def color_word(color: int) -> str:
    return "Black" if color == BLACK else "White"


def last_move(board) -> int | None:
    """The point of the last move (None for none or a pass)."""
    if not board.history:
        return None
    point = board.history[-1][1]
    return None if point == board.pass_point else point


def render_board(board, color: bool = False, mark: int | None = -2, info: bool = True) -> str:
    """The board as text: X black, O white, + star points, ``(X)`` the last move.

    ``mark``: the point to put in parentheses (default: the last move; None: none).
    ``info``: add a line with the captures and the last move.  The text has no blank
    lines (GTP ``showboard`` relies on that).
    """
    size = board.size
    if mark == -2:
        mark = last_move(board)
    stones = board.stones
    stars = star_points(size)
    letters = " ".join(GTP_COLUMNS[:size])
    header = "    " + letters
    if color:
        header = "    " + _LABEL + letters + _RESET
    lines = [header]
    for row in range(size):
        number = size - row
        cells = []
        for col in range(size):
            p = row * size + col
            if p == mark:
                sep = "("
            elif col > 0 and p - 1 == mark:
                sep = ")"
            else:
                sep = " "
            value = int(stones[p])
            if value == BLACK:
                sym = "X"
            elif value == WHITE:
                sym = "O"
            else:
                sym = "+" if p in stars else "."
            if color:
                if sep in "()":
                    sep = _MARK + sep
                else:
                    sep = _GRID + sep
                if value == BLACK:
                    sym = _BLACK_STONE + "\u25cf"
                elif value == WHITE:
                    sym = _WHITE_STONE + "\u25cf"
                else:
                    sym = _GRID + sym
            cells.append(sep + sym)
        end = ")" if mark == row * size + size - 1 else " "
        if color:
            end = (_MARK if end == ")" else _GRID) + end
            line = f"{_LABEL}{number:>2}{_RESET} {_BOARD_BG}{''.join(cells)}{end}{_RESET} {_LABEL}{number}{_RESET}"
        else:
            line = f"{number:>2} {''.join(cells)}{end} {number}"
        lines.append(line)
    lines.append(header)
    if info:
        caps = board.captures
        text = f"Captures: Black {caps[BLACK]}, White {caps[WHITE]}"
        if board.history:
            who, point = board.history[-1]
            text += f".  Move {board.move_number}: {color_word(who)} {to_gtp(point, size)}"
        text += f".  {color_word(board.to_play)} to play."
        lines.append(text)
    return "\n".join(lines)
