"""Feature planes: registry, conventions, and numba vs the pure-Python oracle.

The numba kernels compile once per test session (and are cached on disk by
numba afterwards); every test reuses the same module-level functions.
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from goengine.board import Board
from goengine.features import FEATURE_SETS, FeatureSet, get_feature_set
from goengine.features import reference as ref
from sgfmill_games import archive_games

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / ".." / "shared" / "data" / "tygem-9d" / "tygem-9d-2011-01.tar.bz2"

AG = get_feature_set("alphago48")
SIMPLE = get_feature_set("simple")
NO_RECENT = np.full(8, -1, np.int16)

# plane offsets (also documented in docs/features.md)
PLAYER, OPPONENT, EMPTY_PLANE, ONES = 0, 1, 2, 3
TURNS, LIBS, CAPTURE, SELF_ATARI, LIBS_AFTER = 4, 12, 20, 28, 36
LADDER_CAPTURE, LADDER_ESCAPE, SENSIBLE, ZEROS = 44, 45, 46, 47


# --------------------------------------------------------------------------- helpers

def parse(diagram: str):
    """Rows of ``X`` (black), ``O`` (white), ``.`` (empty), top row first -> (stones, size)."""
    rows = [line.split() for line in diagram.strip().splitlines()]
    size = len(rows)
    assert all(len(r) == size for r in rows), "diagram must be square"
    stones = np.array([".XO".index(ch) for row in rows for ch in row], np.int8)
    return stones, size


def pt(row: int, col: int, size: int) -> int:
    return row * size + col


@lru_cache(maxsize=None)
def games(count: int = 30):
    """(moves, setup_black, setup_white) of the first ``count`` 19x19 games of the archive."""
    if not ARCHIVE.exists():
        pytest.skip(f"shared data not found: {ARCHIVE}")
    result = list(archive_games(ARCHIVE, count))
    assert len(result) == count
    return result


@lru_cache(maxsize=None)
def game_positions(count: int = 30):
    """Every position of the first ``count`` games, replayed by the oracle:
    (stones, to_play, ko, recent, move played)."""
    positions = []
    for moves, black, white in games(count):
        positions.extend(ref.replay(19, moves, black, white))
    return positions


def random_position(rng, size, density):
    """Random legal stones (placed by playing), random colour to move, random recent points."""
    stones = [0] * (size * size)
    for p in rng.permutation(size * size):
        if rng.random() < density:
            result = ref.play(stones, int(p), int(rng.integers(1, 3)), size)
            if result is not None:
                stones = result[0]
    stones = np.array(stones, np.int8)
    recent = rng.integers(-1, size * size, 8).astype(np.int16)
    return stones, int(rng.integers(1, 3)), recent


def assert_same_planes(fast, slow, names, where=""):
    assert fast.shape == slow.shape and fast.dtype == slow.dtype == np.uint8
    bad = [i for i in range(fast.shape[0]) if not np.array_equal(fast[i], slow[i])]
    assert not bad, f"{where}: planes differ from the reference: {[names[i] for i in bad]}"


# --------------------------------------------------------------------------- registry / API

def test_registry():
    assert set(FEATURE_SETS) == {"alphago48", "simple"}
    assert AG.name == "alphago48" and AG.num_planes == 48
    assert SIMPLE.name == "simple" and SIMPLE.num_planes == 12
    assert isinstance(AG, FeatureSet)
    assert len(AG.plane_names) == 48 and len(SIMPLE.plane_names) == 12
    assert AG.plane_names[:12] == SIMPLE.plane_names
    assert AG.plane_names[LADDER_CAPTURE] == "ladder_capture"
    assert AG.plane_names[ZEROS] == "zeros"
    with pytest.raises(KeyError, match="alphago48"):
        get_feature_set("nope")


def test_import_compiles_nothing():
    code = "import sys, goengine.features; assert 'numba' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_encode_variants_agree():
    positions = game_positions()[100:140]
    size = 19
    stones = np.stack([p[0] for p in positions])
    to_play = np.array([p[1] for p in positions])
    ko = np.array([p[2] for p in positions])
    recent = np.stack([p[3] for p in positions])
    for fs in (AG, SIMPLE):
        batch = fs.encode_batch(stones, to_play, ko, recent, size)
        assert batch.shape == (len(positions), fs.num_planes, size, size) and batch.dtype == np.uint8
        out = np.full((fs.num_planes, size, size), 7, np.uint8)  # garbage must be overwritten
        flat_out = np.full((fs.num_planes, size * size), 9, np.uint8)
        for i in range(len(positions)):
            single = fs.encode(stones[i], to_play[i], ko[i], recent[i], size)
            assert np.array_equal(single, batch[i])
            assert fs.encode_into(stones[i], to_play[i], ko[i], recent[i], size, out) is out
            assert np.array_equal(out, single)
            fs.encode_into(stones[i], to_play[i], ko[i], recent[i], size, flat_out)
            assert np.array_equal(flat_out.reshape(out.shape), single)
        given = np.full_like(batch, 5)
        assert fs.encode_batch(stones, to_play, ko, recent, size, out=given) is given
        assert np.array_equal(given, batch)
        # any integer dtypes and a (size, size) stones array are accepted
        again = fs.encode(stones[3].reshape(size, size).astype(np.int64), np.int8(to_play[3]), ko[3],
                          list(recent[3]), size)
        assert np.array_equal(again, batch[3])
    assert AG.encode_batch(stones[:0], to_play[:0], ko[:0], recent[:0], size).shape == (0, 48, 19, 19)


def test_bad_inputs():
    with pytest.raises(ValueError):
        AG.encode(np.zeros(80, np.int8), 1, -1, NO_RECENT, 9)
    with pytest.raises(ValueError):
        AG.encode(np.zeros(81, np.int8), 3, -1, NO_RECENT, 9)
    with pytest.raises(ValueError):
        AG.encode_into(np.zeros(81, np.int8), 1, -1, NO_RECENT, 9, np.zeros((48, 9, 9), np.float32))
    with pytest.raises(ValueError):
        AG.encode_batch(np.zeros((2, 81), np.int8), [1, 0], [-1, -1], np.full((2, 8), -1), 9)


def test_short_recent_is_padded():
    stones, size = parse("""
        . X .
        . O .
        . . .
    """)
    a = AG.encode(stones, 1, -1, [4], size)
    b = AG.encode(stones, 1, -1, [4, -1, -1, -1, -1, -1, -1, -1], size)
    assert np.array_equal(a, b)
    assert a[TURNS, 1, 1] == 1 and a[TURNS + 7, 0, 1] == 1


def test_encode_board_duck_typed():
    stones, size = parse("""
        . X . .
        X O X .
        . X O .
        . . . .
    """)

    class FakeBoard:
        def __init__(self):
            self.size, self.stones, self.to_play, self.ko_point = size, stones, 2, pt(1, 1, size)

        def recent_moves(self, n=8):
            return np.array([6, 9, -1, -1, -1, -1, -1, -1][:n], np.int16)

    board = FakeBoard()
    expected = AG.encode(stones, 2, pt(1, 1, size), board.recent_moves(), size)
    assert np.array_equal(AG.encode_board(board), expected)
    assert np.array_equal(SIMPLE.encode_board(board), expected[:12])


def test_encode_board_with_real_board():
    board = Board(19)
    for color, point in [(1, 72), (2, 288), (1, 60), (2, 300), (1, 19 * 19), (2, 61)]:
        board.play(point, color)
    planes = AG.encode_board(board)
    recent = np.array([61, -1, 300, 60, 288, 72, -1, -1], np.int16)
    assert np.array_equal(planes, AG.encode(board.stones, 1, -1, recent, 19))


def test_replay_agrees_with_board():
    """The oracle's replay (used for the real positions here) and goengine.board agree on
    stones, ko and history, so encode_board(board) equals encoding the record."""
    checked = 0
    for moves, black, white in games()[:4]:
        board = Board(19)
        if black or white:
            board.setup(black=black, white=white)
        for stones, to_play, ko, recent, point in ref.replay(19, moves, black, white):
            assert np.array_equal(board.stones, stones)
            assert board.to_play == to_play or len(board.history) == 0
            assert board.ko_point == ko
            assert np.array_equal(board.recent_moves(8), recent)
            if checked % 25 == 0:
                assert np.array_equal(AG.encode_board(board), AG.encode(stones, to_play, ko, recent, 19))
            checked += 1
            board.play(point, to_play)
    assert checked > 500


# --------------------------------------------------------------------------- conventions

def test_stone_colour_from_the_player_view():
    stones, size = parse("""
        X O .
        . . .
        . . X
    """)
    for to_play, mine, theirs in ((1, 1, 2), (2, 2, 1)):
        planes = AG.encode(stones, to_play, -1, NO_RECENT, size)
        grid = stones.reshape(size, size)
        assert np.array_equal(planes[PLAYER], (grid == mine).astype(np.uint8))
        assert np.array_equal(planes[OPPONENT], (grid == theirs).astype(np.uint8))
        assert np.array_equal(planes[EMPTY_PLANE], (grid == 0).astype(np.uint8))
        assert planes[ONES].all() and not planes[ZEROS].any()


def test_turns_since():
    stones, size = parse("""
        X O X O X
        O X O X O
        X . . . .
        . . . . .
        . . . . .
    """)
    # most recent first; point 0 appears twice (the newer occurrence wins); 12 is empty (captured);
    # 9 is the 8th most recent move -> ">= 8"; 25 is off the board (a PASS), -1 is a pass
    recent = np.array([3, 0, -1, 12, 25, 0, 2, 9], np.int16)
    planes = AG.encode(stones, 1, -1, recent, size)
    turns = planes[TURNS:TURNS + 8].reshape(8, -1)
    expected = np.zeros((8, size * size), np.uint8)
    for p in np.flatnonzero(stones):
        expected[7, p] = 1  # setup / older stones: >= 8
    for p, k in ((3, 1), (0, 2), (2, 7)):
        expected[:, p] = 0
        expected[k - 1, p] = 1
    assert np.array_equal(turns, expected)
    assert not turns[:, 12].any()                      # empty points: all zero
    assert np.array_equal(SIMPLE.encode(stones, 1, -1, recent, size), planes[:12])


def test_liberties_plane():
    stones, size = parse("""
        X X O .
        . O . .
        . . . .
        . . . .
    """)
    planes = AG.encode(stones, 1, -1, NO_RECENT, size)
    libs = planes[LIBS:LIBS + 8]
    assert libs[0, 0, 0] == libs[0, 0, 1] == 1     # black pair: 1 liberty
    assert libs[1, 0, 2] == 1                       # white (0,2): (0,3), (1,2)
    assert libs[2, 1, 1] == 1                       # white (1,1): (1,0), (1,2), (2,1)
    assert libs[:, 2:, :].sum() == 0 and libs.sum() == 4   # empty points: all zero


def test_big_counts_saturate():
    size = 9
    stones = np.zeros(size * size, np.int8)
    stones[pt(4, 0, size):pt(4, 9, size)] = 2       # a white wall: 18 liberties
    stones[pt(3, 0, size):pt(3, 8, size)] = 1       # black row above, 8 stones
    stones[pt(2, 0, size):pt(2, 9, size)] = 2       # white row above that
    # the black row (3, 0..7) has one liberty, (3, 8): white to play captures 8 stones there
    planes = AG.encode(stones, 2, -1, NO_RECENT, size)
    assert planes[LIBS + 7, 4, 0] == 1              # >= 8 liberties
    assert planes[CAPTURE + 7, 3, 8] == 1           # >= 7 captured
    assert planes[LIBS_AFTER + 7, 3, 8] == 1        # joins everything: lots of liberties
    # black to play at (3, 8) captures nothing and has no liberty: suicide, so no move plane is set
    black = AG.encode(stones, 1, -1, NO_RECENT, size)
    assert black[20:47, 3, 8].sum() == 0


def test_move_planes_and_legality():
    stones, size = parse("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """)
    ko = -1
    planes = AG.encode(stones, 1, ko, NO_RECENT, size)
    # (1,2): black captures the white stone at (1,1) -> capture size 1
    assert planes[CAPTURE + 1, 1, 2] == 1
    # (1,2) after capture: neighbours (0,2)O (2,2)O (1,3)O, (1,1) freed -> 1 liberty, chain of 1
    assert planes[LIBS_AFTER + 0, 1, 2] == 1 and planes[SELF_ATARI + 0, 1, 2] == 1
    # (0,0): legal, captures nothing (capture plane 0), joins (0,1) and (1,0) leaving 1 liberty;
    # not an own eye because its one diagonal (1,1) is white (corner: none allowed) -> sensible
    assert planes[CAPTURE + 0, 0, 0] == 1 and planes[SENSIBLE, 0, 0] == 1
    assert planes[SELF_ATARI + 2, 0, 0] == 1 and planes[LIBS_AFTER + 0, 0, 0] == 1
    assert planes[SENSIBLE, 4, 4] == 1 and planes[CAPTURE + 0, 4, 4] == 1
    assert planes[LIBS_AFTER + 3, 4, 4] == 0 and planes[LIBS_AFTER + 1, 4, 4] == 1
    # occupied points: every move plane is zero
    assert planes[CAPTURE:SENSIBLE + 1, 0, 1].sum() == 0
    # with the ko point at (1,2), none of the move planes are set there
    planes_ko = AG.encode(stones, 1, pt(1, 2, size), NO_RECENT, size)
    assert planes_ko[CAPTURE:SENSIBLE + 1, 1, 2].sum() == 0
    assert np.array_equal(np.delete(planes_ko.reshape(48, -1), pt(1, 2, size), axis=1),
                          np.delete(planes.reshape(48, -1), pt(1, 2, size), axis=1))
    # white to play: (0,3) is suicide? no: (0,3) touches (0,2) whose chain has liberties
    white = AG.encode(stones, 2, -1, NO_RECENT, size)
    assert white[SENSIBLE, 0, 3] == 1
    for fs_planes, who in ((planes, 1), (white, 2)):
        assert_same_planes(fs_planes, ref.encode_alphago(stones, who, -1, NO_RECENT, size), AG.plane_names)


