"""Go rules: hand-made positions for each rule, then thousands of real games against sgfmill."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest
from sgfmill import boards as sgfmill_boards
from sgfmill import sgf

from goengine import _board_core as core
from goengine.board import Board, IllegalMove, fixed_handicap_points
from goengine.coords import BLACK, EMPTY, WHITE, from_gtp, star_lines, star_points, to_gtp
from goengine.render import render_board


def diagram(text: str, komi: float = 0.0, superko: bool = False) -> Board:
    """A board from rows of X (black), O (white) and . (empty), top row first."""
    rows = [line.split() for line in text.strip().splitlines()]
    size = len(rows)
    board = Board(size, komi=komi, superko=superko)
    black = [r * size + c for r, row in enumerate(rows) for c, v in enumerate(row) if v == "X"]
    white = [r * size + c for r, row in enumerate(rows) for c, v in enumerate(row) if v == "O"]
    board.setup(black=black, white=white)
    return board


def play(board: Board, *moves: str) -> None:
    for move in moves:
        board.play(from_gtp(move, board.size))


def test_capture_in_the_corner_and_on_the_edge():
    board = diagram(
        """
        O X . . .
        . . . . .
        . . . . .
        . . . . .
        . . . O X
        """
    )
    board.to_play = BLACK
    play(board, "A4")  # A5 white stone now has no liberty
    assert board.stones[0] == EMPTY
    assert board.captures[BLACK] == 1
    board.to_play = WHITE
    play(board, "E2")  # white captures the black edge stone at E1
    assert board.stones[from_gtp("E1", 5)] == EMPTY
    assert board.captures[WHITE] == 1


def test_multi_group_capture_counts_every_stone_and_restores_liberties():
    board = diagram(
        """
        . X O X .
        X O . O X
        . X O X .
        . . X . .
        . . . . .
        """
    )
    board.to_play = BLACK
    play(board, "C4")  # fills the last liberty of four separate white stones at once
    for point in ("C5", "B4", "D4", "C3"):
        assert board.stones[from_gtp(point, 5)] == EMPTY
    assert board.captures[BLACK] == 4
    assert board.liberties(from_gtp("C4", 5)) == 4
    assert board.liberties(from_gtp("B5", 5)) == 3  # A5 and the freed C5 and B4
    assert board.ko_point == -1


def test_suicide_is_illegal_but_capturing_is_not():
    board = diagram(
        """
        . X . . .
        X . . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    board.to_play = WHITE
    assert board.illegal_reason(0) == "suicide"
    with pytest.raises(IllegalMove) as error:
        board.play(0)
    assert error.value.reason == "suicide"
    # a multi-stone suicide is illegal too
    board2 = diagram(
        """
        . O X . .
        X X . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    assert board2.illegal_reason(0, WHITE) == "suicide"
    # but filling the last liberty is legal when it captures
    board3 = diagram(
        """
        . O X . .
        O X . . .
        X . . . .
        . . . . .
        . . . . .
        """
    )
    assert board3.illegal_reason(0, BLACK) is None
    board3.play(0, BLACK)
    assert board3.stones[1] == EMPTY and board3.stones[5] == EMPTY


def test_simple_ko_forbids_immediate_recapture_only():
    board = diagram(
        """
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
        """
    )
    board.to_play = BLACK
    play(board, "C4")  # black takes the white stone at B4
    ko = from_gtp("B4", 5)
    assert board.ko_point == ko
    assert board.illegal_reason(ko) == "ko"
    play(board, "E1", "E2")  # white threatens elsewhere, black answers
    assert board.illegal_reason(ko) is None  # now white may retake
    play(board, "B4")
    assert board.stones[from_gtp("C4", 5)] == EMPTY


def test_snapback_captures_more_than_one_stone_and_is_not_ko():
    board = diagram(
        """
        . X O . .
        . X O . .
        X X O . .
        O O O . .
        . . . . .
        """
    )
    board.to_play = WHITE
    play(board, "A5")  # throw-in
    play(board, "A4")  # black captures the single stone ...
    assert board.stones[0] == EMPTY and board.ko_point == -1  # ... and its chain of 5 is in atari
    assert board.liberties(from_gtp("A4", 5)) == 1
    play(board, "A5")  # white takes back five stones: a snapback, not a ko
    assert board.captures[WHITE] == 5
    assert board.ko_point == -1
    assert np.count_nonzero(board.stones == BLACK) == 0


def test_positional_superko_forbids_repeating_a_position_that_simple_ko_allows():
    board = diagram(
        """
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
        """,
        superko=True,
    )
    board.to_play = BLACK
    play(board, "C4")  # black takes the ko
    board.play(board.pass_point)
    board.play(board.pass_point)
    retake = from_gtp("B4", 5)
    # after two passes simple ko no longer forbids the retake, but it recreates the start
    assert board.ko_point == -1
    assert board.illegal_reason(retake) == "superko"
    simple = board.copy()
    simple.superko = False
    assert simple.illegal_reason(retake) is None
    simple.play(retake)
    # undo drops the position from the superko history again
    board.play(from_gtp("E1", 5))
    board.undo()
    assert board.illegal_reason(retake) == "superko"


def test_undo_restores_position_hash_captures_and_history():
    board = Board(9)
    play(board, "E5", "E6", "D6", "F5", "pass")
    snapshot = (board.stones.copy(), board.zobrist, dict(board.captures), list(board.history), board.to_play)
    play(board, "F6")
    board.undo()
    assert np.array_equal(board.stones, snapshot[0])
    assert (board.zobrist, board.captures, board.history, board.to_play) == snapshot[1:]
    copy = board.copy()
    copy.undo()
    assert len(copy.history) == 4 and len(board.history) == 5
    with pytest.raises(IndexError):
        Board(9).undo()


def test_zobrist_hash_is_incremental_and_position_only():
    a, b = Board(9), Board(9)
    play(a, "C3", "G7", "C7")
    play(b, "C7", "G7", "C3")
    assert a.zobrist == b.zobrist != 0
    c = Board(9)
    c.setup(black=[from_gtp("C3", 9), from_gtp("C7", 9)], white=[from_gtp("G7", 9)])
    assert c.zobrist == a.zobrist


def test_fixed_handicap_matches_the_gtp_table():
    def names(size, n):
        return sorted(to_gtp(p, size) for p in fixed_handicap_points(size, n))

    assert names(19, 2) == ["D4", "Q16"]
    assert names(19, 3) == ["D16", "D4", "Q16"]
    assert names(19, 5) == ["D16", "D4", "K10", "Q16", "Q4"]
    assert names(19, 8) == ["D10", "D16", "D4", "K16", "K4", "Q10", "Q16", "Q4"]
    assert names(13, 9) == ["D10", "D4", "D7", "G10", "G4", "G7", "K10", "K4", "K7"]
    assert names(9, 5) == ["C3", "C7", "E5", "G3", "G7"]
    assert names(7, 4) == ["C3", "C5", "E3", "E5"]
    for size, n in ((19, 1), (19, 10), (8, 5), (6, 2)):
        with pytest.raises(ValueError):
            fixed_handicap_points(size, n)
    board = Board(19)
    board.place_handicap(4)
    assert board.to_play == WHITE and board.handicap == 4
    assert np.count_nonzero(board.stones == BLACK) == 4


def test_handicap_stones_stand_on_the_star_lines():
    for size in range(7, 26):
        low, mid, high = star_lines(size)
        lines = {low, mid, high}
        most = 9 if size % 2 == 1 and size >= 9 else 4
        for n in range(2, most + 1):
            assert all(set(divmod(p, size)) <= lines for p in fixed_handicap_points(size, n))
        assert set(fixed_handicap_points(size, 4)) <= star_points(size)  # the corners are star points
    assert star_lines(6) is None and star_points(6) == set()
    # on 9x9 the six-stone table uses side points that are not drawn as star points
    assert not set(fixed_handicap_points(9, 6)) <= star_points(9)


def test_str_is_the_shared_drawing_without_marks():
    board = Board(9)
    play(board, "E5", "C3")
    text = str(board)
    assert text == render_board(board, mark=None, info=False)
    assert "(" not in text and "Captures" not in text
    assert text.splitlines()[0].split() == list("ABCDEFGHJ")
    row5 = next(line for line in text.splitlines() if line.startswith(" 5"))
    assert row5.split()[1:10] == [".", ".", ".", ".", "X", ".", ".", ".", "."]
    row7 = next(line for line in text.splitlines() if line.startswith(" 7"))
    assert row7.split()[3] == "+"  # C7 is a star point


def test_neighbour_table_lists_on_board_neighbours_first():
    nbr = core.neighbour_table(3)
    assert sorted(nbr[0][nbr[0] >= 0]) == [1, 3] and list(nbr[0][2:]) == [-1, -1]
    assert sorted(nbr[4]) == [1, 3, 5, 7]
    assert sorted(nbr[7][:3]) == [4, 6, 8] and nbr[7][3] == -1


def test_area_score_is_tromp_taylor_with_komi():
    board = diagram(
        """
        . X O . .
        . X O . .
        X X O . .
        . X O O O
        . X O . .
        """,
        komi=0.5,
    )
    owner = board.area_ownership()
    assert np.count_nonzero(owner == BLACK) == 10  # 6 stones + A5, A4, A2, A1
    assert np.count_nonzero(owner == WHITE) == 15  # 7 stones + 8 empty points on the right
    assert board.area_score() == -5.5
    assert board.result() == "W+5.5"
    dame = diagram(
        """
        X . O
        X . O
        X . O
        """
    )
    assert np.count_nonzero(dame.area_ownership() == EMPTY) == 3
    assert dame.area_score() == 0 and dame.result() == "0"


def test_eye_detection_distinguishes_true_and_false_eyes():
    corner = diagram(
        """
        . X . . .
        X X . . .
        . . . . .
        . . . . .
        . . . . .
        """
    )
    assert corner.is_eye(0, BLACK)
    assert not corner.is_eye(0, WHITE)
    edge = diagram(
        """
        . . . . .
        . . . . .
        . . . . .
        . . X . .
        . X . X .
        """
    )
    assert edge.is_eye(from_gtp("C1", 5), BLACK)
    edge.setup(white=[from_gtp("B2", 5)])
    assert not edge.is_eye(from_gtp("C1", 5), BLACK)  # one enemy diagonal on the edge: false eye
    centre = diagram(
        """
        . . . . .
        . X X X .
        . X . X .
        . X X O .
        . . . . .
        """
    )
    assert centre.is_eye(from_gtp("C3", 5), BLACK)  # one enemy diagonal is tolerated inside
    centre.setup(white=[from_gtp("B4", 5)])
    assert not centre.is_eye(from_gtp("C3", 5), BLACK)


def _tygem_games(shared_data, count: int):
    """The first ``count`` games of one shared Tygem month as (colour, point) lists."""
    path = shared_data / "tygem-9d" / "tygem-9d-2011-03.tar.bz2"
    colours = {"b": BLACK, "w": WHITE}
    games = []
    with tarfile.open(path) as archive:
        for member in archive:
            if not member.isfile():
                continue
            game = sgf.Sgf_game.from_bytes(archive.extractfile(member).read())
            moves = []
            for node in game.get_main_sequence():
                colour, move = node.get_move()
                if colour:
                    moves.append((colours[colour], 361 if move is None else (18 - move[0]) * 19 + move[1]))
            games.append(moves)
            if len(games) == count:
                break
    return games


def _sgfmill_final_position(moves) -> np.ndarray:
    board = sgfmill_boards.Board(19)
    for colour, point in moves:
        if point != 361:
            board.play(18 - point // 19, point % 19, "b" if colour == BLACK else "w")
    out = np.zeros(361, dtype=np.int8)
    for colour, (row, col) in board.list_occupied_points():
        out[(18 - row) * 19 + col] = BLACK if colour == "b" else WHITE
    return out


def test_thousands_of_real_games_replay_exactly_like_sgfmill(shared_data):
    games = _tygem_games(shared_data, 2000)
    nbr, zob = core.neighbour_table(19), core.zobrist_table(19)
    for moves in games:
        colours = np.array([c for c, _ in moves], dtype=np.int8)
        points = np.array([p for _, p in moves], dtype=np.int16)
        before = np.empty((len(moves), 361), dtype=np.int8)
        ko = np.empty(len(moves), dtype=np.int16)
        assert core.replay_game(colours, points, np.zeros(361, np.int8), nbr, zob, before, ko) == len(moves)
        # the position before the last move, plus the last move, equals sgfmill's final board
        last = Board(19)
        last.setup(black=np.flatnonzero(before[-1] == BLACK), white=np.flatnonzero(before[-1] == WHITE))
        last.play(int(points[-1]), int(colours[-1]))
        assert np.array_equal(last.stones, _sgfmill_final_position(moves))
    # the interactive Board agrees move by move, and its incrementally kept liberty
    # counts equal those of a board rebuilt from scratch
    for moves in games[:100]:
        board = Board(19)
        for colour, point in moves:
            board.play(point, colour)
        assert np.array_equal(board.stones, _sgfmill_final_position(moves))
        fresh = Board(19)
        fresh.setup(black=np.flatnonzero(board.stones == BLACK), white=np.flatnonzero(board.stones == WHITE))
        for point in np.flatnonzero(board.stones):
            assert fresh.liberties(int(point)) == board.liberties(int(point))


def test_replay_stops_at_the_first_illegal_move_keeping_earlier_positions():
    nbr, zob = core.neighbour_table(9), core.zobrist_table(9)
    moves = [(BLACK, from_gtp("E5", 9)), (WHITE, from_gtp("E5", 9)), (BLACK, from_gtp("C3", 9))]
    colours = np.array([c for c, _ in moves], dtype=np.int8)
    points = np.array([p for _, p in moves], dtype=np.int16)
    before = np.empty((3, 81), dtype=np.int8)
    ko = np.empty(3, dtype=np.int16)
    assert core.replay_game(colours, points, np.zeros(81, np.int8), nbr, zob, before, ko) == 1
    assert not before[0].any()
