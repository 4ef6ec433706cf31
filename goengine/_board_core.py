"""Numba kernels for the Go rules: chains, liberties, captures, legality, scoring.

Board state is a handful of flat arrays of length ``P = size * size`` so the same
kernels serve interactive play (``goengine.board.Board``) and the bulk replay of game
records (``replay_game``), which runs a whole game in one compiled call:

- ``color[p]``   EMPTY / BLACK / WHITE
- ``head[p]``    the chain representative of the stone at ``p`` (-1 when empty)
- ``nxt[p]``     next stone of the same chain (a circular list, so chains merge in O(1)
                 splices and are walked without a flood fill)
- ``csize[h]``   number of stones of the chain whose head is ``h``
- ``libs[h]``    exact number of liberties of that chain, kept up to date incrementally:
                 a move only recounts the chains it touched.

``nbr[p]`` lists the on-board neighbours of ``p``, then ``-1`` for the missing ones of
edge points.  The feature kernels (``goengine.features.alphago``) read the same table and
the same eye test.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goengine.coords import EMPTY

# legality codes returned by legal_code()
LEGAL, OCCUPIED, SUICIDE, KO = 0, 1, 2, 3


def neighbour_table(size: int, dtype=np.int16) -> np.ndarray:
    """``nbr[p]``: the on-board neighbours of each point (up, down, left, right, those
    that exist), padded with -1, so loops may stop at the first -1."""
    nbr = np.full((size * size, 4), -1, dtype=dtype)
    for row in range(size):
        for col in range(size):
            p = row * size + col
            found = [q for q, on_board in ((p - size, row > 0), (p + size, row < size - 1),
                                           (p - 1, col > 0), (p + 1, col < size - 1)) if on_board]
            nbr[p, : len(found)] = found
    return nbr


def zobrist_table(size: int) -> np.ndarray:
    """Random 64-bit keys per (colour, point); fixed seed so hashes are reproducible."""
    rng = np.random.default_rng(0x60E9)
    return rng.integers(1, 2**63 - 1, size=(3, size * size), dtype=np.int64)


@njit(cache=True)
def count_liberties(color, nxt, nbr, h, seen, stamp):
    """Recount the liberties of the chain whose head is ``h`` (``seen`` marks points with ``stamp``)."""
    n = 0
    s = h
    while True:
        for k in range(4):
            q = nbr[s, k]
            if q >= 0 and color[q] == EMPTY and seen[q] != stamp:
                seen[q] = stamp
                n += 1
        s = nxt[s]
        if s == h:
            break
    return n


@njit(cache=True)
def legal_code(color, head, libs, nbr, p, c, ko):
    """Why ``c`` may not play at ``p`` (OCCUPIED, KO, SUICIDE) or LEGAL; simple ko only."""
    if color[p] != EMPTY:
        return OCCUPIED
    if p == ko:
        return KO
    for k in range(4):
        q = nbr[p, k]
        if q < 0:
            continue
        if color[q] == EMPTY:
            return LEGAL
        if color[q] == c:
            if libs[head[q]] > 1:
                return LEGAL
        elif libs[head[q]] == 1:
            return LEGAL  # captures
    return SUICIDE


@njit(cache=True)
def hash_after(color, head, nxt, libs, nbr, zob, p, c, current):
    """The Zobrist hash after ``c`` plays a legal move at ``p`` (for superko), without playing it."""
    h = current ^ zob[c, p]
    opp = 3 - c
    done = np.full(4, -1, dtype=np.int64)
    for k in range(4):
        q = nbr[p, k]
        if q < 0 or color[q] != opp or libs[head[q]] != 1:
            continue
        hq = head[q]
        if hq == done[0] or hq == done[1] or hq == done[2] or hq == done[3]:
            continue
        done[k] = hq
        s = hq
        while True:
            h ^= zob[opp, s]
            s = nxt[s]
            if s == hq:
                break
    return h


@njit(cache=True)
def _remove_chain(color, head, nxt, csize, nbr, h, zob, touched, n_touched):
    """Take the chain ``h`` off the board; remember one stone of each adjacent chain in ``touched``."""
    removed = 0
    key = 0
    s = h
    while True:
        key ^= zob[color[s], s]
        color[s] = EMPTY
        head[s] = -1
        removed += 1
        s = nxt[s]
        if s == h:
            break
    s = h
    while True:
        for k in range(4):
            q = nbr[s, k]
            if q >= 0 and color[q] != EMPTY:
                touched[n_touched] = q
                n_touched += 1
        nx = nxt[s]
        nxt[s] = s
        s = nx
        if s == h:
            break
    csize[h] = 0
    return removed, key, n_touched


@njit(cache=True)
def _merge(head, nxt, csize, a, b):
    """Merge the chains with heads ``a`` and ``b`` (relabel the smaller); return the new head."""
    if csize[a] < csize[b]:
        a, b = b, a
    s = b
    while True:
        head[s] = a
        s = nxt[s]
        if s == b:
            break
    na = nxt[a]
    nxt[a] = nxt[b]
    nxt[b] = na
    csize[a] += csize[b]
    return a


@njit(cache=True)
def play_stone(color, head, nxt, csize, libs, nbr, zob, p, c, seen, stamp, touched):
    """Play a legal move of colour ``c`` at ``p``.

    Returns ``(captured, ko, hash_delta, stamp)``: the number of opponent stones taken,
    the new simple-ko point (-1 if none), the Zobrist change, and the updated ``seen``
    stamp so callers can keep reusing one scratch array.  ``touched`` is scratch space
    of at least ``4 * P`` entries (stones next to captured ones).
    """
    opp = 3 - c
    color[p] = c
    head[p] = p
    nxt[p] = p
    csize[p] = 1
    delta = zob[c, p]
    captured = 0
    last_captured = -1
    n_touched = 0
    # opponent chains next to p lose that liberty; those left with none are captured
    for k in range(4):
        q = nbr[p, k]
        if q < 0 or color[q] != opp:
            continue
        hq = head[q]
        dup = False
        for j in range(k):
            r = nbr[p, j]
            if r >= 0 and color[r] == opp and head[r] == hq:
                dup = True
        if dup:
            continue
        libs[hq] -= 1
        if libs[hq] == 0:
            removed, key, n_touched = _remove_chain(color, head, nxt, csize, nbr, hq, zob, touched, n_touched)
            captured += removed
            last_captured = hq
            delta ^= key
    # join our own neighbouring chains
    h = p
    for k in range(4):
        q = nbr[p, k]
        if q >= 0 and color[q] == c and head[q] != h:
            h = _merge(head, nxt, csize, head[q], h)
    # recount liberties of every chain the move touched
    stamp += 1
    libs[h] = count_liberties(color, nxt, nbr, h, seen, stamp)
    for i in range(n_touched):
        hq = head[touched[i]]
        if hq >= 0 and hq != h:
            stamp += 1
            libs[hq] = count_liberties(color, nxt, nbr, hq, seen, stamp)
    ko = -1
    if captured == 1 and csize[h] == 1 and libs[h] == 1:
        ko = last_captured
    return captured, ko, delta, stamp


@njit(cache=True)
def rebuild_chains(color, head, nxt, csize, libs, nbr):
    """Recompute all chain arrays from ``color`` alone (after setup stones are placed)."""
    n = color.shape[0]
    for p in range(n):
        head[p] = -1
        nxt[p] = p
        csize[p] = 0
        libs[p] = 0
    for p in range(n):
        if color[p] == EMPTY:
            continue
        head[p] = p
        csize[p] = 1
        h = p
        for k in range(4):
            q = nbr[p, k]
            if 0 <= q < p and color[q] == color[p] and head[q] != h:
                h = _merge(head, nxt, csize, head[q], h)
    seen = np.zeros(n, dtype=np.int64)
    stamp = 0
    for p in range(n):
        if color[p] != EMPTY and head[p] == p:
            stamp += 1
            libs[p] = count_liberties(color, nxt, nbr, p, seen, stamp)


@njit(cache=True)
def is_own_eye(color, p, c, size):
    """Whether empty ``p`` is a single-point true eye of ``c``: every neighbour is ``c``
    and the diagonals hold no stone of the opponent's on the edge or in a corner, at most
    one in the middle of the board.  An engine never fills such a point, and the
    sensibleness feature plane leaves it out."""
    if color[p] != EMPTY:
        return False
    row = p // size
    col = p - row * size
    if row > 0 and color[p - size] != c:
        return False
    if row < size - 1 and color[p + size] != c:
        return False
    if col > 0 and color[p - 1] != c:
        return False
    if col < size - 1 and color[p + 1] != c:
        return False
    enemy = 3 - c
    bad = 0
    edge = False
    for dr in (-1, 1):
        for dc in (-1, 1):
            r = row + dr
            k = col + dc
            if r < 0 or r >= size or k < 0 or k >= size:
                edge = True
            elif color[r * size + k] == enemy:
                bad += 1
    if edge:
        return bad == 0
    return bad <= 1


@njit(cache=True)
def area_owner(color, nbr):
    """Tromp-Taylor area: each point's owner (a stone's colour, or the only colour an empty
    region touches), EMPTY for dame."""
    n = color.shape[0]
    owner = color.copy()
    region = np.empty(n, dtype=np.int64)
    visited = np.zeros(n, dtype=np.bool_)
    for start in range(n):
        if color[start] != EMPTY or visited[start]:
            continue
        size = 0
        region[size] = start
        size += 1
        visited[start] = True
        reaches = 0  # bit 1: black, bit 2: white
        i = 0
        while i < size:
            s = region[i]
            i += 1
            for k in range(4):
                q = nbr[s, k]
                if q < 0:
                    continue
                if color[q] == EMPTY:
                    if not visited[q]:
                        visited[q] = True
                        region[size] = q
                        size += 1
                else:
                    reaches |= color[q]
        who = EMPTY
        if reaches == 1 or reaches == 2:
            who = reaches
        for j in range(size):
            owner[region[j]] = who
    return owner


@njit(cache=True)
def replay_game(colors, points, setup_color, nbr, zob, stones_out, ko_out):
    """Replay a whole game record in one call, for bulk data preparation.

    ``colors``/``points`` are the record's moves (points == P means pass) and
    ``setup_color`` the position before the first move (setup/handicap stones).
    For each move i, ``stones_out[i]`` receives the position before it and
    ``ko_out[i]`` the simple-ko point that move could not take.  Returns the number of
    moves replayed: ``len(colors)`` for a legal record, else the index of the first
    illegal move (positions before it stay valid).
    """
    n = setup_color.shape[0]
    color = setup_color.copy()
    head = np.empty(n, dtype=np.int16)
    nxt = np.empty(n, dtype=np.int16)
    csize = np.empty(n, dtype=np.int16)
    libs = np.empty(n, dtype=np.int16)
    rebuild_chains(color, head, nxt, csize, libs, nbr)
    seen = np.zeros(n, dtype=np.int64)
    touched = np.empty(4 * n, dtype=np.int64)
    stamp = 0
    ko = -1
    ko_for = 0  # the colour the ko point is forbidden to
    for i in range(colors.shape[0]):
        c = colors[i]
        p = points[i]
        stones_out[i, :] = color
        ko_out[i] = ko if ko_for == c else -1
        if p == n:
            ko = -1
            continue
        if legal_code(color, head, libs, nbr, p, c, ko if ko_for == c else -1) != LEGAL:
            return i
        _, ko, _, stamp = play_stone(color, head, nxt, csize, libs, nbr, zob, p, c, seen, stamp, touched)
        ko_for = 3 - c
    return colors.shape[0]
