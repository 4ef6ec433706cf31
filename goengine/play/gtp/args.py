"""Typed GTP arguments: every conversion from tokens to values, in one place.

A command declares its arguments as a tuple of these specs (see ``commands.command``)
and the dispatcher converts the tokens before the handler runs, so handlers receive
ints, colours, board points and settings, never strings to check.  Each spec takes
its tokens from the front of the list; tokens left over at the end are ignored (GTP
controllers sometimes add arguments that only newer engines understand).

A spec needs the session for what depends on the game: the board size (vertices)
and the colour to move (the default of the analysis commands).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from goengine.coords import BLACK, GTP_COLUMNS, WHITE, from_gtp
from goengine.engine.timecontrol import ABSOLUTE, BYOYOMI, CANADIAN, NONE, TimeSettings
from goengine.play.gtp.protocol import GtpFailure

COLOR_WORDS = {"b": BLACK, "black": BLACK, "w": WHITE, "white": WHITE}
MAX_INT_DIGITS = 12
INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_INT_DIGITS}}}")
MAX_FLOAT_CHARS = 40


class Arg:
    """One argument: ``take`` removes its tokens from the front of ``tokens``."""

    def __init__(self, name: str):
        self.name = name

    def next_token(self, tokens: list[str]) -> str:
        if not tokens:
            raise GtpFailure(f"syntax error ({self.name} expected)")
        return tokens.pop(0)

    def take(self, tokens: list[str], session):
        raise NotImplementedError


class Int(Arg):
    def __init__(self, name: str = "integer"):
        super().__init__(name)

    def take(self, tokens, session) -> int:
        token = self.next_token(tokens)
        if not INTEGER.fullmatch(token):
            raise GtpFailure(f"syntax error ({self.name} expected)")
        return int(token)


class Float(Arg):
    def __init__(self, name: str = "number"):
        super().__init__(name)

    def take(self, tokens, session) -> float:
        token = self.next_token(tokens)
        try:
            if len(token) > MAX_FLOAT_CHARS:
                raise ValueError
            value = float(token)
        except ValueError:
            raise GtpFailure(f"syntax error ({self.name} expected)") from None
        if not math.isfinite(value):
            raise GtpFailure(f"syntax error ({self.name} expected)")
        return value


class Color(Arg):
    def __init__(self, name: str = "color"):
        super().__init__(name)

    def take(self, tokens, session) -> int:
        color = COLOR_WORDS.get(self.next_token(tokens).lower())
        if color is None:
            raise GtpFailure("syntax error (invalid color)")
        return color


def vertex_point(token: str, size: int, off_board: str) -> int:
    """GTP vertex -> point ('pass' -> the pass point); 'syntax error' if malformed,
    ``off_board`` as the message for a well-formed vertex beyond the board."""
    text = token.upper()
    if text == "PASS":
        return size * size
    if not 2 <= len(text) <= 4 or text[0] not in GTP_COLUMNS or not text[1:].isdigit() or not text[1:].isascii():
        raise GtpFailure("syntax error (invalid vertex)")
    try:
        return from_gtp(text, size)
    except ValueError:
        raise GtpFailure(off_board) from None


class Vertex(Arg):
    """A point or pass; a vertex beyond the board fails with ``off_board`` (GTP ``play``
    calls that an illegal move)."""

    def __init__(self, name: str = "vertex", off_board: str = "illegal move"):
        super().__init__(name)
        self.off_board = off_board

    def take(self, tokens, session) -> int:
        return vertex_point(self.next_token(tokens), session.size, self.off_board)


class VertexList(Arg):
    """All remaining tokens as distinct board points (no pass); any fault is ``error``."""

    def __init__(self, name: str = "vertices", error: str = "bad vertex list"):
        super().__init__(name)
        self.error = error

    def take(self, tokens, session) -> list[int]:
        points: list[int] = []
        size = session.size
        while tokens:
            try:
                point = vertex_point(tokens.pop(0), size, self.error)
            except GtpFailure:
                raise GtpFailure(self.error) from None
            if point == size * size or point in points:
                raise GtpFailure(self.error)
            points.append(point)
        return points


class Word(Arg):
    """One of ``choices`` (case-insensitive), returned in lower case."""

    def __init__(self, name: str, choices: tuple[str, ...]):
        super().__init__(name)
        self.choices = choices

    def take(self, tokens, session) -> str:
        word = self.next_token(tokens).lower()
        if word not in self.choices:
            raise GtpFailure(f"syntax error ({self.name} must be {', '.join(self.choices[:-1])} or {self.choices[-1]})")
        return word


class Text(Arg):
    """One token as it is (a file name, a command name)."""

    def take(self, tokens, session) -> str:
        return self.next_token(tokens)


class Optional(Arg):
    """``spec`` if a token is left, else ``default``."""

    def __init__(self, spec: Arg, default=None):
        super().__init__(spec.name)
        self.spec = spec
        self.default = default

    def take(self, tokens, session):
        return self.spec.take(tokens, session) if tokens else self.default


class KgsTimeSystem(Arg):
    """``none | absolute MAIN | byoyomi MAIN PERIOD PERIODS | canadian MAIN PERIOD STONES``."""

    NUMBERS = {NONE: (), ABSOLUTE: ("main time",), BYOYOMI: ("main time", "period time", "periods"),
               CANADIAN: ("main time", "period time", "stones")}

    def __init__(self):
        super().__init__("time system")
        self.system = Word("time system", tuple(self.NUMBERS))

    def take(self, tokens, session) -> TimeSettings:
        system = self.system.take(tokens, session)
        names = self.NUMBERS[system]
        if len(tokens) < len(names):
            raise GtpFailure(f"syntax error ({system} needs {len(names)} numbers: {', '.join(names)})")
        values = [Float(name).take(tokens, session) for name in names[:2]]
        if len(names) == 3:
            values.append(Int(names[2]).take(tokens, session))
        try:
            return TimeSettings(system, *values)
        except ValueError as exc:
            raise GtpFailure(f"syntax error ({exc})") from None


@dataclass(frozen=True)
class AnalyzeRequest:
    """The arguments of the analysis commands (``lz-``/``kata-analyze``, ``analyze`` and
    their ``genmove`` variants).  ``interval`` in seconds (None: no periodic lines)."""

    color: int
    interval: float | None
    max_moves: int
    root_info: bool = False


class AnalyzeArgs(Arg):
    """``[color] [interval] [key value ...]``, as Leela Zero and KataGo read them.

    Keys: ``interval`` (centiseconds), ``maxmoves``, ``minmoves`` (we can always list
    more moves), ``rootInfo true`` (KataGo); ``avoid``/``allow COLOR VERTICES UNTIL``
    are read and ignored, as is any other key with its value (``ownership``,
    ``pvVisits``, ...).
    """

    DEFAULT_INTERVAL_CS = 100
    INT_KEYS = ("interval", "maxmoves", "minmoves")
    THREE_VALUE_KEYS = ("avoid", "allow")

    def __init__(self):
        super().__init__("analysis arguments")

    def take(self, tokens, session) -> AnalyzeRequest:
        color = session.game.to_play
        if tokens and tokens[0].lower() in COLOR_WORDS:
            color = Color().take(tokens, session)
        values = {"interval": self.DEFAULT_INTERVAL_CS, "maxmoves": 0, "minmoves": 0}
        if tokens and tokens[0].isdigit():
            values["interval"] = Int("interval").take(tokens, session)
        root_info = False
        while tokens:
            key = tokens.pop(0).lower()
            if key in self.INT_KEYS:
                values[key] = Int(key).take(tokens, session)
            elif key in self.THREE_VALUE_KEYS:
                del tokens[:3]
            elif key == "rootinfo":
                root_info = Text(key).take(tokens, session).lower() == "true"
            else:
                del tokens[:1]
        moves = values["maxmoves"] if values["maxmoves"] > 0 else session.analysis_moves
        moves = max(moves, values["minmoves"])
        interval = values["interval"] / 100 if values["interval"] > 0 else None
        return AnalyzeRequest(color, interval, moves, root_info)


__all__ = [
    "AnalyzeArgs",
    "AnalyzeRequest",
    "Arg",
    "COLOR_WORDS",
    "Color",
    "Float",
    "Int",
    "KgsTimeSystem",
    "Optional",
    "Text",
    "Vertex",
    "VertexList",
    "Word",
    "vertex_point",
]