def test_suicide_is_illegal():
    stones, size = parse("""
        . O . .
        O . . .
        . . . .
        . . . .
    """)
    planes = AG.encode(stones, 1, -1, NO_RECENT, size)
    assert planes[CAPTURE:SENSIBLE + 1, 0, 0].sum() == 0
    white = AG.encode(stones, 2, -1, NO_RECENT, size)
    assert white[CAPTURE + 0, 0, 0] == 1 and white[SENSIBLE, 0, 0] == 0   # white's own eye


@pytest.mark.parametrize("diagram, point, eye", [
    # centre: one enemy diagonal is still an eye, two are not
    (""". . . . .
        . X X O .
        . X . X .
        . X X X .
        . . . . .""", (2, 2), True),
    (""". . . . .
        . X X O .
        . X . X .
        . O X X .
        . . . . .""", (2, 2), False),
    # empty diagonals do not matter
    (""". . . . .
        . . X . .
        . X . X .
        . . X . .
        . . . . .""", (2, 2), True),
    # edge: no enemy diagonal allowed
    (""". X . X .
        . X X X .
        . . . . .
        . . . . .
        . . . . .""", (0, 2), True),
    (""". X . X .
        . O X X .
        . . . . .
        . . . . .
        . . . . .""", (0, 2), False),
    # corner
    (""". X . . .
        X X . . .
        . . . . .
        . . . . .
        . . . . .""", (0, 0), True),
    (""". X . . .
        X O . . .
        . . . . .
        . . . . .
        . . . . .""", (0, 0), False),
    # a neighbour is not black
    (""". . . . .
        . X X X .
        . X . . .
        . X X X .
        . . . . .""", (2, 2), False),
])
def test_own_eye_definition(diagram, point, eye):
    stones, size = parse(diagram)
    p = pt(*point, size)
    assert ref.is_own_eye(stones, p, 1, size) is eye
    planes = AG.encode(stones, 1, -1, NO_RECENT, size)
    legal = planes[CAPTURE:CAPTURE + 8, point[0], point[1]].sum() == 1
    assert legal
    assert planes[SENSIBLE, point[0], point[1]] == (0 if eye else 1)


