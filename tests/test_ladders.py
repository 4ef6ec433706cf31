"""Ladder reading: textbook ladders, breakers, escapes by capture, edges and corners.

Every case checks the numba planes (44 ladder capture, 45 ladder escape)
against what a Go player expects, and the whole 48-plane stack against the
pure-Python oracle.
"""

from __future__ import annotations

import numpy as np
import pytest

from goengine.features import get_feature_set
from goengine.features import reference as ref

AG = get_feature_set("alphago48")
LADDER_CAPTURE, LADDER_ESCAPE = 44, 45
NO_RECENT = np.full(8, -1, np.int16)
BLACK, WHITE = 1, 2


def parse(diagram: str):
    rows = [line.split() for line in diagram.strip().splitlines()]
    size = len(rows)
    assert all(len(r) == size for r in rows)
    return np.array([".XO".index(ch) for row in rows for ch in row], np.int8), size


def board(size: int, black=(), white=()):
    stones = np.zeros(size * size, np.int8)
    for r, c in black:
        stones[r * size + c] = BLACK
    for r, c in white:
        stones[r * size + c] = WHITE
    return stones


def planes(stones, size, to_play, ko=-1):
    fast = AG.encode(stones, to_play, ko, NO_RECENT, size)
    slow = ref.encode_alphago(stones, to_play, ko, NO_RECENT, size)
    bad = [AG.plane_names[i] for i in range(48) if not np.array_equal(fast[i], slow[i])]
    assert not bad, f"numba and reference disagree on {bad}"
    return fast


def marked(plane):
    return {tuple(int(v) for v in rc) for rc in np.argwhere(plane)}


