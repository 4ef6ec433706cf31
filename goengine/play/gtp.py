"""goengine as a GTP version 2 engine (for Sabaki, Lizzie, GoGui, KGS/OGS bridges, referees).

``GtpEngine(agent).handle(line) -> str`` answers one input line: the whole response
(``=id text`` or ``?id message``, ending in a blank line), or ``""`` for a line with no
command (blank or comment).  ``serve(engine, stdin, stdout)`` runs the loop over
streams; it reads input in a thread so that ``lz-analyze`` keeps streaming analysis
lines until the next command arrives.  stdout carries nothing but GTP; logs go to
stderr.

Input handling (GTP 2, section 3.1): control characters other than tab and newline
are removed, ``#`` starts a comment, tabs count as spaces, CR LF line ends are fine,
blank lines are ignored.  A leading all-digit token is the command id and is echoed in
the response.  Every line that holds a command gets exactly one response, whatever
its length or content: a handler error never escapes, it becomes ``? ...``.

Commands beyond the GTP core and their meaning here:

``final_score``         Tromp-Taylor area score of the position (every stone counts as
                        alive), e.g. ``B+3.5``, ``W+0.5``, ``0``.
``final_status_list``   with area scoring and no life-and-death reading, every stone
                        is reported ``alive``; ``dead`` and ``seki`` are empty lists.
``kgs-genmove_cleanup`` like ``genmove`` but never resigns and never passes early (only
                        when no sensible move is left), so dead stones get captured.
``reg_genmove``         the move ``genmove`` would choose, not played.
``loadsgf file [n]``    the position before move ``n`` (default: after the last move).
``printsgf [file]``     the game so far as SGF (to the file if one is named).
``list_stones color``   the stones of that colour (GNU Go extension).
``lz-analyze [color] [interval] [key value...]``
                        Leela Zero's analysis format, one line every ``interval``
                        centiseconds until the next command:
                        ``info move D4 visits V winrate W prior P lcb L order K pv D4 Q16 ...``
                        ``prior`` is the policy probability x 10000; ``visits`` is
                        prior-proportional (there is no search); the network has no value
                        head, so ``winrate`` and ``lcb`` are always 5000 (50%); ``pv`` is
                        the move followed by the greedy policy's continuation.
                        Accepted keys: ``interval N``, ``maxmoves N``, ``minmoves N``
                        (others, e.g. ``avoid``/``allow``, are read and ignored).
``lz-genmove_analyze``  one analysis line, then ``play VERTEX``; the move is played.
``stop``                does nothing (any input line ends a running ``lz-analyze``).
"""

from __future__ import annotations

import queue
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, TextIO

from goengine.coords import BLACK, EMPTY, GTP_COLUMNS, WHITE, from_gtp, to_gtp
from goengine.engine.agent import RESIGN

MAX_ID_DIGITS = 18
_CONTROL = {c: None for c in range(32) if c not in (9, 10)}
_CONTROL[127] = None
_CONTROL[9] = " "


class GtpFailure(Exception):
    """A command failed; the message is the GTP error text."""


