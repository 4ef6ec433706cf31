"""Match openings: the first moves of real games, so that match games differ.

Two deterministic engines (goengine at temperature 0, GNU Go) play the same game
every time they meet with the same colours, so 40 games would be 2 games counted 20
times.  ``read_openings(source, count, moves, size)`` takes the first ``moves`` moves
of each game read from an SGF source (file, folder or archive, as ``prepare`` reads
them; held-out games are the natural choice) and a match starts game ``2i`` and
``2i + 1`` from opening ``i`` with the colours swapped, so each opening is played
once from each side.

A game gives no opening when it is on another board size, has setup or handicap
stones, is shorter than ``moves``, passes within them, breaks our rules within
them, or repeats an opening already taken; these are counted by reason, and too few
openings is an error (repeating openings would count the same game twice).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from goengine.board import Board, IllegalMove
from goengine.sgf import iter_games


class OpeningError(ValueError):
    """Not enough usable openings in the source (the message says why games were left out)."""


@dataclass(frozen=True)
class Opening:
    """The first moves of one game: ``(colour, point)`` pairs, and where they came from."""

    name: str
    moves: tuple[tuple[int, int], ...]


def opening_of(record, moves: int, superko: bool = False) -> Opening | str:
    """The record's first ``moves`` moves as an Opening, or the reason it gives none."""
    if record.setup_black or record.setup_white or record.handicap:
        return "setup or handicap stones"
    if len(record.moves) < moves:
        return f"fewer than {moves} moves"
    first = tuple((int(color), int(point)) for color, point in record.moves[:moves])
    if any(point == record.size * record.size for _, point in first):
        return "a pass in the opening"
    try:
        Board.from_record(record, moves=moves, superko=superko)
    except IllegalMove:
        return "an illegal move in the opening"
    return Opening(record.name, first)


def pick_openings(records: Iterable, count: int, moves: int, superko: bool = False,
                  skipped: Counter | None = None) -> list[Opening]:
    """The first ``count`` distinct openings of ``records`` (fewer if they run out)."""
    skipped = Counter() if skipped is None else skipped
    chosen: list[Opening] = []
    seen: set[tuple] = set()
    for record in records:
        if len(chosen) >= count:
            break
        opening = opening_of(record, moves, superko)
        if isinstance(opening, str):
            skipped[opening] += 1
        elif opening.moves in seen:
            skipped["same opening as an earlier game"] += 1
        else:
            seen.add(opening.moves)
            chosen.append(opening)
    return chosen


def read_openings(source, count: int, moves: int, size: int, superko: bool = False) -> list[Opening]:
    """``count`` distinct openings of ``moves`` moves from the SGF ``source``; OpeningError if
    there are fewer (FileNotFoundError if the source does not exist)."""
    if moves < 1:
        raise OpeningError(f"an opening needs at least one move, not {moves}")
    skipped: Counter = Counter()
    chosen = pick_openings(iter_games(source, allowed_sizes=(size,), counter=skipped), count, moves, superko, skipped)
    if len(chosen) < count:
        reasons = ", ".join(f"{n} {reason}" for reason, n in skipped.most_common()) or "no games"
        raise OpeningError(
            f"{source} gives {len(chosen)} usable {size}x{size} openings of {moves} moves, "
            f"{count} needed (one per two games); left out: {reasons}"
        )
    return chosen
