"""write_sgf: what it writes, that sgfmill reads it, and read -> write -> read round trips."""

import itertools

import pytest
from sgfmill import sgf

import goengine
from goengine.coords import BLACK, WHITE, from_sgf
from goengine.sgf import GameRecord, iter_games, read_game, write_sgf


def round_trip(record: GameRecord) -> GameRecord:
    return read_game(write_sgf(record).encode("utf-8"), record.name)


HANDICAP_GAME = GameRecord(
    size=19,
    komi=0.5,
    handicap=2,
    setup_black=[from_sgf("pd", 19), from_sgf("dp", 19)],
    setup_white=[],
    moves=[(WHITE, from_sgf("qp", 19)), (BLACK, 361), (WHITE, from_sgf("aa", 19)), (BLACK, from_sgf("ss", 19))],
    result="B+R",
    black_player="李世乭 [9p] \\ back",
    white_player="Alpha]Go",
    date="2016-03-13",
    rules="Chinese",
    name="hand-made",
    first_player=WHITE,
)


def test_the_root_carries_the_game_information():
    text = write_sgf(HANDICAP_GAME)
    root = sgf.Sgf_game.from_string(text).get_root()
    assert root.get("FF") == 4 and root.get("GM") == 1 and root.get("CA") == "UTF-8"
    assert root.get("SZ") == 19 and root.get("KM") == 0.5 and root.get("HA") == 2
    assert root.get("PB") == "李世乭 [9p] \\ back" and root.get("PW") == "Alpha]Go"
    assert root.get("DT") == "2016-03-13" and root.get("RE") == "B+R" and root.get("RU") == "Chinese"
    assert root.get("AP") == ("goengine", goengine.__version__)
    assert root.get_setup_stones()[0] == {(15, 15), (3, 3)}  # (row from the bottom, col): pd, dp


def test_sgfmill_reads_the_moves_and_passes_are_empty_values():
    text = write_sgf(HANDICAP_GAME)
    assert ";B[]" in text and "tt" not in text
    moves = [node.get_move() for node in sgf.Sgf_game.from_string(text).get_main_sequence()[1:]]
    assert moves == [("w", (3, 16)), ("b", None), ("w", (18, 0)), ("b", (0, 18))]


def test_text_values_are_escaped():
    text = write_sgf(HANDICAP_GAME)
    assert "PW[Alpha\\]Go]" in text and "\\\\ back" in text


def test_round_trip_of_a_hand_made_game():
    assert round_trip(HANDICAP_GAME) == HANDICAP_GAME


def test_pl_is_written_only_when_needed():
    assert "PL[" not in write_sgf(HANDICAP_GAME)  # White's first move says it
    odd = GameRecord(size=19, moves=[(BLACK, 0)], first_player=WHITE)
    assert "PL[W]" in write_sgf(odd) and round_trip(odd) == odd


def test_empty_fields_are_left_out():
    text = write_sgf(GameRecord(size=9, komi=7.0, moves=[(BLACK, 40)]))
    for identifier in ("PB[", "PW[", "RE[", "DT[", "RU[", "HA[", "AB[", "AW[", "PL["):
        assert identifier not in text
    assert "KM[7]" in text and "SZ[9]" in text
    assert read_game(text.encode(), "x", allowed_sizes=(9,)).moves == [(BLACK, 40)]


def test_the_app_name_is_configurable():
    assert f"AP[selfplay:{goengine.__version__}]" in write_sgf(HANDICAP_GAME, app="selfplay")


def test_games_on_big_boards_write_passes_as_empty_values():
    record = GameRecord(size=21, moves=[(BLACK, 19 * 21 + 19), (WHITE, 21 * 21)])
    text = write_sgf(record)
    assert "B[tt]" in text and "W[]" in text
    assert read_game(text.encode(), "x", allowed_sizes=(21,)).moves == record.moves


@pytest.mark.parametrize(
    "record",
    [
        GameRecord(size=19, moves=[(BLACK, 362)]),
        GameRecord(size=19, moves=[(3, 0)]),
        GameRecord(size=19, moves=[(BLACK, 0)], setup_black=[361]),
        GameRecord(size=1, moves=[(BLACK, 0)]),
    ],
)
def test_records_that_are_not_games_are_refused(record):
    with pytest.raises(ValueError):
        write_sgf(record)


def test_round_trip_of_real_games(shared_data):
    sources = [shared_data / "tygem-9d" / "tygem-9d-2016-06.tar.gz", shared_data / "wild" / "ai-games.tar.gz"]
    games = [g for source in sources for g in itertools.islice(iter_games(source), 200)]
    assert len(games) == 400
    for record in games:
        assert round_trip(record) == record, record.name