# --------------------------------------------------------------------------- numba vs the oracle

def test_matches_reference_on_game_positions():
    positions = game_positions()
    assert len(positions) > 3000
    rng = np.random.default_rng(2011)
    picks = np.sort(rng.choice(len(positions), 250, replace=False))
    ladders = escapes = 0
    for i in picks:
        stones, to_play, ko, recent, _ = positions[i]
        fast = AG.encode(stones, to_play, ko, recent, 19)
        assert_same_planes(fast, ref.encode_alphago(stones, to_play, ko, recent, 19), AG.plane_names,
                           f"game position {i}")
        assert_same_planes(SIMPLE.encode(stones, to_play, ko, recent, 19),
                           ref.encode_simple(stones, to_play, ko, recent, 19), SIMPLE.plane_names)
        ladders += fast[LADDER_CAPTURE].any()
        escapes += fast[LADDER_ESCAPE].any()
    assert ladders > 0 and escapes > 0   # the ladder planes were exercised


def test_game_positions_have_kos():
    assert sum(1 for p in game_positions() if p[2] >= 0) > 10


@pytest.mark.parametrize("size", [2, 5, 9, 13, 19])
def test_matches_reference_on_random_positions(size):
    rng = np.random.default_rng(size)
    count = {2: 20, 5: 60, 9: 60, 13: 25, 19: 12}[size]
    for n in range(count):
        stones, to_play, recent = random_position(rng, size, rng.uniform(0.2, 0.85))
        empties = np.flatnonzero(stones == 0)
        ko = int(rng.choice(empties)) if len(empties) and rng.random() < 0.3 else -1
        fast = AG.encode(stones, to_play, ko, recent, size)
        assert_same_planes(fast, ref.encode_alphago(stones, to_play, ko, recent, size), AG.plane_names,
                           f"random {size}x{size} #{n}")
        assert_same_planes(SIMPLE.encode(stones, to_play, ko, recent, size),
                           ref.encode_simple(stones, to_play, ko, recent, size), SIMPLE.plane_names)


