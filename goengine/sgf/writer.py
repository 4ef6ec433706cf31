"""A :class:`GameRecord` -> SGF text (FF[4], UTF-8) that sgfmill and our reader both read back.

The record is laid out as sgfmill's own parse tree (property maps of raw values) and
serialised by ``sgf_grammar.serialise_game_tree``, so escaping and line wrapping are
sgfmill's.  Passes are written ``B[]`` (FF[4]; ``tt`` means a point on boards over 19).
Writing what :func:`goengine.sgf.read_game` read gives back the same record.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from sgfmill import sgf_grammar, sgf_properties

import goengine
from goengine.coords import BLACK, WHITE, check_size, to_sgf
from goengine.sgf.reader import GameRecord, default_first_player

_COLOR_PROPERTY = {BLACK: "B", WHITE: "W"}


def write_sgf(record: GameRecord, app: str = "goengine",
              move_properties: Sequence[Mapping[str, str]] | None = None) -> str:
    """SGF text of ``record``'s game; ``AP`` is ``app:goengine-version``.

    ``move_properties``: one mapping per move of further properties for its node, SGF
    identifier -> text (escaped here), e.g. the visit counts of a self-play search.
    Raises ValueError for a record that is not a game (bad size, colour or point) and
    for properties that do not fit the moves.
    """
    size = check_size(record.size)
    moves = [_move_node(color, point, size) for color, point in record.moves]
    if move_properties is not None:
        _add_properties(moves, move_properties)
    tree = sgf_grammar.Coarse_game_tree()
    tree.sequence = [_root(record, app)] + moves
    return sgf_grammar.serialise_game_tree(tree).decode("utf-8")


def _add_properties(nodes: list[dict[str, list[bytes]]], properties: Sequence[Mapping[str, str]]) -> None:
    if len(properties) != len(nodes):
        raise ValueError(f"{len(properties)} sets of move properties for {len(nodes)} moves")
    for node, extra in zip(nodes, properties):
        for identifier, text in extra.items():
            if not (identifier.isascii() and identifier.isalpha() and identifier.isupper()) or identifier in node:
                raise ValueError(f"not a property identifier a move node can take: {identifier!r}")
            node[identifier] = [_escaped(text)]


def _root(record: GameRecord, app: str) -> dict[str, list[bytes]]:
    size = record.size
    root = {
        "FF": [b"4"],
        "GM": [b"1"],
        "CA": [b"UTF-8"],
        "SZ": [str(size).encode()],
        "KM": [sgf_properties.serialise_real(record.komi)],
        "AP": [sgf_grammar.compose(_escaped(app), _escaped(goengine.__version__))],
    }
    for identifier, text in (
        ("RU", record.rules),
        ("PB", record.black_player),
        ("PW", record.white_player),
        ("DT", record.date),
        ("RE", record.result),
    ):
        if text:
            root[identifier] = [_escaped(text)]
    if record.handicap:
        root["HA"] = [str(record.handicap).encode()]
    if record.setup_black:
        root["AB"] = _stones(record.setup_black, size)
    if record.setup_white:
        root["AW"] = _stones(record.setup_white, size)
    has_setup = bool(record.setup_black or record.setup_white)
    if record.first_player != default_first_player(record.moves, record.handicap, has_setup):
        root["PL"] = [_COLOR_PROPERTY[record.first_player].encode()]
    return root


def _escaped(text: str) -> bytes:
    """A SimpleText value: UTF-8 with ``\\`` and ``]`` escaped."""
    return sgf_grammar.escape_text(text.encode("utf-8"))


def _stones(points: list[int], size: int) -> list[bytes]:
    return [_point_value(point, size, allow_pass=False) for point in sorted(points)]


def _move_node(color: int, point: int, size: int) -> dict[str, list[bytes]]:
    if color not in _COLOR_PROPERTY:
        raise ValueError(f"not a colour: {color!r}")
    return {_COLOR_PROPERTY[color]: [_point_value(point, size, allow_pass=True)]}


def _point_value(point: int, size: int, allow_pass: bool) -> bytes:
    limit = size * size + 1 if allow_pass else size * size
    if not 0 <= point < limit:
        raise ValueError(f"point {point!r} is not on a {size}x{size} board")
    return to_sgf(point, size).encode("ascii")
