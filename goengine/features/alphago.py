"""AlphaGo's 48 input planes (Silver et al. 2016, Extended Data Table 2), in numba.

Everything is rebuilt from the raw position (stones, to_play, ko, recent):
chains are labelled by flood fill, liberty lists are gathered once per chain,
and every empty point is then examined as a move of the player to move using
those lists (captures, liberties after the move, self-atari, eye filling).
Ladders are read out on copies of the board by a small depth-first search
(an explicit stack, not recursion: numba cannot cache recursive functions reliably).

Plane layout (see docs/features.md for the exact conventions):

=======  =====================================================
0-2      stone colour: player, opponent, empty
3        ones
4-11     turns since the stone was played: 1..7, >= 8
12-19    liberties of the chain at the point: 1..7, >= 8
20-27    capture size of a legal move: 0..6, >= 7
28-35    self-atari size of a legal move: 1..7, >= 8
36-43    liberties after a legal move: 1..7, >= 8
44       ladder capture
45       ladder escape
46       sensibleness (legal, not filling an own eye)
47       zeros
=======  =====================================================
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from goengine._board_core import is_own_eye, neighbour_table

from .simple import PLANE_NAMES as _SIMPLE_NAMES
from .simple import fill_history_planes

NUM_PLANES = 48

LADDER_MAX_DEPTH = 100   # plies below the position being read
LADDER_MAX_NODES = 200   # attacker decisions (two liberties) per ladder read

PLANE_LIBERTIES = 12
PLANE_CAPTURE = 20
PLANE_SELF_ATARI = 28
PLANE_LIBERTIES_AFTER = 36
PLANE_LADDER_CAPTURE = 44
PLANE_LADDER_ESCAPE = 45
PLANE_SENSIBLE = 46

PLANE_NAMES = (
    list(_SIMPLE_NAMES)
    + [f"liberties_{k}" for k in range(1, 8)] + ["liberties_8+"]
    + [f"capture_size_{k}" for k in range(0, 7)] + ["capture_size_7+"]
    + [f"self_atari_size_{k}" for k in range(1, 8)] + ["self_atari_size_8+"]
    + [f"liberties_after_{k}" for k in range(1, 8)] + ["liberties_after_8+"]
    + ["ladder_capture", "ladder_escape", "sensibleness", "zeros"]
)
assert len(PLANE_NAMES) == NUM_PLANES


# --------------------------------------------------------------------------- board helpers

@lru_cache(maxsize=None)
def _neighbours(size: int) -> np.ndarray:
    """The rules' neighbour table (on-board neighbours first, -1 after) as int32, the
    width the kernels below index fastest with."""
    return neighbour_table(size, np.int32)


@njit(cache=True)
def _liberties(stones, nbr, start, mark, stamp, stack, libs, limit):
    """Distinct liberties of the chain at ``start``, found by flood fill.

    Stops as soon as ``limit`` liberties are known; they are written to
    ``libs`` and their number is returned (so the result is min(libs, limit)).
    Depth first, which finds them sooner than ``_chain``'s breadth-first walk:
    this is the hottest loop of the ladder reading.
    """
    stamp[0] += 1
    s = stamp[0]
    color = stones[start]
    mark[start] = s
    stack[0] = start
    top = 1
    n = 0
    while top > 0:
        top -= 1
        q = stack[top]
        for i in range(4):
            x = nbr[q, i]
            if x < 0:
                break
            if mark[x] == s:
                continue
            v = stones[x]
            if v == 0:
                mark[x] = s
                libs[n] = x
                n += 1
                if n >= limit:
                    return n
            elif v == color:
                mark[x] = s
                stack[top] = x
                top += 1
    return n


@njit(cache=True)
def _chain(stones, nbr, start, mark, stamp, out, libs):
    """The whole chain at ``start``, found by flood fill (breadth first, ``out``
    is the queue): its stones go to ``out`` and their number is returned with the
    number of its distinct liberties, which go to ``libs`` in the order they are
    found (as many as ``libs`` holds).

    ``_liberties`` answers the cheaper question "at least ``limit`` liberties?".
    """
    stamp[0] += 1
    s = stamp[0]
    color = stones[start]
    mark[start] = s
    out[0] = start
    n = 1
    nl = 0
    room = libs.shape[0]
    head = 0
    while head < n:
        q = out[head]
        head += 1
        for i in range(4):
            x = nbr[q, i]
            if x < 0:
                break
            if mark[x] == s:
                continue
            v = stones[x]
            if v == color:
                mark[x] = s
                out[n] = x
                n += 1
            elif v == 0:
                mark[x] = s
                if nl < room:
                    libs[nl] = x
                nl += 1
    return n, nl


NO_MOVE = -2  # _play's answer for suicide


@njit(cache=True)
def _play(stones, nbr, p, color, mark, stamp, stack, buf):
    """Play ``color`` at empty ``p`` in place, removing captured chains.

    Returns NO_MOVE (board unchanged) for suicide, else the simple-ko point the
    opponent may not play next (-1 for none): the single captured stone's
    point when the new stone is alone with exactly one liberty.
    """
    stones[p] = color
    enemy = 3 - color
    captured = 0
    last = -1
    alone = True
    for i in range(4):
        x = nbr[p, i]
        if x < 0:
            break
        v = stones[x]
        if v == color:
            alone = False
        elif v == enemy and _liberties(stones, nbr, x, mark, stamp, stack, buf, 1) == 0:
            n = _chain(stones, nbr, x, mark, stamp, stack, buf)[0]
            for j in range(n):  # take the chain off the board
                stones[stack[j]] = 0
            captured += n
            last = x
    if captured == 0:
        if _liberties(stones, nbr, p, mark, stamp, stack, buf, 1) == 0:
            stones[p] = 0
            return NO_MOVE
        return -1
    if captured == 1 and alone and _liberties(stones, nbr, p, mark, stamp, stack, buf, 2) == 1:
        return last
    return -1


# --------------------------------------------------------------------------- ladder reading
#
# The search is an AND/OR tree walked depth-first with an explicit stack (numba
# cannot cache recursive functions reliably).  Depth d holds the board in
# boards[d] and the moves still to try in cands[d, nextc[d]:ncand[d]].
#
# Attacker node (attacker to move; OR node -- "captured" if any child is):
#   chain has 1 liberty -> captured; >= 3 liberties -> escaped; 2 liberties ->
#   one more node is counted and, past LADDER_MAX_DEPTH plies or
#   LADDER_MAX_NODES nodes, the chain counts as escaped; otherwise the attacker
#   tries an atari on each liberty, lowest point first.
# Defender node (defender to move, chain in atari; AND node -- "captured" only
#   if every child is): tries its liberty and the liberty of every touching
#   attacker chain that is itself in atari (a capture), lowest point first.
# Suicides are skipped, and so is retaking a ko just taken inside the search
# (simple ko, tracked from move to move; kos[d] is the point forbidden at depth d).

@njit(cache=True)
def _ladder_workspace(count):
    rows = LADDER_MAX_DEPTH + 2
    boards = np.empty((rows, count), np.int8)
    cands = np.empty((rows, count + 1), np.int16)
    ncand = np.empty(rows, np.int32)
    nextc = np.empty(rows, np.int32)
    kos = np.empty(rows, np.int32)
    chain = np.empty(count, np.int32)
    return boards, cands, ncand, nextc, kos, chain


@njit(cache=True)
def _in(values, n, v):
    for i in range(n):
        if values[i] == v:
            return True
    return False


@njit(cache=True)
def _add_unique(values, n, v):
    """Append ``v`` to ``values[:n]`` unless it is already there; returns the new length."""
    if _in(values, n, v):
        return n
    values[n] = v
    return n + 1


@njit(cache=True)
def _read_ladder(nbr, target, attacker, attacker_first, boards, cands, ncand, nextc, kos, chain,
                 mark, stamp, stack, buf):
    """Is the chain at ``target`` in ``boards[0]`` captured in a ladder?

    ``attacker_first``: the attacker moves first (else the defender, whose
    chain must be in atari).  ``kos[0]``: the point the first mover may not
    play by simple ko (-1 none).  Returns True when the ladder works.
    """
    defender = 3 - attacker
    nodes = 0
    d = 0
    entering = True
    result = False
    while True:
        attack = (d % 2 == 0) == attacker_first
        done = False
        if entering:
            entering = False
            board = boards[d]
            if attack:
                n = _liberties(board, nbr, target, mark, stamp, stack, buf, 3)
                if n == 1:
                    result = True
                    done = True
                elif n >= 3:
                    result = False
                    done = True
                else:
                    nodes += 1
                    if d >= LADDER_MAX_DEPTH or nodes > LADDER_MAX_NODES:
                        result = False
                        done = True
                    else:
                        a = buf[0]
                        b = buf[1]
                        cands[d, 0] = min(a, b)
                        cands[d, 1] = max(a, b)
                        ncand[d] = 2
                        nextc[d] = 0
            else:
                size, nl = _chain(board, nbr, target, mark, stamp, chain, buf)
                n = 0
                # its first (up to) 4 liberties; an int32 bound, as buf's entries are
                # (an int64 one made the whole ladder reading measurably slower)
                for i in range(np.int32(min(nl, 4))):
                    n = _add_unique(cands[d], n, buf[i])
                # stones of attacker chains flooded below get stamps > base and are not
                # flooded again (chains are disjoint, so those marks survive the loop)
                base = stamp[0]
                for j in range(size):
                    q = chain[j]
                    for i in range(4):
                        x = nbr[q, i]
                        if x < 0:
                            break
                        if board[x] == attacker and mark[x] <= base:
                            if _liberties(board, nbr, x, mark, stamp, stack, buf, 2) == 1:
                                n = _add_unique(cands[d], n, buf[0])
                for i in range(1, n):  # insertion sort, n is tiny
                    v = cands[d, i]
                    k = i - 1
                    while k >= 0 and cands[d, k] > v:
                        cands[d, k + 1] = cands[d, k]
                        k -= 1
                    cands[d, k + 1] = v
                ncand[d] = n
                nextc[d] = 0
        else:
            # a child of this node has just been decided: ``result``
            if attack and result:
                done = True
            elif not attack and not result:
                done = True
        if not done:
            moved = False
            color = attacker if attack else defender
            while nextc[d] < ncand[d]:
                move = cands[d, nextc[d]]
                nextc[d] += 1
                if move == kos[d]:
                    continue
                boards[d + 1, :] = boards[d, :]
                ko_next = _play(boards[d + 1], nbr, move, color, mark, stamp, stack, buf)
                if ko_next != NO_MOVE:
                    kos[d + 1] = ko_next
                    moved = True
                    break
            if moved:
                d += 1
                entering = True
                continue
            result = not attack  # attacker out of ataris: escaped; defender out of tries: captured
        if d == 0:
            return result
        d -= 1


# --------------------------------------------------------------------------- the planes

@njit(cache=True, inline="always")
def _mark_liberties(c, lstore, lstart, mark, s):
    """Marks the liberties of chain ``c`` with ``s``; returns how many were not marked yet."""
    n = 0
    for j in range(lstart[c], lstart[c + 1]):
        x = lstore[j]
        if mark[x] != s:
            mark[x] = s
            n += 1
    return n


@njit(cache=True)
def _runs_free(stones, nbr, p, c, lstore, lstart, cid, defender, mark, stamp):
    """After the atari at ``p`` on chain ``c`` (liberties {p, L}), does extending
    at L surely give the chain >= 3 liberties?  Counts, on the board before ``p``,
    the empty neighbours of L and the liberties of defender chains touching L
    (other than ``c``), leaving out p and L; captures could only add more.  When
    it does, the ladder read would end at once with an escape (the reading's
    result does not depend on the order of the defender's tries), so it is skipped.
    """
    first = lstore[lstart[c]]
    lib = lstore[lstart[c] + 1] if first == p else first
    stamp[0] += 1
    s = stamp[0]
    mark[p] = s
    mark[lib] = s
    n = 0
    for i in range(4):
        x = nbr[lib, i]
        if x < 0:
            break
        v = stones[x]
        if v == 0:
            if mark[x] != s:
                mark[x] = s
                n += 1
        elif v == defender and cid[x] != c:
            n += _mark_liberties(cid[x], lstore, lstart, mark, s)
        if n >= 3:
            return True
    return n >= 3


@njit(cache=True)
def fill_alphago_planes(stones, to_play, ko, recent, size, nbr, ws, out):
    """All 48 planes of one position into ``out`` (uint8[48, size*size])."""
    count = size * size
    me = to_play
    enemy = 3 - to_play
    boards, cands, ncand, nextc, kos, chain = ws
    out[:, :] = 0
    fill_history_planes(stones, to_play, recent, size, out)

    # -- chains: label, members (grouped by chain), liberty lists
    cid = np.full(count, -1, np.int32)
    members = np.empty(count, np.int32)
    cstart = np.empty(count + 1, np.int32)
    mark = np.zeros(count, np.int32)
    stamp = np.zeros(1, np.int64)
    lstart = np.empty(count + 1, np.int32)
    lstore = np.empty(4 * count + 1, np.int32)
    nch = 0
    pos = 0
    lp = 0
    for p in range(count):
        if stones[p] == 0 or cid[p] >= 0:
            continue
        cstart[nch] = pos
        lstart[nch] = lp
        n, nl = _chain(stones, nbr, p, mark, stamp, members[pos:], lstore[lp:])
        for j in range(pos, pos + n):
            cid[members[j]] = nch
        pos += n
        lp += nl
        nch += 1
    cstart[nch] = pos
    lstart[nch] = lp

    for p in range(count):
        if stones[p] != 0:
            c = cid[p]
            nl = lstart[c + 1] - lstart[c]
            if nl > 0:
                out[PLANE_LIBERTIES + min(nl, 8) - 1, p] = 1

    # -- every empty point as a move of the player to move
    stack = np.empty(count + 1, np.int32)
    buf = np.empty(8, np.int32)
    legal = np.zeros(count, np.bool_)
    after = np.zeros(count, np.int32)  # liberties after each legal move
    own = np.empty(4, np.int32)
    caught = np.empty(4, np.int32)
    atari = np.empty(4, np.int32)
    for p in range(count):
        if stones[p] != 0 or p == ko:
            continue
        nown = 0
        ncaught = 0
        natari = 0
        stamp[0] += 1
        s = stamp[0]
        mark[p] = s
        libs_after = 0
        for i in range(4):
            x = nbr[p, i]
            if x < 0:
                break
            v = stones[x]
            if v == 0:
                if mark[x] != s:
                    mark[x] = s
                    libs_after += 1
                continue
            c = cid[x]
            if v == me:
                nown = _add_unique(own, nown, c)
            else:
                nl = lstart[c + 1] - lstart[c]
                if nl == 1:
                    ncaught = _add_unique(caught, ncaught, c)
                elif nl == 2:
                    natari = _add_unique(atari, natari, c)
        new_size = 1
        for k in range(nown):
            c = own[k]
            new_size += cstart[c + 1] - cstart[c]
            libs_after += _mark_liberties(c, lstore, lstart, mark, s)
        captured = 0
        for k in range(ncaught):
            c = caught[k]
            captured += cstart[c + 1] - cstart[c]
            for j in range(cstart[c], cstart[c + 1]):
                q = members[j]
                for i in range(4):
                    x = nbr[q, i]
                    if x < 0:
                        break
                    if x == p or (stones[x] == me and _in(own, nown, cid[x])):
                        libs_after += 1
                        break
        if libs_after == 0:
            continue  # suicide
        legal[p] = True
        out[PLANE_CAPTURE + min(captured, 7), p] = 1
        if libs_after == 1:
            out[PLANE_SELF_ATARI + min(new_size, 8) - 1, p] = 1
        out[PLANE_LIBERTIES_AFTER + min(libs_after, 8) - 1, p] = 1
        if not is_own_eye(stones, p, me, size):
            out[PLANE_SENSIBLE, p] = 1
        after[p] = libs_after
        for k in range(natari):
            c = atari[k]
            if _runs_free(stones, nbr, p, c, lstore, lstart, cid, enemy, mark, stamp):
                continue
            boards[0, :] = stones
            kos[0] = _play(boards[0], nbr, p, me, mark, stamp, stack, buf)
            target = members[cstart[c]]
            if _read_ladder(nbr, target, me, False, boards, cands, ncand, nextc, kos, chain,
                            mark, stamp, stack, buf):
                out[PLANE_LADDER_CAPTURE, p] = 1
                break

    # -- ladder escapes for my chains in atari
    tries = np.empty(4 * count + 1, np.int32)
    for c in range(nch):
        target = members[cstart[c]]
        if stones[target] != me or lstart[c + 1] - lstart[c] != 1:
            continue
        ntries = 1
        tries[0] = lstore[lstart[c]]
        for j in range(cstart[c], cstart[c + 1]):
            q = members[j]
            for i in range(4):
                x = nbr[q, i]
                if x < 0:
                    break
                if stones[x] == enemy:
                    e = cid[x]
                    if lstart[e + 1] - lstart[e] == 1:
                        tries[ntries] = lstore[lstart[e]]
                        ntries += 1
        for j in range(ntries):
            move = tries[j]
            if not legal[move] or out[PLANE_LADDER_ESCAPE, move] == 1:
                continue
            if j == 0 and after[move] != 2:
                # extending: the new chain holds the target, so its liberties decide at
                # once (>= 3: the attacker has no ladder; 1: it captures)
                if after[move] >= 3:
                    out[PLANE_LADDER_ESCAPE, move] = 1
                continue
            boards[0, :] = stones
            kos[0] = _play(boards[0], nbr, move, me, mark, stamp, stack, buf)
            if not _read_ladder(nbr, target, enemy, True, boards, cands, ncand, nextc, kos, chain,
                                mark, stamp, stack, buf):
                out[PLANE_LADDER_ESCAPE, move] = 1


@njit(cache=True)
def _encode_one(stones, to_play, ko, recent, size, nbr, out):
    ws = _ladder_workspace(size * size)
    fill_alphago_planes(stones, to_play, ko, recent, size, nbr, ws, out)


@njit(cache=True)
def _encode_many(stones, to_play, ko, recent, size, nbr, out):
    ws = _ladder_workspace(size * size)
    for b in range(stones.shape[0]):
        fill_alphago_planes(stones[b], to_play[b], ko[b], recent[b], size, nbr, ws, out[b])


def encode_into_kernel(stones, to_play, ko, recent, size, out2d):
    """stones int8[P], to_play int, ko int, recent int16[8], out uint8[48, P]."""
    _encode_one(stones, to_play, ko, recent, size, _neighbours(size), out2d)


def encode_batch_kernel(stones, to_play, ko, recent, size, out3d):
    """stones int8[B, P], to_play int64[B], ko int64[B], recent int16[B, 8], out uint8[B, 48, P]."""
    _encode_many(stones, to_play, ko, recent, size, _neighbours(size), out3d)
