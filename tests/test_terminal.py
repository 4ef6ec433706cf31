"""The terminal game: drawing, commands, undo/hint/score, saving SGF on every way out."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from goengine.board import Board
from goengine.coords import BLACK, WHITE, from_gtp
from goengine.engine.agent import RESIGN
from goengine.coords import star_points
from goengine.play.terminal import TerminalGame
from goengine.render import render_board
from goengine.sgf import read_game


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py
REPO = Path(__file__).resolve().parents[1]


class ScriptedAgent:
    """Plays a fixed list of GTP vertices ('resign' allowed), then passes."""

    name = "scripted"
    board_size = 9

    def __init__(self, moves=()):
        self.moves = list(moves)

    def supports_size(self, size):
        return size == 9

    def select_move(self, board, color=None):
        if not self.moves:
            return board.pass_point
        move = self.moves.pop(0)
        return RESIGN if move == "resign" else from_gtp(move, board.size)

    def top_moves(self, board, n=5, color=None):
        return [(from_gtp("E5", 9), 0.5), (from_gtp("C3", 9), 0.25)][:n]


def run_game(tmp_path, lines, agent=None, human=BLACK, **kwargs):
    out = io.StringIO()
    game = TerminalGame(agent or ScriptedAgent(), human_color=human, size=9, komi=7.5,
                        sgf_out=tmp_path / "game.sgf", stdin=io.StringIO("".join(f"{ln}\n" for ln in lines)),
                        stdout=out, **kwargs)
    code = game.run()
    return game, out.getvalue(), code


def read_sgf(path):
    return read_game(path.read_bytes(), path.name, allowed_sizes=(9,))


def test_render_plain_and_colour():
    board = Board(9)
    board.play(from_gtp("D4", 9))
    board.play(from_gtp("E5", 9))
    text = render_board(board)
    assert text.splitlines()[0].split() == list("ABCDEFGHJ")
    assert "I" not in text.splitlines()[0]
    assert " 5  . . . .(O). . . .  5" in text.splitlines()
    assert "Move 2: White E5" in text and "Captures: Black 0, White 0" in text
    assert "\x1b[" not in text and "\n\n" not in text
    coloured = render_board(board, color=True)
    assert "\x1b[" in coloured and "(" in coloured
    assert len(star_points(19)) == 9 and len(star_points(9)) == 5 and not star_points(5)


def test_commands_and_two_pass_ending(tmp_path):
    game, out, code = run_game(tmp_path, ["help", "D4", "hint", "score", "board", "d4", "z9", "??", "pass"],
                               agent=ScriptedAgent(["E5", "pass"]))
    assert code == 0 and game.game.over and game.game.end_reason == "two passes"
    assert "goengine (White) plays E5." in out
    assert "Hints: E5 50.0%, C3 25.0%" in out
    assert "If the game ended now:" in out
    assert "Illegal move D4: occupied" in out
    assert "Not understood: 'z9'" in out and "Not understood: '??'" in out
    assert "Both passed: game over. Result" in out
    record = read_sgf(tmp_path / "game.sgf")
    assert record.result == game.board.result()
    assert [m for _, m in record.moves][:2] == [from_gtp("D4", 9), from_gtp("E5", 9)]
    assert f"Game saved to {tmp_path / 'game.sgf'}" in out


def test_undo_takes_back_move_and_reply(tmp_path):
    game, out, code = run_game(tmp_path, ["D4", "undo", "undo", "C3", "quit"],
                               agent=ScriptedAgent(["E5", "F6"]))
    assert "Took back your last move and the engine's reply." in out
    assert "Nothing to undo." in out
    assert [(c, p) for c, p in game.board.history] == [(BLACK, from_gtp("C3", 9)), (WHITE, from_gtp("F6", 9))]
    assert read_sgf(tmp_path / "game.sgf").result == ""


def test_resignations(tmp_path):
    game, out, _ = run_game(tmp_path, ["D4", "resign"], agent=ScriptedAgent(["E5"]))
    assert game.result == "W+R" and read_sgf(tmp_path / "game.sgf").result == "W+R"
    assert game.game.end_reason == "resignation" and "Result: W+R" in out
    game, out, _ = run_game(tmp_path, ["D4"], agent=ScriptedAgent(["resign"]))
    assert game.result == "B+R" and "resigns" in out


def test_engine_moves_first_for_a_white_human(tmp_path):
    game, out, _ = run_game(tmp_path, ["C3"], agent=ScriptedAgent(["E5", "G7"]), human=WHITE)
    assert out.index("plays E5") < out.index("plays G7")
    assert "End of input" in out
    assert len(read_sgf(tmp_path / "game.sgf").moves) == 3


def test_ctrl_c_saves_the_game(tmp_path):
    class Interrupting(io.StringIO):
        def readline(self, *args):
            raise KeyboardInterrupt

    out = io.StringIO()
    game = TerminalGame(ScriptedAgent(), size=9, sgf_out=tmp_path / "int.sgf", stdin=Interrupting(), stdout=out)
    assert game.run() == 130
    assert "Interrupted" in out.getvalue() and (tmp_path / "int.sgf").exists()


def test_human_cli_with_a_real_model(model9, tmp_path):
    from goengine.play.cli import human

    sgf = tmp_path / "cli.sgf"
    result = CliRunner().invoke(human, ["--model", str(model9), "--size", "9", "--sgf-out", str(sgf)],
                                input="e5\nhint\npass\npass\n")
    assert result.exit_code == 0, result.output
    assert "Hints:" in result.output and "Game saved to" in result.output
    assert "\x1b[" not in result.output  # not a terminal: no colours
    assert sgf.exists()


def test_human_cli_errors(model9, tmp_path, monkeypatch):
    from goengine.play.cli import human

    result = CliRunner().invoke(human, ["--model", str(model9), "--size", "19"], input="quit\n")
    assert result.exit_code != 0 and "9x9" in result.output
    result = CliRunner().invoke(human, ["--model", str(model9), "--device", "tpu"], input="quit\n")
    assert result.exit_code == 2 and "unknown device 'tpu'" in result.output
    monkeypatch.setenv("GOENGINE_MODEL", str(tmp_path / "absent.safetensors"))
    result = CliRunner().invoke(human, [], input="quit\n")
    assert result.exit_code != 0 and "does not exist" in result.output


# --------------------------------------------------------------------------- where games go


def test_games_dir_follows_the_environment(tmp_path, monkeypatch):
    from goengine.paths import games_dir

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOENGINE_GAMES_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert games_dir() == tmp_path / "home" / ".local" / "share" / "goengine" / "games"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    assert games_dir() == tmp_path / "home" / ".local" / "share" / "goengine" / "games"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert games_dir() == tmp_path / "xdg" / "goengine" / "games"
    monkeypatch.setenv("GOENGINE_GAMES_DIR", str(tmp_path / "mine"))
    assert games_dir() == tmp_path / "mine"


def test_games_go_to_new_files_in_the_games_folder(tmp_path):
    paths = []
    for _ in range(2):  # two games within one second get two files
        out = io.StringIO()
        game = TerminalGame(ScriptedAgent(), size=9, sgf_dir=tmp_path / "games", stdin=io.StringIO("D4\n"),
                            stdout=out)
        assert game.run() == 0
        paths.append(game.saved_path)
        assert f"Game saved to {game.saved_path}" in out.getvalue()
    assert paths[0] != paths[1] and all(p.parent == tmp_path / "games" for p in paths)
    assert all(p.name.startswith("goengine-") and p.suffix == ".sgf" for p in paths)
    assert all(len(read_sgf(p).moves) == 2 for p in paths)


def test_a_game_that_cannot_be_saved_exits_non_zero(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = io.StringIO()
    game = TerminalGame(ScriptedAgent(), size=9, sgf_dir=blocker / "games", stdin=io.StringIO("quit\n"), stdout=out)
    assert game.run() == 1 and "Could not save the game" in out.getvalue()


def run_human(model, cwd, env_extra, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO), **env_extra}
    return subprocess.run([sys.executable, str(REPO / "play.py"), "human", "--model", str(model), *map(str, args)],
                          input="e5\npass\npass\n", capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_play_py_human_saves_where_players_expect(model9, tmp_path):
    cwd = tmp_path / "checkout"
    cwd.mkdir()
    xdg = {"XDG_DATA_HOME": str(tmp_path / "data"), "GOENGINE_GAMES_DIR": ""}
    done = run_human(model9, cwd, xdg)
    assert done.returncode == 0, done.stderr
    saved = list((tmp_path / "data" / "goengine" / "games").glob("goengine-*.sgf"))
    assert len(saved) == 1 and f"Game saved to {saved[0]}" in done.stdout
    assert not list(cwd.iterdir())  # nothing left in the working directory
    done = run_human(model9, cwd, {**xdg, "GOENGINE_GAMES_DIR": str(tmp_path / "env")})
    assert len(list((tmp_path / "env").glob("*.sgf"))) == 1
    done = run_human(model9, cwd, xdg, "--sgf-dir", tmp_path / "flag")
    assert done.returncode == 0 and len(list((tmp_path / "flag").glob("*.sgf"))) == 1
    done = run_human(model9, cwd, xdg, "--sgf-out", tmp_path / "one.sgf")
    assert done.returncode == 0 and (tmp_path / "one.sgf").exists()
    done = run_human(model9, cwd, xdg, "--sgf-out", tmp_path / "two.sgf", "--sgf-dir", tmp_path)
    assert done.returncode == 2 and "not both" in done.stderr
    assert not list(cwd.iterdir())
