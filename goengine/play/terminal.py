"""Human against the policy network in a terminal.

``TerminalGame(agent, ...).run()`` reads commands line by line from any text stream
and writes to any text stream, so tests drive it with ``io.StringIO`` (or click's
CliRunner).  The board is drawn with GTP coordinates (columns A-T without I, rows
numbered from the bottom), the last move in parentheses and the captures below it;
with ``color=True`` (default: when the output is a terminal and $NO_COLOR is unset)
it uses ANSI colours.

Commands: a point (``D4``, any case), ``pass``, ``resign``, ``undo`` (takes back your
last move and the engine's reply), ``hint`` (the network's favourite moves for you),
``score`` (Tromp-Taylor area score now), ``board``, ``help``, ``quit``.  The game is a
``goengine.game.Game``, which ends it after two passes in a row or a resignation; it is
saved as SGF in every case (also on ``quit``, end of input and Ctrl-C) and the path is
printed.  It goes to ``sgf_out`` if given, else to a new time-stamped file in
``sgf_dir`` (default ``goengine.paths.games_dir()``: $GOENGINE_GAMES_DIR or the user's
data folder, e.g. ~/.local/share/goengine/games), never silently into the working
directory.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from pathlib import Path
from typing import TextIO

from goengine.coords import BLACK, GTP_COLUMNS, WHITE, from_gtp, opponent, to_gtp
from goengine.engine.agent import RESIGN, require_size
from goengine.game import TWO_PASSES, Game
from goengine.paths import games_dir
from goengine.render import color_word, render_board


def describe_score(board) -> str:
    """'B+3.5 (Black 40, White 29, komi 7.5; Tromp-Taylor area)'."""
    owner = board.area_ownership()
    black = int((owner == BLACK).sum())
    white = int((owner == WHITE).sum())
    return f"{board.result()} (area: Black {black}, White {white}, komi {board.komi:g}; Tromp-Taylor)"


# --------------------------------------------------------------------------- the game

HELP = """Commands:
  D4        play at a point (letters A-T without I, rows from the bottom; any case)
  pass      pass (two passes in a row end the game)
  resign    give up
  undo      take back your last move and the engine's reply
  hint      the network's favourite moves for you
  score     the area score if the game ended now
  board     show the board again
  help      this list
  quit      stop (the game is saved)"""


class TerminalGame:
    """One game, human against ``agent``, over text streams."""

    def __init__(
        self,
        agent,
        human_color: int = BLACK,
        size: int = 19,
        komi: float = 7.5,
        sgf_out: str | os.PathLike | None = None,
        sgf_dir: str | os.PathLike | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        color: bool | None = None,
        hints: int = 5,
        superko: bool = False,
    ):
        require_size(agent, size)
        self.agent = agent
        self.human = human_color
        self.engine = opponent(human_color)
        self.game = Game(size, komi, superko=superko)
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stdout = stdout if stdout is not None else sys.stdout
        if color is None:
            color = bool(getattr(self.stdout, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
        self.color = color
        self.hints = hints
        self.sgf_out = Path(sgf_out) if sgf_out else None
        self.sgf_dir = Path(sgf_dir) if sgf_dir else None
        self.stopped = False  # quit, end of input or Ctrl-C: the game is left unfinished
        self.saved_path: Path | None = None

    @property
    def board(self):
        return self.game.board

    @property
    def result(self) -> str:
        """The SGF result once the game has ended, else ''."""
        return self.game.result or ""

    # -- output -----------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def show(self) -> None:
        self.say(render_board(self.board, color=self.color))

    def vertex(self, point: int) -> str:
        return to_gtp(point, self.board.size)

    # -- game flow --------------------------------------------------------------------

    def run(self) -> int:
        """Play until the game ends or input stops; save the SGF.  Returns an exit code
        (130 after Ctrl-C, 1 when the game could not be saved)."""
        code = 0
        try:
            self.say(
                f"goengine ({color_word(self.engine)}) against you ({color_word(self.human)}) on "
                f"{self.board.size}x{self.board.size}, komi {self.board.komi:g}. Type 'help' for commands."
            )
            self.show()
            while not (self.game.over or self.stopped):
                if self.board.to_play == self.engine:
                    self.engine_move()
                    continue
                self.stdout.write(f"{color_word(self.human)} ({'X' if self.human == BLACK else 'O'}) move> ")
                self.stdout.flush()
                line = self.stdin.readline()
                if not line:
                    self.say("\nEnd of input: stopping.")
                    break
                self.handle(line)
        except KeyboardInterrupt:
            self.say("\nInterrupted: stopping.")
            code = 130
        finally:
            saved = self.save()
        return code or (0 if saved else 1)

    def engine_move(self) -> None:
        move = self.agent.select_move(self.board)
        if move == RESIGN:
            self.say(f"goengine ({color_word(self.engine)}) resigns.")
            self.game.resign(self.engine)
        else:
            self.game.play(move)
            if move == self.board.pass_point:
                self.say(f"goengine ({color_word(self.engine)}) passes.")
            else:
                self.say(f"goengine ({color_word(self.engine)}) plays {self.vertex(move)}.")
        if self.game.over:
            self.announce_end()
        else:
            self.show()

    def announce_end(self) -> None:
        """Say how the game ended (the Game decided that it has)."""
        if self.game.end_reason == TWO_PASSES:
            self.show()
            self.say(f"Both passed: game over. Result {describe_score(self.board)}.")
        else:
            self.say(f"Result: {self.game.result}")

    def handle(self, line: str) -> None:
        """One line of user input."""
        text = " ".join(line.split())
        if not text:
            return
        word = text.lower()
        if word in ("help", "h", "?"):
            self.say(HELP)
        elif word in ("quit", "exit", "q"):
            self.say("Stopping.")
            self.stopped = True
        elif word == "pass":
            self.say("You pass.")
            self.game.play(self.board.pass_point)
            if self.game.over:
                self.announce_end()
        elif word == "resign":
            self.say("You resign.")
            self.game.resign(self.human)
            self.announce_end()
        elif word == "undo":
            self.undo()
        elif word in ("hint", "hints"):
            self.hint()
        elif word == "score":
            self.say(f"If the game ended now: {describe_score(self.board)}.")
        elif word in ("board", "show"):
            self.show()
        else:
            self.play_text(text)

    def play_text(self, text: str) -> None:
        try:
            point = from_gtp(text, self.board.size)
        except ValueError:
            last = GTP_COLUMNS[self.board.size - 1]
            self.say(
                f"Not understood: {text[:40]!r}. Type a point like D4 (A-{last} without I, "
                f"1-{self.board.size}), or 'help'."
            )
            return
        reason = self.board.illegal_reason(point)
        if reason is not None:
            self.say(f"Illegal move {self.vertex(point)}: {reason}. Try another point.")
            return
        self.game.play(point)

    def undo(self) -> None:
        history = self.board.history
        human_moves = [i for i, (c, _) in enumerate(history) if c == self.human]
        if not human_moves:
            self.say("Nothing to undo.")
            return
        keep = human_moves[-1]
        replied = len(history) - 1 > keep
        while len(self.board.history) > keep:
            self.game.undo()
        self.say("Took back your last move" + (" and the engine's reply." if replied else "."))
        self.show()

    def hint(self) -> None:
        if not hasattr(self.agent, "top_moves"):
            self.say("No hints from this engine.")
            return
        moves = self.agent.top_moves(self.board, self.hints)
        if not moves:
            self.say("No legal moves: pass.")
            return
        self.say("Hints: " + ", ".join(f"{self.vertex(p)} {100 * prob:.1f}%" for p, prob in moves))

    def sgf_path(self) -> Path:
        """``sgf_out``, else a new file ``goengine-<date>-<time>.sgf`` in the games folder."""
        if self.sgf_out is not None:
            return self.sgf_out
        folder = self.sgf_dir or games_dir()
        stem = f"goengine-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
        path = folder / f"{stem}.sgf"
        number = 1
        while path.exists():  # two games in one second
            number += 1
            path = folder / f"{stem}-{number}.sgf"
        return path

    def save(self) -> Path | None:
        path = self.sgf_path()
        me = getattr(self.agent, "name", "goengine")
        black, white = ("Human", f"goengine {me}") if self.human == BLACK else (f"goengine {me}", "Human")
        try:
            self.saved_path = self.game.save_sgf(path, black=black, white=white)
        except OSError as exc:
            self.say(f"Could not save the game to {path}: {exc}")
            return None
        self.say(f"Game saved to {self.saved_path}")
        return self.saved_path