# The textbook ladder: white (2,2) is held by black (1,2), (2,1), (3,1).  Black's atari from
# the right, at (2,3), drives white along the diagonal towards the lower-right corner.
LADDER = """
. . . . . . . . .
. . X . . . . . .
. X O . . . . . .
. X . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""


def test_textbook_ladder_works():
    stones, size = parse(LADDER)
    p = planes(stones, size, BLACK)
    assert marked(p[LADDER_CAPTURE]) == {(2, 3)}          # the atari from below lets white out
    assert not p[LADDER_ESCAPE].any()                      # no black chain is in atari
    # the same board read directly by the oracle
    after = ref.play(stones, 2 * size + 3, BLACK, size)[0]
    assert ref.ladder_captured(after, 2 * size + 2, BLACK, size, attacker_to_move=False)


def test_running_from_a_working_ladder_is_no_escape():
    stones, size = parse(LADDER)
    stones[2 * size + 3] = BLACK                            # black has played the atari
    p = planes(stones, size, WHITE)
    assert p[20, 3, 2] == 1                                 # extending is legal ...
    assert p[LADDER_ESCAPE, 3, 2] == 0                      # ... but the ladder still works
    assert not p[LADDER_ESCAPE].any()


@pytest.mark.parametrize("breaker", [(6, 6), (7, 5), (5, 6)])
def test_ladder_breaker(breaker):
    stones, size = parse(LADDER)
    stones[breaker[0] * size + breaker[1]] = WHITE
    p = planes(stones, size, BLACK)
    assert p[LADDER_CAPTURE, 2, 3] == 0                     # the ladder no longer works
    stones[2 * size + 3] = BLACK
    p = planes(stones, size, WHITE)
    assert p[LADDER_ESCAPE, 3, 2] == 1                      # so running away is an escape


def test_black_stone_on_the_path_does_not_break_the_ladder():
    stones, size = parse(LADDER)
    stones[6 * size + 6] = BLACK
    assert planes(stones, size, BLACK)[LADDER_CAPTURE, 2, 3] == 1


def test_escape_by_capturing_the_atari_stone():
    # white (2,2) is in atari (liberty (3,2)); black's atari stone (2,3) is itself in atari
    stones, size = parse("""
        . . . . . . . . .
        . . X O . . . . .
        . X O X O . . . .
        . X . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
    """)
    p = planes(stones, size, WHITE)
    assert p[20 + 1, 3, 3] == 1                             # (3,3) captures one stone
    assert p[LADDER_ESCAPE, 3, 3] == 1                      # ... and saves (2,2)


def test_atari_that_can_be_captured_is_no_ladder():
    # same shape, black to move before playing (2,3): that atari stone would be in atari itself
    stones, size = parse("""
        . . . . . . . . .
        . . X O . . . . .
        . X O . O . . . .
        . X . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
    """)
    p = planes(stones, size, BLACK)
    assert p[28, 2, 3] == 1                                 # self-atari of size 1
    assert p[LADDER_CAPTURE, 2, 3] == 0                     # white just takes it


def test_second_line_ladder_near_the_edge():
    # white (7,2) on the second line; black (6,2) above and (7,1) beside it
    stones = board(9, black=[(6, 2), (7, 1)], white=[(7, 2)])
    p = planes(stones, 9, BLACK)
    assert p[LADDER_CAPTURE, 7, 3] == 1                     # push it to the first line: dead
    assert p[LADDER_CAPTURE, 8, 2] == 0                     # atari from below lets it out


def test_first_line_chain_cannot_run():
    # white (8,3) on the edge is in atari; running along the edge is read out as a ladder that works
    stones = board(9, black=[(7, 3), (8, 2)], white=[(8, 3)])
    p = planes(stones, 9, WHITE)
    assert p[20, 8, 4] == 1 and p[LADDER_ESCAPE, 8, 4] == 0
    # with a white friend at (7,5) the run succeeds: either atari now leaves three liberties
    stones[7 * 9 + 5] = WHITE
    assert planes(stones, 9, WHITE)[LADDER_ESCAPE, 8, 4] == 1


def test_corner_atari():
    # white in the corner: black's atari at (1,0) or (0,1) captures it, whichever is played
    stones = board(9, black=[(1, 1)], white=[(0, 0)])
    p = planes(stones, 9, BLACK)
    assert p[LADDER_CAPTURE, 0, 1] == 1 and p[LADDER_CAPTURE, 1, 0] == 1
    # white to move first, (0,0) has two liberties: nothing is in atari, no escape is marked
    assert not planes(stones, 9, WHITE)[LADDER_ESCAPE].any()


def test_long_ladder_across_the_board():
    size = 19
    stones = board(size, black=[(1, 2), (2, 1), (3, 1)], white=[(2, 2)])
    p = planes(stones, size, BLACK)
    assert p[LADDER_CAPTURE, 2, 3] == 1
    # a breaker in the far corner, on the ladder's diagonal
    stones[15 * size + 15] = WHITE
    assert planes(stones, size, BLACK)[LADDER_CAPTURE, 2, 3] == 0


def test_ladder_towards_each_corner():
    """The same ladder turned 8 ways works 8 ways (the reading is direction-free)."""
    from goengine.features import symmetry as sym

    base, size = parse(LADDER)
    for k in range(8):
        stones = sym.transform_planes(base.reshape(size, size), k).reshape(-1)
        capture = sym.transform_point(2 * size + 3, k, size)
        p = planes(stones, size, BLACK)
        assert marked(p[LADDER_CAPTURE]) == {divmod(capture, size)}, k


def test_two_stone_chain_ladder_with_capture_escape_inside():
    # a black wall stone on the path is short of liberties: white captures it mid-ladder
    stones, size = parse(LADDER)
    stones[4 * size + 5] = BLACK
    stones[3 * size + 5] = WHITE
    stones[4 * size + 6] = WHITE
    stones[5 * size + 5] = WHITE
    p = planes(stones, size, BLACK)
    got = p[LADDER_CAPTURE, 2, 3]
    after = ref.play(stones, 2 * size + 3, BLACK, size)[0]
    assert got == ref.ladder_captured(after, 2 * size + 2, BLACK, size, attacker_to_move=False)
