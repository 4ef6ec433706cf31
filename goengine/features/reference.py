"""Pure-Python reference implementation of the feature planes (the test oracle).

This module is deliberately slow and simple: it never reuses the fast kernels'
bookkeeping.  Every question is answered the naive way -- a fresh flood fill
for each chain, and playing each candidate move on a copy of the board and
looking at the result.  The tests compare ``alphago.py`` (numba) and
``simple.py`` against it plane by plane, so the two must agree on every
convention documented in ``docs/features.md``.

A position is the same four things the fast code sees: ``stones`` (any
sequence of ``size * size`` ints, 0 empty / 1 black / 2 white, ``row * size +
col`` with row 0 at the top), ``to_play``, ``ko`` (the point illegal for
``to_play`` by simple ko, -1 for none) and ``recent`` (points of the last
moves, most recent first, -1 or anything off the board for pass / no move).

The helpers ``play``, ``play_move``, ``legal`` and ``replay`` are also handy for
tests that replay game records without depending on ``goengine.board``.  Only
facts that are definitions, not algorithms, are shared with the fast code: the
colours (``goengine.coords``) and the ladder reading limits (``alphago.py``).
"""

from __future__ import annotations

import numpy as np

from goengine.coords import BLACK, EMPTY, RECENT_MOVES, WHITE
from goengine.features.alphago import LADDER_MAX_DEPTH, LADDER_MAX_NODES

SIMPLE_PLANES = 12
ALPHAGO_PLANES = 48


# --------------------------------------------------------------------------- board basics

def neighbours(point: int, size: int) -> list[int]:
    row, col = divmod(point, size)
    result = []
    if row > 0:
        result.append(point - size)
    if row < size - 1:
        result.append(point + size)
    if col > 0:
        result.append(point - 1)
    if col < size - 1:
        result.append(point + 1)
    return result


def diagonals(point: int, size: int) -> tuple[list[int], bool]:
    """On-board diagonal points, and whether any diagonal is off the board."""
    row, col = divmod(point, size)
    result = []
    off_board = False
    for dr in (-1, 1):
        for dc in (-1, 1):
            r, c = row + dr, col + dc
            if 0 <= r < size and 0 <= c < size:
                result.append(r * size + c)
            else:
                off_board = True
    return result, off_board


def group(stones, point: int, size: int) -> tuple[set[int], set[int]]:
    """(chain stones, chain liberties) of the stone at ``point`` by flood fill."""
    color = stones[point]
    chain = {point}
    liberties = set()
    todo = [point]
    while todo:
        p = todo.pop()
        for n in neighbours(p, size):
            if stones[n] == EMPTY:
                liberties.add(n)
            elif stones[n] == color and n not in chain:
                chain.add(n)
                todo.append(n)
    return chain, liberties


def play(stones, point: int, color: int, size: int):
    """Play ``color`` at ``point`` on a copy (simple ko is not checked).

    Returns ``(new_stones_list, captured_points)`` or ``None`` when the point is
    occupied or the move is suicide.
    """
    if stones[point] != EMPTY:
        return None
    board = [int(s) for s in stones]
    board[point] = color
    enemy = 3 - color
    captured: list[int] = []
    for n in neighbours(point, size):
        if board[n] == enemy:
            chain, libs = group(board, n, size)
            if not libs:
                for s in chain:
                    board[s] = EMPTY
                captured.extend(sorted(chain))
    if not group(board, point, size)[1]:
        return None
    return board, captured


def play_move(stones, point: int, color: int, size: int):
    """Play a game move: ``(new_stones, ko_point_for_the_opponent)``; ValueError if illegal.

    ``point`` may be ``-1`` or ``size * size`` for a pass (no ko afterwards).
    """
    if point < 0 or point >= size * size:
        return [int(s) for s in stones], -1
    result = play(stones, point, color, size)
    if result is None:
        raise ValueError(f"illegal move {point} for colour {color}")
    board, captured = result
    ko = -1
    if len(captured) == 1:
        chain, libs = group(board, point, size)
        if len(chain) == 1 and len(libs) == 1:
            ko = captured[0]
    return board, ko


