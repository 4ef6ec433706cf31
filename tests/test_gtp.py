"""The GTP engine: every command, handler groups and typed arguments, the game kept in a
Game, robustness against malformed input, streaming lz-analyze, a real subprocess, and
interoperation with GNU Go as the peer.  GUI sessions over pipes: tests/test_gtp_gui.py."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goengine.board import Board
from goengine.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE, from_gtp
from goengine.nn.modelfile import load_model
from goengine.engine.agent import PolicyAgent, RandomAgent
from goengine.play.gtp import GtpEngine, clean_line, parse_command, serve
from goengine.play.gtp.args import Color, Int, Optional, Vertex
from goengine.play.gtp.commands import HandlerGroup, command
from goengine.play.gtp_client import GtpClient, GtpError
from goengine.sgf import read_game
from gtp_replies import err, ok, served_on_a_pipe

ROOT = Path(__file__).resolve().parent.parent
INFO = re.compile(
    r"info move (?P<move>[A-HJ-T]\d+|pass) visits (?P<visits>\d+) winrate (?P<winrate>\d+) "
    r"prior (?P<prior>\d+) lcb (?P<lcb>\d+) order (?P<order>\d+) "
    r"pv (?P<pv>(?:[A-HJ-T]\d+|pass)(?: (?:[A-HJ-T]\d+|pass))*)"
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py
TINY_MODEL = {"point_bias": True}  # model9 (tests/conftest.py)


@pytest.fixture
def engine(model9):
    model, info = load_model(model9)
    return GtpEngine(PolicyAgent(model, info, resign_threshold=None), log=io.StringIO())






def blocks(output: str) -> list[str]:
    """Responses in a GTP output stream (each ends with a blank line)."""
    assert output.endswith("\n\n") or output == ""
    return [b for b in output.split("\n\n") if b]


# ---------------------------------------------------------------------------- parsing


def test_line_preprocessing():
    assert clean_line("play\tb  d4 # a comment\r\n") == "play b  d4"
    assert clean_line("\x00\x01na\x7fme\x1b") == "name"
    assert clean_line("# only a comment") == ""
    assert parse_command("  12 PLAY b D4") == ("12", "play", ["b", "D4"])
    assert parse_command("   \t ") is None
    assert parse_command(b"\xff\xfe 3 name") is not None


def test_basic_commands(engine):
    assert ok(engine.handle("protocol_version")) == "2"
    assert engine.handle("5 name") == "=5 goengine\n\n"
    assert ok(engine.handle("version"))
    assert ok(engine.handle("known_command lz-analyze")) == "true"
    assert ok(engine.handle("known_command frobnicate")) == "false"
    listed = ok(engine.handle("list_commands")).split("\n")
    for name in ("protocol_version", "name", "version", "known_command", "list_commands", "quit", "boardsize",
                 "clear_board", "komi", "play", "genmove", "undo", "showboard", "final_score",
                 "final_status_list", "fixed_handicap", "place_free_handicap", "set_free_handicap",
                 "time_settings", "time_left", "kgs-time_settings", "kgs-genmove_cleanup", "loadsgf",
                 "printsgf", "reg_genmove", "list_stones", "lz-analyze"):
        assert name in listed
    assert engine.handle("7 frobnicate") == "?7 unknown command\n\n"
    assert engine.handle("") == "" and engine.handle("# nothing") == "" and engine.handle(" \t\r\n") == ""
    assert engine.handle("8 name # comment\r\n") == "=8 goengine\n\n"
    assert engine.handle("9 quit") == "=9\n\n" and engine.quit_requested


class Greetings(HandlerGroup):
    """A group written outside the engine, as a plug-in would be."""

    @command("greet", Color(), Vertex(off_board="off the board"), Optional(Int("times"), 1))
    def greet(self, color: int, point: int, times: int) -> str:
        word = "black" if color == BLACK else "white"
        return " ".join([f"{word}@{self.session.vertex(point)}"] * times)

    @command("wave")
    @command("hello")
    def hello(self) -> str:
        return "hi"


def test_a_handler_group_joins_without_touching_the_loop():
    engine = GtpEngine(RandomAgent(rng=0), size=9, log=io.StringIO())
    engine.add_group(Greetings(engine.session))
    assert ok(engine.handle("1 greet W c3 2")) == "white@C3 white@C3"
    assert ok(engine.handle("greet b pass")) == "black@pass"
    assert ok(engine.handle("hello")) == ok(engine.handle("wave")) == "hi"
    listed = ok(engine.handle("list_commands")).split("\n")
    assert listed.index("wave") < listed.index("hello")  # in the order the marks are written
    assert ok(engine.handle("known_command greet")) == "true"
    # the typed specs produce the errors, before the handler runs
    assert err(engine.handle("greet purple c3")) == "syntax error (invalid color)"
    assert err(engine.handle("greet b")) == "syntax error (vertex expected)"
    assert err(engine.handle("greet b c33")) == "off the board"
    assert err(engine.handle("greet b q")) == "syntax error (invalid vertex)"
    assert err(engine.handle("greet b c3 twice")) == "syntax error (times expected)"
    with pytest.raises(ValueError, match="two handlers"):
        engine.add_group(Greetings(engine.session))


def test_a_handler_bug_is_logged_and_answered_as_an_error():
    class Broken(HandlerGroup):
        @command("explode")
        def explode(self) -> str:
            raise ZeroDivisionError("boom")

    log = io.StringIO()
    engine = GtpEngine(RandomAgent(rng=0), size=9, log=log)
    engine.add_group(Broken(engine.session))
    assert engine.handle("4 explode") == "?4 internal error: ZeroDivisionError\n\n"
    assert "ZeroDivisionError: boom" in log.getvalue()
    assert ok(engine.handle("name")) == "goengine"


def test_board_size_range_is_the_one_from_coords():
    engine = GtpEngine(RandomAgent(rng=0), size=9, log=io.StringIO())  # plays on any size
    for size in (MIN_SIZE, MAX_SIZE):
        assert ok(engine.handle(f"boardsize {size}")) == "" and engine.board.size == size
    for size in (MIN_SIZE - 1, MAX_SIZE + 1):
        assert err(engine.handle(f"boardsize {size}")) == "unacceptable size"
    assert engine.board.size == MAX_SIZE


def test_the_game_lives_in_a_game_object(engine, tmp_path):
    engine.handle("play b e5")
    engine.handle("play w pass")
    engine.handle("play b pass")
    assert engine.game.over and engine.game.result == "B+73.5"
    record = read_game(ok(engine.handle("printsgf")).encode(), "printed", allowed_sizes=(9,))
    assert record.result == "B+73.5"
    assert ok(engine.handle("play w d4")) == ""  # a controller that plays on reopens the game
    assert not engine.game.over and engine.game.move_number == 4
    assert ok(engine.handle("undo")) == "" and engine.game.move_number == 3
    engine.handle("komi 0.5")
    assert engine.game.komi == 0.5
    engine.handle("clear_board")
    assert engine.game.move_number == 0 and engine.game.komi == 0.5 and not engine.game.over
    path = tmp_path / "loaded.sgf"
    path.write_text("(;GM[1]FF[4]SZ[9]KM[6.5]AB[cc];W[ee];B[dd])")
    assert ok(engine.handle(f"loadsgf {path}")) == ""
    assert engine.game.setup_black == [from_gtp("C7", 9)] and engine.game.komi == 6.5
    assert engine.game.to_play == WHITE


def test_board_size_komi_and_play(engine):
    assert err(engine.handle("boardsize 19")) == "unacceptable size"
    assert err(engine.handle("boardsize 1")) == "unacceptable size"
    assert err(engine.handle("boardsize nine")).startswith("syntax error")
    assert err(engine.handle("boardsize")).startswith("syntax error")
    assert ok(engine.handle("boardsize 9")) == ""
    assert ok(engine.handle("komi 6.5")) == "" and engine.board.komi == 6.5
    assert err(engine.handle("komi lots")).startswith("syntax error")
    assert ok(engine.handle("play B d4")) == ""
    assert err(engine.handle("play white D4")) == "illegal move"
    assert err(engine.handle("play w I5")).startswith("syntax error")  # no column I in GTP
    assert err(engine.handle("play w Z9")) == "illegal move"
    assert err(engine.handle("play w K9")) == "illegal move"  # a vertex, but not on 9x9
    assert err(engine.handle("play w")).startswith("syntax error")
    assert err(engine.handle("play")).startswith("syntax error")
    assert err(engine.handle("play purple d5")).startswith("syntax error")
    assert ok(engine.handle("play w pass")) == ""
    assert ok(engine.handle("list_stones black")) == "D4"
    assert ok(engine.handle("list_stones w")) == ""


def test_suicide_and_ko_are_illegal(engine):
    for move in ("b a2", "b b1"):  # black takes A1's liberties away: A1 is suicide for white
        engine.handle(f"play {move}")
    assert err(engine.handle("play w a1")) == "illegal move"
    engine.handle("clear_board")
    for move in ("b c5", "b d6", "b d4", "w f5", "w e6", "w e4", "b e5", "w d5"):  # white D5 captures E5
        assert ok(engine.handle(f"play {move}")) == ""
    assert err(engine.handle("play b e5")) == "illegal move"  # immediate retake: ko


def test_genmove_undo_and_showboard(engine):
    move = ok(engine.handle("1 genmove b"))
    point = from_gtp(move, 9)
    assert engine.board.stones[point] == 1
    assert ok(engine.handle("genmove WHITE"))
    assert err(engine.handle("genmove purple")).startswith("syntax error")
    assert err(engine.handle("genmove")).startswith("syntax error")
    reg = ok(engine.handle("reg_genmove b"))
    assert engine.board.move_number == 2 and from_gtp(reg, 9) < 81
    assert ok(engine.handle("kgs-genmove_cleanup b"))
    board_text = engine.handle("showboard")
    assert board_text.startswith("=\n") and "A B C D E F G H J" in board_text and "\n\n" not in board_text[:-2]
    for _ in range(3):
        assert ok(engine.handle("undo")) == ""
    assert err(engine.handle("undo")) == "cannot undo"


def test_genmove_passes_and_resigns_as_text(model9):
    model, info = load_model(model9)
    engine = GtpEngine(PolicyAgent(model, info, resign_threshold=5, resign_min_moves=0), log=io.StringIO())
    engine.handle("play b pass")
    assert ok(engine.handle("genmove w")) == "pass"  # white is ahead by komi after black's pass
    engine.handle("clear_board")
    engine.handle("set_free_handicap " + " ".join(f"{c}{r}" for c in "ABCDEFGHJ" for r in range(4, 10)))
    assert ok(engine.handle("genmove w")) == "resign"
    assert engine.board.move_number == 0  # resigning plays nothing
    assert engine.game.result == "B+R"
    assert ok(engine.handle("play b a1")) == ""  # the controller may still play on


def test_scoring_commands(engine):
    engine.handle("play b e5")
    assert ok(engine.handle("final_score")) == "B+73.5"
    engine.handle("play w d5")
    assert ok(engine.handle("final_score")) == "W+7.5"
    alive = ok(engine.handle("final_status_list alive")).split("\n")
    assert sorted(alive) == ["D5", "E5"]
    assert ok(engine.handle("final_status_list dead")) == ""
    assert ok(engine.handle("final_status_list seki")) == ""
    assert err(engine.handle("final_status_list zombie")).startswith("syntax error")


def test_handicap_commands(engine):
    assert ok(engine.handle("fixed_handicap 3")) == "C3 G7 C7"
    assert set(ok(engine.handle("list_stones b")).split()) == {"C3", "G7", "C7"}
    assert engine.board.to_play == 2
    assert err(engine.handle("fixed_handicap 2")) == "board not empty"
    engine.handle("clear_board")
    assert err(engine.handle("fixed_handicap 10")) == "invalid number of stones"
    assert err(engine.handle("fixed_handicap 1")) == "invalid number of stones"
    assert err(engine.handle("fixed_handicap x")).startswith("syntax error")
    stones = ok(engine.handle("place_free_handicap 11")).split()
    assert len(set(stones)) == 11 and len(ok(engine.handle("list_stones black")).split()) == 11
    engine.handle("clear_board")
    assert err(engine.handle("set_free_handicap a1")) == "invalid number of stones"
    assert err(engine.handle("set_free_handicap a1 a1")) == "bad vertex list"
    assert err(engine.handle("set_free_handicap a1 pass")) == "bad vertex list"
    assert err(engine.handle("set_free_handicap a1 x99")) == "bad vertex list"
    assert ok(engine.handle("set_free_handicap a1 j9 e5")) == ""
    assert engine.board.handicap == 3 and engine.board.to_play == 2
    assert ok(engine.handle("genmove w"))
    sgf = ok(engine.handle("printsgf"))
    record = read_game(sgf.encode(), "printed", allowed_sizes=(9,))
    assert sorted(record.setup_black) == sorted(from_gtp(v, 9) for v in ("A1", "J9", "E5"))
    assert record.handicap == 3 and record.moves[0][0] == 2


def test_time_commands(engine):
    assert ok(engine.handle("time_settings 300 30 5")) == ""
    assert err(engine.handle("time_settings 300 x 5")).startswith("syntax error")
    assert err(engine.handle("time_settings 300")).startswith("syntax error")
    assert ok(engine.handle("time_left b 120.5 0")) == ""
    assert err(engine.handle("time_left q 1 0")).startswith("syntax error")
    for args in ("none", "absolute 600", "byoyomi 600 30 5", "canadian 600 300 25"):
        assert ok(engine.handle(f"kgs-time_settings {args}")) == ""
    assert err(engine.handle("kgs-time_settings byoyomi 1")).startswith("syntax error")
    assert err(engine.handle("kgs-time_settings hourglass 1")).startswith("syntax error")


def test_printsgf_and_loadsgf_round_trip(engine, tmp_path):
    moves = ["b e5", "w c3", "b g7", "w pass", "b d4"]
    for move in moves:
        engine.handle(f"play {move}")
    path = tmp_path / "game.sgf"
    assert ok(engine.handle(f"printsgf {path}")) == ""
    printed = ok(engine.handle("printsgf"))
    assert printed.startswith("(;") and "\n\n" not in printed
    record = read_game(path.read_bytes(), "game", allowed_sizes=(9,))
    assert len(record.moves) == 5 and record.moves[3][1] == 81
    engine.handle("clear_board")
    assert ok(engine.handle(f"loadsgf {path}")) == ""
    assert engine.board.move_number == 5 and ok(engine.handle("list_stones b")).split() == ["G7", "E5", "D4"]
    assert ok(engine.handle(f"loadsgf {path} 3")) == ""  # the position before move 3
    assert engine.board.move_number == 2 and engine.board.to_play == 1
    assert err(engine.handle(f"loadsgf {tmp_path / 'missing.sgf'}")).startswith("cannot load file")
    (tmp_path / "junk.sgf").write_bytes(b"\x00not sgf at all")
    assert err(engine.handle(f"loadsgf {tmp_path / 'junk.sgf'}")).startswith("cannot load file")
    (tmp_path / "big.sgf").write_text("(;GM[1]FF[4]SZ[19];B[dd];W[pp])")
    assert err(engine.handle(f"loadsgf {tmp_path / 'big.sgf'}")) == "unacceptable size"
    assert engine.board.move_number == 2  # failed loads change nothing


def test_lz_analyze_snapshot_format(engine):
    engine.handle("play b e5")
    text = ok(engine.handle("3 lz-analyze w 50"))
    entries = list(INFO.finditer(text))
    assert len(entries) == engine.analysis_moves
    assert [int(e["order"]) for e in entries] == list(range(len(entries)))
    assert all(e["winrate"] == e["lcb"] == "5000" for e in entries)
    priors = [int(e["prior"]) for e in entries]
    assert priors == sorted(priors, reverse=True) and 0 < sum(priors) <= 10000
    assert all(e["pv"].split()[0] == e["move"] for e in entries)
    assert INFO.sub("", text).strip() == ""  # nothing but info entries on the line
    assert len(list(INFO.finditer(ok(engine.handle("lz-analyze 10 maxmoves 3 avoid b e1 1"))))) == 3
    genmove = ok(engine.handle("lz-genmove_analyze w 10")).split("\n")
    assert INFO.match(genmove[0]) and genmove[-1].startswith("play ")
    assert engine.board.move_number == 2


def test_malformed_input_always_gets_exactly_one_response(engine):
    junk = [
        "x" * 1_000_000,
        "play " + "b " * 300_000,
        "9" * 1_000_000,
        "42 " + "genmove " * 1000,
        bytes(range(256)) * 100,
        b"\xff\xfe\xfd\x00play b e5",
        "play",
        "play b",
        "play b q",
        "play b e0",
        "play b e-1",
        "play b e5 extra args",
        "genmove x",
        "genmove",
        "boardsize -5",
        "boardsize +-5",
        "time_left b 10 --3",
        "kgs-time_settings byoyomi 60 nan 3",
        "kata-analyze b maxmoves +-1",
        "goengine-feature_plane \u0663",
        "boardsize 99999999999999999999",
        "komi nan",
        "komi inf",
        "undo now",
        "loadsgf",
        "loadsgf /nonexistent 7",
        "loadsgf /nonexistent x",
        "lz-analyze b x",
        "lz-analyze interval",
        "fixed_handicap 99999999999999999",
        "123",
        "\u2028name\u0085",
        "final_status_list",
    ]
    for line in junk:
        response = engine.handle(line)
        assert response and response[0] in "=?" and response.endswith("\n\n"), (line[:40], response[:80])
        assert "internal error" not in response, line[:40]
        assert "\n\n" not in response[:-2]
        assert len(response) < 10_000
    assert engine.handle("2 protocol_version") == "=2 2\n\n"


# ------------------------------------------------------------------------- the loop


def test_serve_answers_in_order_and_stops_at_quit():
    engine = GtpEngine(RandomAgent(rng=0), size=9, log=io.StringIO())
    lines = "1 name\n\n# comment\n2 boardsize 9\r\n3 frobnicate\n4 genmove b\n5 quit\n6 name\n"
    out = io.StringIO()
    serve(engine, io.StringIO(lines), out)
    responses = blocks(out.getvalue())
    assert [r.split()[0] for r in responses] == ["=1", "=2", "?3", "=4", "=5"]


def test_serve_streams_lz_analyze_until_the_next_command(model9):
    model, info = load_model(model9)
    engine = GtpEngine(PolicyAgent(model, info), log=io.StringIO())
    with served_on_a_pipe(engine) as (feed, out, thread):
        feed.write(b"1 lz-analyze b 2\n")
        time.sleep(0.5)
        feed.write(b"2 name\n3 quit\n")
        thread.join(timeout=20)
    assert not thread.is_alive()
    text = out.getvalue()
    first, rest = text.split("\n\n", 1)
    head, *updates = first.split("\n")
    assert head == "=1" and len(updates) >= 2
    assert all(INFO.match(u) for u in updates)
    assert rest == "=2 goengine\n\n=3\n\n"


def _gtp_command(model):
    return [sys.executable, "-c", "from goengine.play.cli import gtp; gtp()", "--model", str(model), "--threads", "1"]


def test_subprocess_engine_keeps_stdout_clean(model9):
    lines = [
        b"1 protocol_version",
        b"2 boardsize 9",
        b"x" * 1_000_000,
        bytes(range(1, 256)).replace(b"\n", b""),
        b"3 play b",
        b"4 genmove purple",
        b"5 genmove b\r",
        b"",
        b"   # just a comment",
        b"6 lz-analyze w 1",
        b"7 showboard",
        b"8 quit",
    ]
    proc = subprocess.run(_gtp_command(model9), input=b"\n".join(lines) + b"\n", capture_output=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode()
    responses = blocks(proc.stdout.decode())
    assert len(responses) == 10
    ids = [r.split("\n")[0].split(" ")[0] for r in responses]
    assert ids == ["=1", "=2", "?", "?", "?3", "?4", "=5", "=6", "=7", "=8"]
    assert INFO.match(responses[7].split("\n")[1])
    assert b"ready" in proc.stderr  # the log line went to stderr, not into the protocol


def test_missing_model_fails_before_speaking_gtp(tmp_path):
    from click.testing import CliRunner

    from goengine.play.cli import gtp

    result = CliRunner().invoke(gtp, ["--model", str(tmp_path / "absent.safetensors")], input="name\n")
    assert result.exit_code != 0 and result.stdout == ""
    assert "not found" in result.stderr


# ------------------------------------------------------------------ GNU Go as the peer


def test_game_against_gnugo_with_both_sides_over_gtp(gnugo_path, model9, tmp_path):
    """Our engine in a subprocess and GNU Go, both driven through GtpClient; afterwards
    GNU Go loads our printsgf output and must see exactly the stones our engine sees."""
    ours = GtpClient(_gtp_command(model9), timeout=60)
    gnugo = GtpClient(f"{gnugo_path} --mode gtp --level 1", timeout=60)
    try:
        assert ours.name() == "goengine"
        for client in (ours, gnugo):
            client.setup_game(9, 7.5)
        board = Board(9, 7.5)
        engines = {1: ours, 2: gnugo}
        for _ in range(24):
            color = board.to_play
            move = engines[color].genmove(color, 9)
            if move == "resign":
                break
            engines[3 - color].play(color, move, 9)
            board.play(move, color)
            if board.consecutive_passes >= 2:
                break
        for color_name in ("black", "white"):
            assert set(ours.send(f"list_stones {color_name}").split()) == set(
                gnugo.send(f"list_stones {color_name}").split())
        sgf_path = tmp_path / "ours.sgf"
        ours.send(f"printsgf {sgf_path}")
        gnugo.send("clear_board")
        gnugo.send(f"loadsgf {sgf_path}")
        for color_name in ("black", "white"):
            assert set(ours.send(f"list_stones {color_name}").split()) == set(
                gnugo.send(f"list_stones {color_name}").split())
        assert ours.send("final_score") == board.result()
        with pytest.raises(GtpError):
            ours.send("boardsize 19")
        ours.send("undo")
        assert ours.send("final_status_list dead") == ""
    finally:
        ours.close()
        gnugo.close()
    assert ours.proc.returncode == 0
