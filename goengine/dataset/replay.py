"""The positions of one game record: what both ``prepare`` and ``evaluate`` learn from.

A game is replayed in one compiled call (``goengine.board.replay_stones``).  Each non-pass
move gives one position: the stones before it, the side to move, the simple-ko point
that side may not take, the last 8 moves and the expert's move.  Passes are not
positions (the network predicts board points only), and a record stops at its first
illegal move: the positions before it stay, the rest are counted as dropped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from goengine.board import replay_stones
from goengine.coords import BLACK, RECENT_MOVES, WHITE


@dataclass
class GamePositions:
    """Arrays with one row per position of a game, in move order."""

    stones: np.ndarray  # int8 [n, size*size]
    to_play: np.ndarray  # int8 [n]
    ko: np.ndarray  # int16 [n]
    recent: np.ndarray  # int16 [n, 8]
    move: np.ndarray  # int16 [n]
    move_number: np.ndarray  # int64 [n], 1-based, passes counted
    cut_at_illegal_move: bool = False
    dropped: Counter = field(default_factory=Counter)  # positions not kept, by reason

    def __len__(self) -> int:
        return len(self.move)


def game_positions(record, size: int) -> GamePositions:
    """Replay ``record`` (a ``goengine.sgf.GameRecord``) and return its positions."""
    points = size * size
    colours = np.array([c for c, _ in record.moves], dtype=np.int8)
    moves = np.array([p for _, p in record.moves], dtype=np.int16)
    setup = np.zeros(points, dtype=np.int8)
    setup[list(record.setup_black)] = BLACK
    setup[list(record.setup_white)] = WHITE
    before, ko, replayed = replay_stones(setup, colours, moves, size)
    keep = np.flatnonzero(moves[:replayed] != points)
    dropped = Counter()
    if replayed < len(moves):
        dropped["after an illegal move"] = len(moves) - replayed
    if replayed > len(keep):
        dropped["pass move"] = replayed - len(keep)
    return GamePositions(
        stones=before[keep],
        to_play=colours[keep],
        ko=ko[keep],
        recent=_recent_moves(moves, points)[keep],
        move=moves[keep],
        move_number=keep + 1,
        cut_at_illegal_move=replayed < len(moves),
        dropped=dropped,
    )


def _recent_moves(moves: np.ndarray, pass_point: int) -> np.ndarray:
    """For each move i, the points of moves i-1, i-2, ... (newest first), -1 for pass/none."""
    played = np.where(moves == pass_point, -1, moves).astype(np.int16)
    padded = np.concatenate([np.full(RECENT_MOVES, -1, dtype=np.int16), played])
    index = np.arange(len(moves))[:, None] + RECENT_MOVES - 1 - np.arange(RECENT_MOVES)[None, :]
    return padded[index]