def legal(stones, point: int, color: int, ko: int, size: int) -> bool:
    return point != ko and play(stones, point, color, size) is not None


def is_own_eye(stones, point: int, color: int, size: int) -> bool:
    """Empty point, every on-board neighbour is ``color``, and the diagonals are
    mostly ``color``: none may be the opponent's on an edge or in a corner, at
    most one in the middle of the board (empty diagonals are fine)."""
    if stones[point] != EMPTY:
        return False
    if any(stones[n] != color for n in neighbours(point, size)):
        return False
    diag, off_board = diagonals(point, size)
    enemy_diagonals = sum(1 for d in diag if stones[d] == 3 - color)
    return enemy_diagonals == 0 if off_board else enemy_diagonals <= 1


# --------------------------------------------------------------------------- ladders

def _saving_tries(stones, chain, libs, attacker, size) -> set[int]:
    """Moves that may save ``chain`` (liberties ``libs``) from ``attacker``: its
    liberties, and the liberty of every touching attacker chain in atari (a capture)."""
    tries = set(libs)
    for s in chain:
        for n in neighbours(s, size):
            if stones[n] == attacker:
                _, attacker_libs = group(stones, n, size)
                if len(attacker_libs) == 1:
                    tries |= attacker_libs
    return tries


def _attacker_captures(stones, target, attacker, size, ko, depth, nodes) -> bool:
    """Attacker to move (``ko``: the point it may not take): is the chain at ``target`` lost?"""
    _, libs = group(stones, target, size)
    if len(libs) == 1:
        return True
    if len(libs) >= 3:
        return False
    nodes[0] += 1
    if depth >= LADDER_MAX_DEPTH or nodes[0] > LADDER_MAX_NODES:
        return False  # not proven within the limits: treat as escaped
    for atari in sorted(libs):
        if atari == ko:
            continue
        try:
            after, next_ko = play_move(stones, atari, attacker, size)
        except ValueError:  # suicide
            continue
        if not _defender_escapes(after, target, attacker, size, next_ko, depth + 1, nodes):
            return True
    return False


def _defender_escapes(stones, target, attacker, size, ko, depth, nodes) -> bool:
    """Defender to move, the chain at ``target`` is in atari: can it get away?

    The defender may extend on its liberty or capture any attacker chain that
    touches it and is itself in atari (not retaking a ko at ``ko``).
    """
    chain, libs = group(stones, target, size)
    for move in sorted(_saving_tries(stones, chain, libs, attacker, size)):
        if move == ko:
            continue
        try:
            after, next_ko = play_move(stones, move, 3 - attacker, size)
        except ValueError:
            continue
        if not _attacker_captures(after, target, attacker, size, next_ko, depth + 1, nodes):
            return True
    return False


def ladder_captured(stones, target: int, attacker: int, size: int, attacker_to_move: bool = True,
                    ko: int = -1) -> bool:
    """Whether the chain at ``target`` is lost to a ladder, read out on copies.

    ``attacker_to_move=False`` means the defender moves first (its chain must
    then be in atari); ``ko`` is the point the first mover may not play.
    """
    nodes = [0]
    if attacker_to_move:
        return _attacker_captures(list(stones), target, attacker, size, ko, 0, nodes)
    return not _defender_escapes(list(stones), target, attacker, size, ko, 0, nodes)


# --------------------------------------------------------------------------- planes

def encode_simple(stones, to_play, ko, recent, size) -> np.ndarray:
    planes = np.zeros((SIMPLE_PLANES, size * size), dtype=np.uint8)
    _fill_simple(planes, stones, to_play, recent, size)
    return planes.reshape(SIMPLE_PLANES, size, size)