def test_plane_invariants_on_game_positions():
    positions = game_positions()[::7]
    stones = np.stack([p[0] for p in positions])
    planes = AG.encode_batch(stones, [p[1] for p in positions], [p[2] for p in positions],
                             np.stack([p[3] for p in positions]), 19).astype(np.int32)
    occupied = planes[:, PLAYER] + planes[:, OPPONENT]
    assert np.array_equal(planes[:, :3].sum(1), np.ones_like(occupied))            # one colour each
    assert np.array_equal(planes[:, TURNS:TURNS + 8].sum(1), occupied)             # one-hot on stones
    assert np.array_equal(planes[:, LIBS:LIBS + 8].sum(1), occupied)
    legal = planes[:, CAPTURE:CAPTURE + 8].sum(1)
    assert legal.max() == 1 and not (legal & occupied).any()
    assert np.array_equal(planes[:, LIBS_AFTER:LIBS_AFTER + 8].sum(1), legal)       # defined for legal moves
    assert np.array_equal(planes[:, SELF_ATARI:SELF_ATARI + 8].sum(1), planes[:, LIBS_AFTER])
    for plane in (LADDER_CAPTURE, LADDER_ESCAPE, SENSIBLE):
        assert not (planes[:, plane] & (1 - legal)).any()
    assert planes[:, ONES].all() and not planes[:, ZEROS].any()


