"""The Game object: every way a game ends, its result strings, undo, handicap and the SGF record."""

from __future__ import annotations

import pytest

from goengine.board import IllegalMove
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.game import (
    ADJUDICATION, FORFEIT, MOVE_CAP, RESIGNATION, TIME, TWO_PASSES, VOID, Game, GameOver, board_record, winner_of,
)
from goengine.sgf import read_game


def p(vertex, size=9):
    return from_gtp(vertex, size)


def test_a_new_game_is_open():
    game = Game(9, komi=6.5)
    assert not game.over and game.result is None and game.winner is None and game.end_reason is None
    assert game.to_play == BLACK and game.move_number == 0 and game.komi == 6.5
    assert game.score() == -6.5


def test_two_passes_end_by_area_score():
    game = Game(9, komi=7.5)
    game.play(p("E5"))
    game.play(game.board.pass_point)
    assert not game.over  # one pass does not end it
    game.play(game.board.pass_point)
    assert game.over and game.end_reason == TWO_PASSES
    assert game.result == "B+73.5" and game.winner == BLACK and game.score() == 73.5
    with pytest.raises(GameOver):
        game.play(p("D4"))


def test_white_wins_on_komi_and_a_draw_is_zero():
    game = Game(9, komi=7.5)
    game.play(81)
    game.play(81)
    assert game.result == "W+7.5" and game.winner == WHITE
    jigo = Game(9, komi=0)
    jigo.play(81)
    jigo.play(81)
    assert jigo.over and jigo.result == "0" and jigo.winner is None


def test_a_pass_between_stones_does_not_count_twice():
    game = Game(9)
    for move in (81, p("E5"), 81, p("D4"), 81):
        game.play(move)
    assert not game.over


def test_resignation_time_and_forfeit():
    game = Game(9)
    game.play(p("E5"))
    game.resign(WHITE)
    assert game.over and game.result == "B+R" and game.end_reason == RESIGNATION and game.winner == BLACK
    game = Game(9)
    game.lose_on_time(BLACK)
    assert game.result == "W+T" and game.end_reason == TIME and game.winner == WHITE
    game = Game(9)
    game.forfeit(WHITE, "illegal move E5 (occupied)")
    assert game.result == "B+F" and game.end_reason == FORFEIT and game.end_detail == "illegal move E5 (occupied)"
    for end in (lambda: game.resign(BLACK), lambda: game.forfeit(BLACK), lambda: game.lose_on_time(BLACK)):
        with pytest.raises(GameOver):
            end()


def test_move_cap_is_void_until_scored():
    game = Game(9, komi=0.5, max_moves=3)
    game.play(p("E5"))
    game.play(p("D4"))
    assert not game.over
    game.play(p("C3"))
    assert game.over and game.end_reason == MOVE_CAP and game.result == VOID and game.winner is None
    assert game.end_by_score() == "B+0.5"  # 2 black stones, 1 white, the empty points dame; komi 0.5
    assert game.end_reason == MOVE_CAP and game.winner == BLACK


def test_two_passes_win_over_the_move_cap():
    game = Game(9, max_moves=2)
    game.play(81)
    game.play(81)
    assert game.end_reason == TWO_PASSES and game.result == "W+7.5"


def test_referee_override_and_adjudication():
    game = Game(9)
    game.play(81)
    game.play(81)
    assert game.end_by_score("B+2.5") == "B+2.5"
    assert game.result == "B+2.5" and game.winner == BLACK and game.end_reason == TWO_PASSES
    with pytest.raises(ValueError, match="not an SGF result"):
        game.end_by_score("who knows")
    assert game.result == "B+2.5"  # unchanged by the bad text
    live = Game(9)
    live.play(p("E5"))
    assert live.end_by_score() == "B+73.5" and live.end_reason == ADJUDICATION
    live = Game(9)
    assert live.end_by_score("0") == "0" and live.winner is None
    decided = Game(9)
    decided.resign(BLACK)
    with pytest.raises(GameOver, match="resignation"):
        decided.end_by_score("B+3")


def test_undo_after_the_end_reopens_the_game():
    game = Game(9)
    game.play(p("E5"))
    game.play(81)
    game.play(81)
    assert game.over
    game.undo()
    assert not game.over and game.result is None and game.move_number == 2 and game.to_play == BLACK
    game.play(p("D4"))
    game.resign(WHITE)
    game.undo()
    assert not game.over and game.move_number == 2
    with pytest.raises(IndexError):
        Game(9).undo()


def test_resume_plays_on_after_two_passes():
    game = Game(9)
    game.play(81)
    game.play(81)
    game.resume()
    game.play(p("E5"))
    assert not game.over and game.move_number == 3


def test_illegal_moves_leave_the_game_unchanged():
    game = Game(9)
    game.play(p("E5"))
    with pytest.raises(IllegalMove):
        game.play(p("E5"))
    assert game.move_number == 1 and not game.over and game.to_play == WHITE


def test_explicit_colours_and_komi_change():
    game = Game(9)
    game.play(p("E5"), WHITE)
    game.play(p("D4"), WHITE)
    assert [c for c, _ in game.board.history] == [WHITE, WHITE]
    game.komi = 0.5
    assert game.board.komi == 0.5


def test_handicap_stones_and_the_record_round_trip(tmp_path):
    game = Game(9, komi=0.5, handicap=2, max_moves=10)
    assert game.to_play == WHITE and len(game.setup_black) == 2
    with pytest.raises(ValueError):
        game.place_handicap([p("E5")])
    game.play(p("E5"))
    game.resign(BLACK)
    path = game.save_sgf(tmp_path / "sub" / "game.sgf", black="Bee", white="Dub", name="test")
    record = read_game(path.read_bytes(), "game.sgf", allowed_sizes=(9,))
    assert record.result == "W+R" and record.handicap == 2 and sorted(record.setup_black) == sorted(game.setup_black)
    assert record.moves == [(WHITE, p("E5"))] and record.black_player == "Bee" and record.white_player == "Dub"
    assert record.komi == 0.5 and record.first_player == WHITE
    again = Game.from_record(record)
    assert not again.over and again.move_number == 1 and sorted(again.setup_black) == sorted(game.setup_black)
    assert (again.board.stones == game.board.stones).all() and again.to_play == BLACK
    assert Game.from_record(record, moves=0).move_number == 0


def test_record_of_an_open_game_has_no_result():
    game = Game(9, superko=True)
    game.play(p("E5"))
    record = game.record()
    assert record.result == "" and record.rules.endswith("(positional superko)") and record.moves == [(BLACK, 40)]
    with pytest.raises(TypeError):
        game.record(colour="blue")  # not a GameRecord field
    assert "RE[" not in game.sgf() and board_record(game.board).moves == record.moves


def test_winner_of():
    assert winner_of("B+R") == BLACK and winner_of("w+3.5") == WHITE
    assert winner_of("0") is None and winner_of("Void") is None and winner_of(None) is None