def clean_line(line: str | bytes) -> str:
    """Apply GTP's preprocessing to one input line (see the module docstring)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    line = line.translate(_CONTROL).replace("\n", " ")
    hash_at = line.find("#")
    if hash_at >= 0:
        line = line[:hash_at]
    return line.strip()


def parse_command(line: str | bytes) -> tuple[str | None, str, list[str]] | None:
    """``(id, command, args)`` of a line, or None if it holds no command."""
    text = clean_line(line)
    if not text:
        return None
    tokens = text.split()
    ident = None
    if tokens[0].isdigit() and tokens[0].isascii() and len(tokens[0]) <= MAX_ID_DIGITS:
        ident = tokens.pop(0)
    if not tokens:
        return ident, "", []
    return ident, tokens[0].lower(), tokens[1:]


def format_response(ok: bool, ident: str | None, text: str = "") -> str:
    """``=id text`` / ``?id text`` plus the blank line; no empty lines inside."""
    lines = [ln.rstrip() for ln in str(text).replace("\r", "").split("\n")]
    lines = [ln for ln in lines if ln.strip()]
    head = ("=" if ok else "?") + (ident or "")
    if not lines:
        return head + "\n\n"
    if text.startswith("\n"):  # multi-line answers (showboard) start on their own line
        return head + "\n" + "\n".join(lines) + "\n\n"
    return head + " " + "\n".join(lines) + "\n\n"


def parse_color(token: str) -> int:
    word = token.lower()
    if word in ("b", "black"):
        return BLACK
    if word in ("w", "white"):
        return WHITE
    raise GtpFailure("syntax error (invalid color)")


def parse_int(token: str, what: str = "integer") -> int:
    try:
        if not token.lstrip("+-").isdigit() or len(token) > 12:
            raise ValueError
        return int(token)
    except ValueError:
        raise GtpFailure(f"syntax error ({what} expected)") from None


def parse_float(token: str) -> float:
    try:
        if len(token) > 40:
            raise ValueError
        value = float(token)
    except ValueError:
        raise GtpFailure("syntax error (number expected)") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise GtpFailure("syntax error (number expected)")
    return value


class GtpEngine:
    """GTP engine state (board, komi, time settings) around a move-choosing agent.

    ``agent``: an agent object (``select_move``, ``supports_size``; a PolicyAgent adds
    ``probabilities``/``top_moves`` for analysis) or a zero-argument callable that
    returns one, called on first need (so the engine answers ``name`` etc. at once
    and reports a model that cannot be loaded as a GTP error).  ``size`` is the
    starting board size (default: the agent's ``board_size``, else 19).
    """

    def __init__(
        self,
        agent,
        size: int | None = None,
        komi: float = 7.5,
        name: str = "goengine",
        version: str | None = None,
        superko: bool = False,
        analysis_moves: int = 10,
        pv_length: int = 6,
        log: TextIO | None = None,
    ):
        if hasattr(agent, "select_move"):
            self._agent, self._factory = agent, None
        elif callable(agent):
            self._agent, self._factory = None, agent
        else:
            raise TypeError("agent must be an agent object or a callable returning one")
        if version is None:
            from goengine import __version__ as version
        self.name = name
        self.version = version
        self.superko = superko
        self.analysis_moves = analysis_moves
        self.pv_length = pv_length
        self.log = log if log is not None else sys.stderr
        if size is None:
            size = getattr(self._agent, "board_size", None) or 19
        self.komi = float(komi)
        self.size = int(size)
        self.quit_requested = False
        self.time_settings: tuple | None = None
        self.time_left: dict[int, tuple[float, int]] = {}
        self._new_board(self.size)
        self.commands: dict[str, Callable[[list[str]], str]] = {
            "protocol_version": lambda a: "2",
            "name": lambda a: self.name,
            "version": lambda a: self.version,
            "known_command": self.cmd_known_command,
            "list_commands": lambda a: "\n".join(self.commands),
            "quit": self.cmd_quit,
            "boardsize": self.cmd_boardsize,
            "clear_board": self.cmd_clear_board,
            "komi": self.cmd_komi,
            "play": self.cmd_play,
            "genmove": self.cmd_genmove,
            "reg_genmove": self.cmd_reg_genmove,
            "kgs-genmove_cleanup": self.cmd_genmove_cleanup,
            "undo": self.cmd_undo,
            "showboard": self.cmd_showboard,
            "final_score": self.cmd_final_score,
            "final_status_list": self.cmd_final_status_list,
            "fixed_handicap": self.cmd_fixed_handicap,
            "place_free_handicap": self.cmd_place_free_handicap,
            "set_free_handicap": self.cmd_set_free_handicap,
            "time_settings": self.cmd_time_settings,
            "time_left": self.cmd_time_left,
            "kgs-time_settings": self.cmd_kgs_time_settings,
            "kgs-game_over": lambda a: "",
            "loadsgf": self.cmd_loadsgf,
            "printsgf": self.cmd_printsgf,
            "list_stones": self.cmd_list_stones,
            "lz-analyze": self.cmd_lz_analyze,
            "lz-genmove_analyze": self.cmd_lz_genmove_analyze,
            "stop": lambda a: "",  # ends an analysis (any input does); a no-op otherwise
        }

    # -- state ------------------------------------------------------------------------

    def _new_board(self, size: int) -> None:
        from goengine.board import Board

        self.board = Board(size, self.komi, superko=self.superko)
        self.size = size
        self.setup_black: list[int] = []
        self.setup_white: list[int] = []

    @property
    def agent(self):
        if self._agent is None:
            try:
                self._agent = self._factory()
            except Exception as exc:  # a missing or broken model file
                raise GtpFailure(f"cannot load the model: {exc}") from None
        return self._agent

    def supports_size(self, size: int) -> bool:
        return bool(self.agent.supports_size(size))

    def vertex(self, point: int) -> str:
        return to_gtp(point, self.size)

    def parse_vertex(self, token: str) -> int:
        """GTP vertex -> point; 'syntax error' if malformed, 'illegal move' if off the board."""
        text = token.upper()
        if text == "PASS":
            return self.board.pass_point
        if len(text) < 2 or len(text) > 4 or text[0] not in GTP_COLUMNS or not text[1:].isdigit() or not text[1:].isascii():
            raise GtpFailure("syntax error (invalid vertex)")
        try:
            return from_gtp(text, self.size)
        except ValueError:
            raise GtpFailure("illegal move") from None

    def _board_is_empty(self) -> bool:
        return not self.board.history and not self.board.stones.any()

    # -- entry points ---------------------------------------------------------------------

    def handle(self, line: str | bytes) -> str:
        """The complete response to one input line ("" when the line holds no command)."""
        parsed = parse_command(line)
        if parsed is None:
            return ""
        return self.execute(*parsed)

    def execute(self, ident: str | None, command: str, args: list[str]) -> str:
        if not command:
            return format_response(False, ident, "syntax error (no command)")
        handler = self.commands.get(command)
        if handler is None:
            return format_response(False, ident, "unknown command")
        try:
            return format_response(True, ident, handler(args))
        except GtpFailure as exc:
            return format_response(False, ident, str(exc))
        except Exception as exc:  # never let a bug kill the engine or desynchronise replies
            self.log.write(f"goengine gtp: internal error in {command!r}:\n{traceback.format_exc()}")
            self.log.flush()
            return format_response(False, ident, f"internal error: {type(exc).__name__}")

    # -- core commands --------------------------------------------------------------------

    def cmd_known_command(self, args: list[str]) -> str:
        return "true" if args and args[0].lower() in self.commands else "false"

    def cmd_quit(self, args: list[str]) -> str:
        self.quit_requested = True
        return ""

    def cmd_boardsize(self, args: list[str]) -> str:
        if len(args) < 1:
            raise GtpFailure("syntax error (board size expected)")
        size = parse_int(args[0], "board size")
        if not 2 <= size <= 25 or not self.supports_size(size):
            raise GtpFailure("unacceptable size")
        self._new_board(size)
        return ""

    def cmd_clear_board(self, args: list[str]) -> str:
        self._new_board(self.size)
        return ""

    def cmd_komi(self, args: list[str]) -> str:
        if len(args) < 1:
            raise GtpFailure("syntax error (komi expected)")
        self.komi = parse_float(args[0])
        self.board.komi = self.komi
        return ""

    def cmd_play(self, args: list[str]) -> str:
        if len(args) < 2:
            raise GtpFailure("syntax error (play needs a color and a vertex)")
        color = parse_color(args[0])
        point = self.parse_vertex(args[1])
        if not self.board.is_legal(point, color):
            raise GtpFailure("illegal move")
        self.board.play(point, color)
        return ""

    def _generate(self, args: list[str], cleanup: bool = False) -> tuple[int, int]:
        if len(args) < 1:
            raise GtpFailure("syntax error (color expected)")
        color = parse_color(args[0])
        agent = self.agent
        if not agent.supports_size(self.size):
            raise GtpFailure("unacceptable size")
        if cleanup:
            move = agent.select_move(self.board, color, allow_resign=False, allow_early_pass=False)
        else:
            move = agent.select_move(self.board, color)
        if move != RESIGN and not self.board.is_legal(move, color):  # defensive: never answer an illegal move
            move = self.board.pass_point
        return color, move

    def _answer_move(self, color: int, move: int, play: bool) -> str:
        if move == RESIGN:
            return "resign"
        if play:
            self.board.play(move, color)
        return self.vertex(move)

    def cmd_genmove(self, args: list[str]) -> str:
        color, move = self._generate(args)
        return self._answer_move(color, move, play=True)

    def cmd_reg_genmove(self, args: list[str]) -> str:
        color, move = self._generate(args)
        return self._answer_move(color, move, play=False)

    def cmd_genmove_cleanup(self, args: list[str]) -> str:
        color, move = self._generate(args, cleanup=True)
        return self._answer_move(color, move, play=True)

    def cmd_undo(self, args: list[str]) -> str:
        if not self.board.history:
            raise GtpFailure("cannot undo")
        self.board.undo()
        return ""

    def cmd_showboard(self, args: list[str]) -> str:
        from goengine.render import render_board

        return "\n" + render_board(self.board, color=False)

    def cmd_final_score(self, args: list[str]) -> str:
        return self.board.result()

    def cmd_final_status_list(self, args: list[str]) -> str:
        if len(args) < 1:
            raise GtpFailure("syntax error (status expected)")
        status = args[0].lower()
        if status not in ("alive", "dead", "seki"):
            raise GtpFailure("syntax error (status must be alive, dead or seki)")
        if status != "alive":
            return ""
        seen: set[int] = set()
        chains = []
        for point in range(self.size * self.size):
            if self.board.stones[point] != EMPTY and point not in seen:
                chain = self.board.chain(point)
                seen.update(chain)
                chains.append(" ".join(self.vertex(p) for p in chain))
        return "\n".join(chains)

    # -- handicap ---------------------------------------------------------------------------

    def _handicap_count(self, args: list[str]) -> int:
        if len(args) < 1:
            raise GtpFailure("syntax error (number of stones expected)")
        stones = parse_int(args[0], "number of stones")
        if not self._board_is_empty():
            raise GtpFailure("board not empty")
        if stones < 2 or stones >= self.size * self.size:
            raise GtpFailure("invalid number of stones")
        return stones

    def _place_handicap(self, points: list[int]) -> str:
        self.board.place_free_handicap(points)
        self.setup_black = list(points)
        return " ".join(self.vertex(p) for p in points)

    def cmd_fixed_handicap(self, args: list[str]) -> str:
        from goengine.board import fixed_handicap_points

        stones = self._handicap_count(args)
        try:
            points = fixed_handicap_points(self.size, stones)
        except ValueError:
            raise GtpFailure("invalid number of stones") from None
        return self._place_handicap(points)

    def cmd_place_free_handicap(self, args: list[str]) -> str:
        """GTP's fixed points as far as they go, then the policy's favourite black points."""
        from goengine.board import fixed_handicap_points

        stones = self._handicap_count(args)
        points: list[int] = []
        for n in range(min(stones, 9), 1, -1):
            try:
                points = fixed_handicap_points(self.size, n)
                break
            except ValueError:
                continue
        work = self.board.copy()
        if points:
            work.setup(black=points)
        while len(points) < stones:
            probs = None
            agent = self.agent
            if hasattr(agent, "probabilities"):
                try:
                    probs = agent.probabilities(work, BLACK)
                except Exception:
                    probs = None
            empty = [p for p in range(self.size * self.size) if work.stones[p] == EMPTY]
            if probs is not None:
                best = max(empty, key=lambda p: probs[p])
            else:
                best = empty[len(empty) // 2]
            points.append(int(best))
            work.setup(black=[best])
        return self._place_handicap(points)

    def cmd_set_free_handicap(self, args: list[str]) -> str:
        if not self._board_is_empty():
            raise GtpFailure("board not empty")
        if len(args) < 2 or len(args) >= self.size * self.size:
            raise GtpFailure("invalid number of stones")
        points = []
        for token in args:
            try:
                point = self.parse_vertex(token)
            except GtpFailure:
                raise GtpFailure("bad vertex list") from None
            if point == self.board.pass_point or point in points:
                raise GtpFailure("bad vertex list")
            points.append(point)
        self._place_handicap(points)
        return ""

    # -- time -------------------------------------------------------------------------------

    def cmd_time_settings(self, args: list[str]) -> str:
        if len(args) < 3:
            raise GtpFailure("syntax error (main_time byo_yomi_time byo_yomi_stones expected)")
        self.time_settings = ("canadian", parse_int(args[0]), parse_int(args[1]), parse_int(args[2]))
        return ""

    def cmd_time_left(self, args: list[str]) -> str:
        if len(args) < 3:
            raise GtpFailure("syntax error (color time stones expected)")
        color = parse_color(args[0])
        self.time_left[color] = (parse_float(args[1]), parse_int(args[2]))
        return ""

    def cmd_kgs_time_settings(self, args: list[str]) -> str:
        if not args:
            raise GtpFailure("syntax error (time system expected)")
        system = args[0].lower()
        needed = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
        if system not in needed:
            raise GtpFailure("syntax error (none, absolute, byoyomi or canadian expected)")
        if len(args) - 1 < needed[system]:
            raise GtpFailure(f"syntax error ({system} needs {needed[system]} numbers)")
        self.time_settings = (system, *[parse_int(a) for a in args[1:1 + needed[system]]])
        return ""

    # -- SGF --------------------------------------------------------------------------------

    def cmd_loadsgf(self, args: list[str]) -> str:
        from goengine.board import Board, IllegalMove
        from goengine.sgf import Skip, read_game

        if len(args) < 1:
            raise GtpFailure("syntax error (file name expected)")
        limit = None
        if len(args) >= 2:
            limit = parse_int(args[1], "move number")
        try:
            data = Path(args[0]).read_bytes()
        except OSError:
            raise GtpFailure("cannot load file") from None
        try:
            record = read_game(data, args[0], allowed_sizes=tuple(range(2, 26)))
        except Skip as exc:
            raise GtpFailure(f"cannot load file ({getattr(exc, 'reason', exc)})") from None
        if not self.supports_size(record.size):
            raise GtpFailure("unacceptable size")
        try:
            board = Board.from_record(record, moves=None if limit is None else limit - 1, superko=self.superko)
        except IllegalMove as exc:
            raise GtpFailure(f"cannot load file (illegal move {exc.move_number})") from None
        self.board, self.size, self.komi = board, record.size, float(record.komi)
        self.setup_black, self.setup_white = list(record.setup_black), list(record.setup_white)
        return ""

    def sgf(self) -> str:
        """The game so far as SGF text (setup/handicap stones, then the moves)."""
        from goengine.game import board_record
        from goengine.sgf import write_sgf

        return write_sgf(board_record(self.board, setup_black=self.setup_black, setup_white=self.setup_white,
                                      name=f"goengine {getattr(self._agent, 'name', '')}".strip()))

    def cmd_printsgf(self, args: list[str]) -> str:
        text = self.sgf()
        if args:
            try:
                Path(args[0]).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise GtpFailure(f"cannot write file ({exc.strerror or exc})") from None
            return ""
        return "\n" + text

    def cmd_list_stones(self, args: list[str]) -> str:
        if len(args) < 1:
            raise GtpFailure("syntax error (color expected)")
        color = parse_color(args[0])
        stones = self.board.stones
        return " ".join(self.vertex(p) for p in range(self.size * self.size) if stones[p] == color)

    # -- analysis -----------------------------------------------------------------------------

    def parse_analyze_args(self, args: list[str]) -> dict:
        """``[color] [interval] [key value ...]`` of lz-analyze / lz-genmove_analyze."""
        options = {"color": self.board.to_play, "interval": 100, "maxmoves": self.analysis_moves}
        tokens = list(args)
        if tokens and tokens[0].lower() in ("b", "w", "black", "white"):
            options["color"] = parse_color(tokens.pop(0))
        if tokens and tokens[0].isdigit():
            options["interval"] = parse_int(tokens.pop(0), "interval")
        while tokens:
            key = tokens.pop(0).lower()
            if key in ("interval", "maxmoves", "minmoves"):
                if not tokens:
                    raise GtpFailure(f"syntax error ({key} needs a value)")
                options[key] = parse_int(tokens.pop(0), key)
            elif key in ("avoid", "allow"):
                del tokens[:3]  # color, vertices, until-move: accepted, not applied
            # anything else (ownership, pvVisits, ...) is accepted and ignored
        if options["maxmoves"] <= 0:
            options["maxmoves"] = self.analysis_moves
        return options

    def analysis_line(self, color: int, max_moves: int) -> str:
        """One Leela Zero style analysis line for ``color`` in the current position."""
        agent = self.agent
        if not agent.supports_size(self.size):
            raise GtpFailure("unacceptable size")
        entries = []
        moves = agent.top_moves(self.board, max_moves, color) if hasattr(agent, "top_moves") else []
        for order, (point, prior) in enumerate(moves):
            pv = [point]
            if hasattr(agent, "principal_variation"):
                pv = agent.principal_variation(self.board, point, self.pv_length, color)
            entries.append(
                f"info move {self.vertex(point)} visits {max(1, round(prior * 1000))} winrate 5000 "
                f"prior {int(round(prior * 10000))} lcb 5000 order {order} "
                f"pv {' '.join(self.vertex(p) for p in pv)}"
            )
        if not entries:
            entries.append("info move pass visits 1 winrate 5000 prior 10000 lcb 5000 order 0 pv pass")
        return " ".join(entries)

    def cmd_lz_analyze(self, args: list[str]) -> str:
        """Without the streaming loop (``handle``): one analysis snapshot."""
        options = self.parse_analyze_args(args)
        return "\n" + self.analysis_line(options["color"], options["maxmoves"])

    def cmd_lz_genmove_analyze(self, args: list[str]) -> str:
        options = self.parse_analyze_args(args)
        color = options["color"]
        line = self.analysis_line(color, options["maxmoves"])
        color, move = self._generate(["black" if color == BLACK else "white"])
        return f"\n{line}\nplay {self._answer_move(color, move, play=True)}"


# ------------------------------------------------------------------------------ the loop

STREAMING = {"lz-analyze"}


def _reader(stream, lines: queue.Queue) -> None:
    """Put each input line (bytes or str) on the queue; None at the end of input."""
    try:
        while True:
            line = stream.readline()
            if not line:
                break
            lines.put(line)
    except Exception:  # a closed or missing stdin counts as the end of input
        pass
    lines.put(None)


def serve(engine: GtpEngine, stdin, stdout: TextIO) -> None:
    """Answer GTP commands from ``stdin`` (text or binary) on ``stdout`` until quit or EOF."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(stdin, lines), name="gtp-stdin", daemon=True).start()
    pending = None
    while True:
        line = pending if pending is not None else lines.get()
        pending = None
        if line is None:
            break
        parsed = parse_command(line)
        if parsed is None:
            continue
        ident, command, args = parsed
        if command in STREAMING:
            pending = _stream_analysis(engine, ident, args, lines, stdout)
            if pending is None:
                break  # end of input while analysing
            continue
        stdout.write(engine.execute(ident, command, args))
        stdout.flush()
        if engine.quit_requested:
            break


def _stream_analysis(engine: GtpEngine, ident, args, lines: queue.Queue, stdout: TextIO):
    """Stream ``lz-analyze`` lines until input arrives; return that input (None at EOF)."""
    try:
        options = engine.parse_analyze_args(args)
        text = engine.analysis_line(options["color"], options["maxmoves"])
    except GtpFailure as exc:
        stdout.write(format_response(False, ident, str(exc)))
        stdout.flush()
        return lines.get()
    except Exception as exc:
        engine.log.write(f"goengine gtp: internal error in lz-analyze:\n{traceback.format_exc()}")
        stdout.write(format_response(False, ident, f"internal error: {type(exc).__name__}"))
        stdout.flush()
        return lines.get()
    interval = max(options["interval"], 1) / 100.0
    stdout.write("=" + (ident or "") + "\n" + text + "\n")
    stdout.flush()
    while True:
        try:
            line = lines.get(timeout=interval)
        except queue.Empty:
            stdout.write(text + "\n")
            stdout.flush()
            continue
        stdout.write("\n")  # the blank line that ends the analysis response
        stdout.flush()
        return line