@pytest.mark.parametrize("index, move, target", [
    (104, (0, 11), (1, 11)), (152, (18, 13), (18, 12)), (720, (11, 13), (11, 12)),
])
def test_ko_inside_ladder_reading(index, move, target):
    """Real positions where, with ko ignored, the defender and the attacker could take and
    retake a ko forever (the read then ran into the depth limit): simple ko inside the
    reading settles them at once, and numba agrees with the reference."""
    stones, to_play, ko, recent, _ = game_positions()[index]
    after, next_ko = ref.play_move(stones, pt(*move, 19), to_play, 19)
    nodes = [0]
    assert ref._defender_escapes(after, pt(*target, 19), to_play, 19, next_ko, 0, nodes)
    assert nodes[0] <= 2
    assert_same_planes(AG.encode(stones, to_play, ko, recent, 19),
                       ref.encode_alphago(stones, to_play, ko, recent, 19), AG.plane_names)


def test_simple_ko_in_replay():
    stones, size = parse("""
        . X O .
        X O . O
        . X O .
        . . . .
    """)
    # black takes at (1,2): one stone captured, the new stone alone with one liberty -> ko at (1,1)
    after, ko = ref.play_move(stones, pt(1, 2, size), 1, size)
    assert ko == pt(1, 1, size) and after[pt(1, 1, size)] == 0
    assert not ref.legal(after, ko, 2, ko, size)
    planes = AG.encode(np.array(after, np.int8), 2, ko, NO_RECENT, size)
    assert planes[CAPTURE:SENSIBLE + 1, 1, 1].sum() == 0
    # capturing two stones makes no ko
    two, size = parse("""
        O O . .
        X X . .
        . . . .
        . . . .
    """)
    after, ko2 = ref.play_move(two, pt(0, 2, size), 1, size)
    assert ko2 == -1 and after[:2] == [0, 0]