def _fill_simple(planes, stones, to_play, recent, size):
    count = size * size
    recent = [int(m) for m in recent][:RECENT_MOVES]
    for p in range(count):
        s = int(stones[p])
        if s == to_play:
            planes[0, p] = 1
        elif s == EMPTY:
            planes[2, p] = 1
        else:
            planes[1, p] = 1
        planes[3, p] = 1
        if s != EMPTY:
            turns = 8  # not among the recent moves: ">= 8"
            for k, m in enumerate(recent):
                if m == p:
                    turns = k + 1
                    break
            planes[4 + min(turns, 8) - 1, p] = 1


def encode_alphago(stones, to_play, ko, recent, size) -> np.ndarray:
    stones = [int(s) for s in stones]
    to_play, ko = int(to_play), int(ko)
    count = size * size
    me, enemy = to_play, 3 - to_play
    planes = np.zeros((ALPHAGO_PLANES, count), dtype=np.uint8)
    _fill_simple(planes, stones, to_play, recent, size)

    for p in range(count):
        if stones[p] != EMPTY:
            libs = len(group(stones, p, size)[1])
            if libs:
                planes[12 + min(libs, 8) - 1, p] = 1
            continue
        if p == ko:
            continue
        result = play(stones, p, me, size)
        if result is None:
            continue
        after, captured = result
        _, next_ko = play_move(stones, p, me, size)
        chain, libs = group(after, p, size)
        planes[20 + min(len(captured), 7), p] = 1
        if len(libs) == 1:
            planes[28 + min(len(chain), 8) - 1, p] = 1
        planes[36 + min(len(libs), 8) - 1, p] = 1
        if not is_own_eye(stones, p, me, size):
            planes[46, p] = 1
        # ladder capture: an enemy chain now in atari that cannot run away
        for n in neighbours(p, size):
            if after[n] == enemy and len(group(after, n, size)[1]) == 1:
                if ladder_captured(after, n, me, size, attacker_to_move=False, ko=next_ko):
                    planes[44, p] = 1
                    break

    # ladder escape: moves that save one of my chains in atari from the ladder
    seen: set[int] = set()
    for p in range(count):
        if stones[p] != me or p in seen:
            continue
        chain, libs = group(stones, p, size)
        seen |= chain
        if len(libs) != 1:
            continue
        for move in _saving_tries(stones, chain, libs, enemy, size):
            if not legal(stones, move, me, ko, size):
                continue
            after, next_ko = play_move(stones, move, me, size)
            if not ladder_captured(after, p, enemy, size, attacker_to_move=True, ko=next_ko):
                planes[45, move] = 1
    return planes.reshape(ALPHAGO_PLANES, size, size)


# --------------------------------------------------------------------------- replaying games

def replay(size: int, moves, setup_black=(), setup_white=()):
    """Replay a game, yielding the position before each move.

    ``moves``: ``(color, point)`` pairs, a pass being ``size * size`` (or -1).
    Yields ``(stones int8[P], to_play, ko, recent int16[8], point)`` where
    ``to_play`` is the colour about to move, ``ko`` the point it may not take
    back by simple ko (-1 none) and ``point`` the move it actually plays.
    Stops quietly at the first illegal move (broken records).
    """
    count = size * size
    stones = [EMPTY] * count
    for p in setup_black:
        stones[p] = BLACK
    for p in setup_white:
        stones[p] = WHITE
    history: list[int] = []
    ko, ko_for = -1, 0
    for color, point in moves:
        recent = (history[::-1] + [-1] * RECENT_MOVES)[:RECENT_MOVES]
        yield (np.array(stones, np.int8), color, ko if ko_for == color else -1,
               np.array(recent, np.int16), point)
        if 0 <= point < count and point == ko and ko_for == color:
            return
        try:
            stones, ko = play_move(stones, point, color, size)
        except ValueError:
            return
        ko_for = 3 - color
        history.append(point if 0 <= point < count else -1)
