"""One SGF game (bytes) -> a :class:`GameRecord`, or a :class:`Skip` with a named reason.

Speed matters here: preparing a data set replays every move of every game, so the
reader works on sgfmill's *grammar* level (``sgf_grammar.parse_sgf_game``: a tree of
property maps holding raw bytes) instead of building ``sgf.Sgf_game`` node objects and
interpreting each move through its presenter.  Moves are turned into flat points by one
dict lookup per move; only the root's few properties get the careful treatment.

Real-world files are full of surprises, so every way a record can be unusable maps to
a short, stable reason (the ``reason`` of the :class:`Skip`):

``parse error``                  not SGF, truncated, or sgfmill could not parse it
``not go``                       ``GM`` names another game
``bad board size``               ``SZ`` is not a number
``non-square board``             ``SZ[19:13]``
``board size N``                 a size outside ``allowed_sizes`` (or outside 2..25)
``bad setup``                    malformed ``AB``/``AW``/``AE``, or a point both black and white
``setup stones after the root``  ``AB``/``AW``/``AE`` once moves have begun (edited positions,
                                 problems); setup in the nodes before the first move is part
                                 of the initial position (Fox puts handicap stones there)
``two moves in one node``        ``B`` and ``W`` in the same node
``bad move``                     a move off the board or malformed
``no moves``                     the main line has no ``B``/``W`` at all

Legality under the rules of Go is *not* checked here: the replay does that.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import math
import re
import struct
from dataclasses import dataclass, field

from sgfmill import sgf_grammar, sgf_properties

from goengine.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE

_SETUP_PROPERTIES = frozenset(("AB", "AW", "AE"))


@dataclass
class GameRecord:
    """A game's main line and the root facts needed to replay and label it.

    Points are flat (``row * size + col``, row 0 at the top, ``PASS = size * size``),
    colours are ``goengine.coords.BLACK``/``WHITE``.  ``setup_black``/``setup_white`` are
    the stones on the board before the first move.  ``komi`` is in points (see
    :func:`parse_komi`).  ``name`` says where the game came from, e.g.
    ``month.tar.bz2!month/123.sgf`` or ``collection.sgf.gz#17``.
    """

    size: int = 19
    komi: float = 0.0
    handicap: int = 0
    setup_black: list[int] = field(default_factory=list)
    setup_white: list[int] = field(default_factory=list)
    moves: list[tuple[int, int]] = field(default_factory=list)
    result: str = ""
    black_player: str = ""
    white_player: str = ""
    date: str = ""
    rules: str = ""
    name: str = ""
    first_player: int = BLACK

    def fingerprint(self) -> bytes:
        """16-byte digest of what makes two records the same game: size, setup, moves.

        Names, dates and komi are left out on purpose, so the same game published by two
        sources (with different metadata) is recognised as a duplicate.  The encoding is
        fixed (little-endian 16-bit words), so the digest is stable across machines and runs.
        """
        digest = hashlib.blake2b(digest_size=16)
        black, white = sorted(self.setup_black), sorted(self.setup_white)
        digest.update(_words([self.size, len(black), len(white), len(self.moves)]))
        digest.update(_words(black + white))
        digest.update(_words([color << 12 | point for color, point in self.moves]))
        return digest.digest()


def _words(values: list[int]) -> bytes:
    return struct.pack(f"<{len(values)}H", *values)


class Skip(Exception):
    """A game that cannot be used; ``reason`` is a short stable name to count it under."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason} ({detail})" if detail else reason)
        self.reason = reason
        self.detail = detail


