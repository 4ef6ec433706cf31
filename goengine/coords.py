"""Board coordinates and their text forms.

Everything inside goengine names a board point by one flat integer,
``point = row * size + col``, with ``row 0`` the *top* row as a board is drawn
(GTP row ``size``) and ``col 0`` column ``A``.  ``PASS`` is ``size * size`` so a
policy over ``size * size + 1`` actions indexes moves directly.

Outside formats differ: GTP counts rows from the bottom and skips the letter
``I``; SGF uses two lowercase letters from the top-left corner (``aa``), with
``tt`` or an empty value meaning pass on boards up to 19x19.  The conversions
live here so no other module has to know.
"""

from __future__ import annotations

EMPTY, BLACK, WHITE = 0, 1, 2
MIN_SIZE, MAX_SIZE = 2, 25
RECENT_MOVES = 8  # moves a position remembers: records keep them, the turns-since planes read them

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no "I", as in GTP and on real boards


def opponent(color: int) -> int:
    """The other colour (BLACK <-> WHITE)."""
    return 3 - color


def pass_point(size: int) -> int:
    """The action index that means pass on a board of this size."""
    return size * size


def check_size(size: int) -> int:
    """Return ``size`` if goengine can play on it, else raise ValueError."""
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"board size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    return size


def to_rc(point: int, size: int) -> tuple[int, int]:
    """Flat point -> (row, col), row 0 at the top."""
    return divmod(point, size)


def from_rc(row: int, col: int, size: int) -> int:
    """(row, col), row 0 at the top -> flat point."""
    return row * size + col


def to_gtp(point: int, size: int) -> str:
    """Flat point (or PASS) -> GTP vertex such as ``D4`` or ``pass``."""
    if point == pass_point(size):
        return "pass"
    row, col = to_rc(point, size)
    return f"{GTP_COLUMNS[col]}{size - row}"


def from_gtp(text: str, size: int) -> int:
    """GTP vertex (``D4``, ``d4``, ``pass``) -> flat point; ValueError if malformed or off the board."""
    vertex = text.strip().upper()
    if vertex == "PASS":
        return pass_point(size)
    if len(vertex) < 2 or vertex[0] not in GTP_COLUMNS[:size] or not vertex[1:].isdigit():
        raise ValueError(f"not a vertex on a {size}x{size} board: {text!r}")
    col = GTP_COLUMNS.index(vertex[0])
    number = int(vertex[1:])
    if not 1 <= number <= size:
        raise ValueError(f"not a vertex on a {size}x{size} board: {text!r}")
    return from_rc(size - number, col, size)


def to_sgf(point: int, size: int) -> str:
    """Flat point (or PASS) -> SGF point value; pass is written as the empty value (FF[4])."""
    if point == pass_point(size):
        return ""
    row, col = to_rc(point, size)
    return chr(ord("a") + col) + chr(ord("a") + row)


def from_sgf(text: str, size: int) -> int:
    """SGF point value -> flat point; ``""`` and (on boards <= 19) ``tt`` mean pass."""
    value = text.strip()
    if value == "" or (value == "tt" and size <= 19):
        return pass_point(size)
    if len(value) != 2:
        raise ValueError(f"not an SGF point: {text!r}")
    col = ord(value[0]) - ord("a")
    row = ord(value[1]) - ord("a")
    if not (0 <= row < size and 0 <= col < size):
        raise ValueError(f"SGF point {text!r} is off a {size}x{size} board")
    return from_rc(row, col, size)


def star_lines(size: int) -> tuple[int, int, int] | None:
    """The row/column indices ``(low, middle, high)`` on which star points and GTP's fixed
    handicap stones lie: the 4th line from each edge on 13x13 and up, the 3rd line on
    7x7 to 12x12, and the centre line.  None below 7x7, where there are neither."""
    if size < 7:
        return None
    edge = 3 if size >= 13 else 2
    return edge, size // 2, size - 1 - edge


def star_points(size: int) -> set[int]:
    """Hoshi, the points drawn on the board: the four corner points of ``star_lines``,
    the centre on odd sizes, and the side points on odd boards of 13x13 and up."""
    lines = star_lines(size)
    if lines is None:
        return set()
    low, mid, high = lines
    corners = (low, high)
    points = {from_rc(r, c, size) for r in corners for c in corners}
    if size % 2 == 1:
        points.add(from_rc(mid, mid, size))
        if size >= 13:
            points |= {from_rc(mid, low, size), from_rc(mid, high, size), from_rc(low, mid, size), from_rc(high, mid, size)}
    return points
