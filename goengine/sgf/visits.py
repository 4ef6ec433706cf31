"""The search's visit counts in SGF: the ``GV`` property of self-play records.

A move node of a game that goengine's search played against itself (``play.py selfplay
--playouts N``) carries the visits of each root move when the search chose (the N new
playouts and those the tree kept from the move before), as ``GV[dd:118 cc:41 ed:12 pass:1]``: ``point:visits`` pairs in SGF coordinates
(``pass`` for a pass), most visited first, moves without visits left out.  These are
the targets of AlphaGo Zero's policy training, kept in the record for later
reinforcement learning.  A move chosen without a search (passing to end a won game
right after the opponent passed) has no ``GV``.

``GV`` is goengine's own property; SGF readers keep or ignore unknown properties.
"""

from __future__ import annotations

import numpy as np

from goengine.coords import from_sgf, to_sgf

VISITS_PROPERTY = "GV"
PASS_WORD = "pass"


def format_visits(counts: np.ndarray, size: int) -> str:
    """The ``GV`` text of a root's visits (int [N*N + 1], pass last)."""
    counts = np.asarray(counts)
    if counts.shape != (size * size + 1,):
        raise ValueError(f"expected {size * size + 1} visit counts for {size}x{size}, got shape {counts.shape}")
    order = np.argsort(-counts, kind="stable")
    pass_point = size * size
    return " ".join(f"{PASS_WORD if p == pass_point else to_sgf(int(p), size)}:{int(counts[p])}"
                    for p in order if counts[p] > 0)


def parse_visits(text: str, size: int) -> np.ndarray:
    """int64 [N*N + 1] visit counts (pass last) from a ``GV`` text; ValueError if malformed."""
    counts = np.zeros(size * size + 1, dtype=np.int64)
    for pair in text.split():
        where, _, number = pair.partition(":")
        if not number.isdigit():
            raise ValueError(f"bad visit count {pair!r}")
        point = size * size if where == PASS_WORD else _point(where, size)
        counts[point] += int(number)
    return counts


def _point(text: str, size: int) -> int:
    """A board point in SGF letters (``tt`` and the empty text, SGF's passes, are not points here)."""
    point = from_sgf(text, size) if len(text) == 2 else size * size  # from_sgf: ValueError off the board
    if point == size * size:
        raise ValueError(f"not a point on a {size}x{size} board: {text!r}")
    return point


__all__ = ["PASS_WORD", "VISITS_PROPERTY", "format_visits", "parse_visits"]