def read_game(data: bytes, name: str, allowed_sizes=(19,)) -> GameRecord:
    """Parse one SGF game (the first game tree in ``data``); main line only.

    Raises :class:`Skip` for anything unusable, never another exception.  ``data`` may
    also be a str (taken as UTF-8), which is handy for records built in code.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    nodes = _main_line(data)
    root = nodes[0]
    _check_game_type(root)
    size = _board_size(root, allowed_sizes)
    first = _first_move_index(nodes)
    setup_black, setup_white = _initial_setup(nodes[: first + 1], size)
    moves = _moves(nodes[first:], size)
    if not moves:
        raise Skip("no moves")
    handicap = _handicap(root)
    encoding = choose_encoding(data, _raw(root, "CA"))
    return GameRecord(
        size=size,
        komi=parse_komi(_raw(root, "KM")),
        handicap=handicap,
        setup_black=setup_black,
        setup_white=setup_white,
        moves=moves,
        result=_text(root, "RE", encoding),
        black_player=_text(root, "PB", encoding),
        white_player=_text(root, "PW", encoding),
        date=_text(root, "DT", encoding),
        rules=_text(root, "RU", encoding),
        name=name,
        first_player=_player(_raw(root, "PL")) or default_first_player(moves, handicap, bool(setup_black or setup_white)),
    )


def default_first_player(moves, handicap: int, has_setup: bool) -> int:
    """Who moves first when ``PL`` does not say: the first move's colour, else Black,
    except that White starts after handicap stones (the writer uses this to decide
    whether a ``PL`` is needed)."""
    if moves:
        return moves[0][0]
    return WHITE if handicap >= 2 and has_setup else BLACK


# -- the tree -------------------------------------------------------------------------------


def _main_line(data: bytes) -> list[dict]:
    """Property maps of the main line (first variation at every branch), root first."""
    try:
        tree = sgf_grammar.parse_sgf_game(data)
    except Exception as exc:  # sgfmill raises ValueError; any other failure is still unparseable input
        raise Skip("parse error", str(exc)) from None
    nodes = list(tree.sequence)
    while tree.children:
        tree = tree.children[0]
        nodes += tree.sequence
    return nodes


def _raw(node: dict, identifier: str) -> bytes | None:
    """First raw value of a property, or None when absent."""
    values = node.get(identifier)
    return values[0] if values else None


def _check_game_type(root: dict) -> None:
    game = _raw(root, "GM")
    if game is not None and game.strip() not in (b"1", b""):
        raise Skip("not go", game.decode("ascii", "replace"))


def _board_size(root: dict, allowed_sizes) -> int:
    """SZ (19 when absent, as the SGF standard says), checked against ``allowed_sizes``."""
    raw = _raw(root, "SZ")
    if raw is None:
        size = 19
    else:
        columns, colon, rows = raw.partition(b":")
        try:
            size = int(columns)
            height = int(rows) if colon else size
        except ValueError:
            raise Skip("bad board size", raw.decode("ascii", "replace")) from None
        if height != size:
            raise Skip("non-square board")
    if size not in allowed_sizes or not MIN_SIZE <= size <= MAX_SIZE:
        raise Skip(f"board size {size}")
    return size


# -- moves and stones -------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _move_table(size: int, color: int) -> dict[bytes, tuple[int, int]]:
    """Raw SGF move value -> the (colour, point) move itself, passes included, so that a
    move costs one lookup and no allocation."""
    table = {bytes((97 + col, 97 + row)): (color, row * size + col) for row in range(size) for col in range(size)}
    table[b""] = (color, size * size)
    if size <= 19:
        table[b"tt"] = (color, size * size)
    return table


def _first_move_index(nodes: list[dict]) -> int:
    """Index of the first node with a move (``len(nodes)`` when there is none)."""
    for index, props in enumerate(nodes):
        if "B" in props or "W" in props:
            return index
    return len(nodes)


def _moves(nodes: list[dict], size: int) -> list[tuple[int, int]]:
    """(colour, point) of every B/W from the first move on; the hot loop of the reader.

    A node holding only a move (the usual case) is handled without looking at anything
    else; other nodes are checked for setup stones and double moves first.
    """
    if not nodes:
        return []
    black, white = _move_table(size, BLACK), _move_table(size, WHITE)
    first = nodes[0]
    moves = []
    for props in nodes:
        values = props.get("B")
        table = black
        if values is None:
            values = props.get("W")
            table = white
        if values is None or len(props) != 1:
            _check_node(props, setup_allowed=props is first)
            if values is None:
                continue
        move = table.get(values[0]) if len(values) == 1 else None
        moves.append(move or _lenient_move(values, table))
    return moves


def _check_node(props: dict, setup_allowed: bool) -> None:
    if "B" in props and "W" in props:
        raise Skip("two moves in one node")
    if not setup_allowed and not _SETUP_PROPERTIES.isdisjoint(props):
        raise Skip("setup stones after the root")


def _lenient_move(values: list[bytes], table: dict[bytes, tuple[int, int]]) -> tuple[int, int]:
    """A move value that missed the fast lookup: allow surrounding whitespace, else Skip."""
    move = table.get(values[0].strip()) if len(values) == 1 else None
    if move is None:
        raise Skip("bad move", b"][".join(values).decode("ascii", "replace"))
    return move


def _initial_setup(nodes: list[dict], size: int) -> tuple[list[int], list[int]]:
    """Stones on the board before the first move, as sorted flat points.

    AB/AW/AE of every node up to the first move, applied in order (compressed point
    lists allowed): mostly the root's handicap stones, sometimes a second node's.
    """
    black: set[int] = set()
    white: set[int] = set()
    for props in nodes:
        if _SETUP_PROPERTIES.isdisjoint(props):
            continue
        add_black, add_white, empty = (_point_set(props.get(key), size) for key in ("AB", "AW", "AE"))
        if add_black & add_white:
            raise Skip("bad setup", "a point is both black and white")
        black = (black | add_black) - add_white - empty
        white = (white | add_white) - add_black - empty
    return sorted(black), sorted(white)


def _point_set(values: list[bytes] | None, size: int) -> set[int]:
    """Flat points of a (possibly compressed) SGF point list; ``AB[]`` means none."""
    values = [value for value in values or () if value.strip()]
    if not values:
        return set()
    try:
        points = _presenter(size).interpret("AB", values)
    except Exception as exc:  # malformed values are ValueError; anything else is malformed too
        raise Skip("bad setup", str(exc)) from None
    # sgfmill counts rows from the bottom; goengine from the top
    return {(size - 1 - row) * size + col for row, col in points}


@functools.lru_cache(maxsize=None)
def _presenter(size: int) -> sgf_properties.Presenter:
    return sgf_properties.Presenter(size, "UTF-8")


def _handicap(root: dict) -> int:
    """HA as a non-negative integer; unreadable values count as no handicap."""
    raw = _raw(root, "HA")
    try:
        handicap = int(raw) if raw is not None else 0
    except ValueError:
        return 0
    return handicap if 0 <= handicap <= MAX_SIZE * MAX_SIZE else 0


def _player(raw: bytes | None) -> int | None:
    """PL value -> colour, or None when absent or unreadable."""
    value = raw.strip().upper() if raw is not None else b""
    return {b"B": BLACK, b"W": WHITE, b"1": BLACK, b"2": WHITE}.get(value)


# -- komi and text ----------------------------------------------------------------------------


def parse_komi(raw: bytes | None) -> float:
    """KM as points of komi, reading the conventions found in real files.

    - absent or unreadable (``KM[?]``, ``KM[inf]``) -> 0.0: komi does not change which
      moves were played, so dropping the game for it would only waste data;
    - a decimal comma is accepted (``KM[6,5]``);
    - magnitudes of 100 or more are hundredths, as the Fox server writes them
      (``KM[650]`` = 6.5, ``KM[750]`` = 7.5, ``KM[375]`` = 3.75);
    - quarter values are Chinese komi counted in stones, which is half the points
      (``KM[3.75]`` = 7.5 points, ``KM[2.75]`` = 5.5).
    """
    if raw is None:
        return 0.0
    try:
        komi = float(raw.strip().replace(b",", b"."))
    except ValueError:
        return 0.0
    if not math.isfinite(komi):
        return 0.0
    if abs(komi) >= 100:
        komi /= 100
    if (komi * 4) % 2 == 1:
        komi *= 2
    return komi


def _text(root: dict, identifier: str, encoding: str) -> str:
    """A SimpleText root property as str (escapes resolved, whitespace collapsed)."""
    raw = _raw(root, identifier)
    if raw is None:
        return ""
    return sgf_grammar.simpletext_value(raw).decode(encoding, "replace").strip()


# Declared charsets whose data often decodes better with a superset codec.
_WIDER_CODECS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950", "euc_kr": "cp949", "shift_jis": "cp932"}
# Single-byte charsets decode anything, so a declaration of them proves nothing:
# many programs write CA[ISO-8859-1] (the SGF default) whatever they actually store.
_WEAK_CODECS = frozenset(("iso8859-1", "cp1252"))
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def choose_encoding(data: bytes, declared: bytes | None) -> str:
    """The codec to decode this game's text with; always one Python knows.

    Files lie about their charset, omit it, or are cut in the middle of a character, so:
    a declared multi-byte charset that decodes the data wins; then UTF-8 if the data is
    valid UTF-8 (hardly any other text is); then UTF-8 that is *mostly* valid (a name cut
    mid-character on a server); then a declared single-byte charset; then, for
    undeclared or bogus charsets, GB18030 or Big5 when high bytes come in pairs (Chinese
    text), else ISO-8859-1, the SGF default.
    """
    if data.isascii():
        return "ascii"
    codec = _known_codec(declared)
    if codec is not None and codec not in _WEAK_CODECS and _decodes(data, codec):
        return codec
    if _decodes(data, "utf-8"):
        return "utf-8"
    if codec in (None, "ascii", "utf-8") and _mostly_utf8(data):
        return "utf-8"
    if codec in _WEAK_CODECS:
        return codec
    if all(len(run) % 2 == 0 for run in _HIGH_RUN.findall(data)):
        for candidate in ("gb18030", "big5"):
            if _decodes(data, candidate):
                return candidate
    return "iso8859-1"


def _known_codec(declared: bytes | None) -> str | None:
    """Python's codec for a CA value (widened to its superset), or None if unknown."""
    if declared is None:
        return None
    try:
        name = codecs.lookup(declared.decode("ascii").strip()).name
        b"text".decode(name)  # rejects bytes-to-bytes codecs such as 'hex' or 'zlib'
    except (LookupError, UnicodeError, ValueError):
        return None
    return _WIDER_CODECS.get(name, name)


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(data: bytes) -> bool:
    """True when damaged UTF-8 still decodes to at least twice as many non-ASCII
    characters as replacement characters (text in another charset does not)."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    return good >= 2 * bad
