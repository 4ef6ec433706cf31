"""A GTP controller for engines running as subprocesses (GNU Go, KataGo, goengine...).

``GtpClient("gnugo --mode gtp --level 1")`` starts the engine and talks GTP version 2
over its stdin/stdout.  Each command is sent with a numeric id; the reply with that id
is the answer, so a late reply to a command that timed out is recognised and skipped.
Replies without an id (some engines omit it) are taken as the answer to the command
in flight.

Failures are exceptions, never hangs:

* ``GtpError``: the engine answered ``? message`` (``.message`` holds the text);
* ``GtpTimeout``: no answer within the timeout (the engine is still running);
* ``GtpEngineDied``: the process exited or closed its stdout (``.returncode``);
* ``GtpEngineError``: base class of the last two, also raised when the engine cannot
  be started at all.

The engine's stderr is kept: by default its last lines are held in memory (a thread
drains the pipe, so a chatty engine can never block on it) and every
``GtpEngineError`` about the process quotes them, because an engine that will not
start or dies says why there (GNU Go: ``unrecognized option `--levle'``).
``stderr`` may name a file or stream to send it to instead.
"""

from __future__ import annotations

import os
import queue
import shlex
import subprocess
import threading
import time
from collections import deque
from typing import IO, Sequence

from goengine.coords import BLACK, from_gtp, to_gtp


class GtpError(Exception):
    """The engine answered a command with a GTP failure (``? message``)."""

    def __init__(self, command: str, message: str):
        super().__init__(f"{command!r} failed: {message}")
        self.command = command
        self.message = message


class GtpEngineError(RuntimeError):
    """The engine cannot be used: not startable, dead, or not answering."""


STDERR_LINES = 20  # lines of the engine's stderr kept for error messages


class GtpTimeout(GtpEngineError):
    """No answer within the timeout."""


class GtpEngineDied(GtpEngineError):
    """The engine process exited (or closed its stdout)."""

    def __init__(self, message: str, returncode: int | None = None):
        super().__init__(message)
        self.returncode = returncode


def color_name(color: int) -> str:
    return "black" if color == BLACK else "white"


def split_command(command: str | Sequence[str]) -> list[str]:
    args = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
    if not args:
        raise GtpEngineError("empty engine command")
    return args


class GtpClient:
    """One GTP engine subprocess.  Use as a context manager or call ``close()``."""

    def __init__(
        self,
        command: str | Sequence[str],
        timeout: float | None = 60.0,
        stderr: str | os.PathLike | IO | None = None,
        cwd: str | os.PathLike | None = None,
        env: dict | None = None,
    ):
        self.args = split_command(command)
        self.command = command if isinstance(command, str) else shlex.join(self.args)
        self.timeout = timeout
        self._own_stderr = None
        self._stderr_lines: deque[str] = deque(maxlen=STDERR_LINES)
        if stderr is None:
            err = subprocess.PIPE
        elif isinstance(stderr, (str, os.PathLike)):
            err = self._own_stderr = open(stderr, "ab")
        else:
            err = stderr
        try:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, cwd=cwd, env=env,
            )
        except OSError as exc:
            if self._own_stderr:
                self._own_stderr.close()
            raise GtpEngineError(f"cannot start GTP engine {self.command!r}: {exc}") from None
        self._lines: queue.Queue = queue.Queue()
        self._reader = threading.Thread(target=self._read_stdout, name="gtp-client-reader", daemon=True)
        self._reader.start()
        self._stderr_reader = None
        if stderr is None:
            self._stderr_reader = threading.Thread(target=self._read_stderr, name="gtp-client-stderr", daemon=True)
            self._stderr_reader.start()
        self._next_id = 1
        self._lock = threading.Lock()
        self.closed = False

    # -- plumbing -------------------------------------------------------------------

    def _read_stdout(self) -> None:
        stream = self.proc.stdout
        try:
            for raw in iter(stream.readline, b""):
                self._lines.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        self._lines.put(None)  # end of output

    def _read_stderr(self) -> None:
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                self._stderr_lines.append(raw.decode("utf-8", errors="replace").rstrip())
        except (OSError, ValueError):
            pass

    def stderr_tail(self) -> str:
        """The last lines the engine wrote to stderr ('' if none, or if stderr goes elsewhere)."""
        if self._stderr_reader is not None and self.proc.poll() is not None:
            self._stderr_reader.join(timeout=1.0)  # the engine has exited: let its last words arrive
        return "\n".join(line for line in self._stderr_lines if line.strip())

    def _with_stderr(self, message: str) -> str:
        tail = self.stderr_tail()
        if tail:
            return message + "; its stderr says:\n" + "\n".join(f"  {line}" for line in tail.splitlines())
        if self._stderr_reader is not None:
            return message + " (nothing on its stderr)"
        return message

    def _died(self) -> GtpEngineDied:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        self.closed = True
        return GtpEngineDied(self._with_stderr(f"GTP engine {self.command!r} exited (return code {code})"), code)

    @property
    def alive(self) -> bool:
        return not self.closed and self.proc.poll() is None

    def send(self, command: str, timeout: float | None = -1.0) -> str:
        """Send one command; return the success text or raise (see the module docstring).

        ``timeout``: seconds to wait (None: forever); the default uses the client's.
        """
        if timeout is not None and timeout < 0:
            timeout = self.timeout
        command = " ".join(command.replace("\r", " ").replace("\n", " ").split())
        with self._lock:
            if self.closed:
                raise GtpEngineDied(f"GTP engine {self.command!r} is closed", self.proc.returncode)
            ident = self._next_id
            self._next_id += 1
            try:
                self.proc.stdin.write(f"{ident} {command}\n".encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                raise self._died() from None
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                ok, reply_id, text = self._read_response(command, deadline)
                if reply_id is None or reply_id == ident:
                    break
                # a late answer to an earlier command that timed out: skip it
            if not ok:
                raise GtpError(command, text)
            return text

    def _next_line(self, command: str, deadline: float | None) -> str:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            line = self._lines.get(timeout=remaining)
        except queue.Empty:
            raise GtpTimeout(self._with_stderr(f"GTP engine {self.command!r} did not answer {command!r} in time")) from None
        if line is None:
            self._lines.put(None)  # keep reporting the end
            raise self._died()
        return line

    def _read_response(self, command: str, deadline: float | None) -> tuple[bool, int | None, str]:
        line = self._next_line(command, deadline)
        while not line.strip() or line[0] not in "=?":
            line = self._next_line(command, deadline)  # blank lines or junk between responses
        ok = line[0] == "="
        rest = line[1:]
        digits = len(rest) - len(rest.lstrip("0123456789"))
        reply_id = int(rest[:digits]) if digits else None
        body = [rest[digits:].strip()]
        while True:
            line = self._next_line(command, deadline)
            if not line.strip():
                break
            body.append(line)
        return ok, reply_id, "\n".join(body).strip()

    # -- lifecycle ----------------------------------------------------------------------

    def close(self, timeout: float = 5.0) -> None:
        """Send ``quit``, then terminate/kill the process if it lingers."""
        if not self.closed and self.proc.poll() is None:
            try:
                self.send("quit", timeout=timeout)
            except (GtpError, GtpEngineError):
                pass
        self.closed = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_streams()

    def _close_streams(self) -> None:
        streams = [self.proc.stdin, self.proc.stdout]
        if self._stderr_reader is not None:
            self._stderr_reader.join(timeout=1.0)
            if not self._stderr_reader.is_alive():  # closing under a blocked reader would wait for it
                streams.append(self.proc.stderr)
        for stream in streams:
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        if self._own_stderr:
            self._own_stderr.close()
            self._own_stderr = None

    def kill(self) -> None:
        """Stop the engine at once (e.g. after a timeout)."""
        self.closed = True
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_streams()

    def __enter__(self) -> "GtpClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):  # pragma: no cover - best effort
        try:
            if not self.closed and self.proc.poll() is None:
                self.kill()
        except Exception:
            pass

    # -- common commands ----------------------------------------------------------------

    def name(self) -> str:
        return self.send("name")

    def version(self) -> str:
        return self.send("version")

    def known_command(self, command: str) -> bool:
        try:
            return self.send(f"known_command {command}").strip().lower() == "true"
        except GtpError:
            return False

    def setup_game(self, size: int, komi: float) -> None:
        self.send(f"boardsize {size}")
        self.send(f"komi {komi:g}")
        self.send("clear_board")

    def play(self, color: int, point: int, size: int) -> None:
        self.send(f"play {color_name(color)} {to_gtp(point, size)}")

    def genmove(self, color: int, size: int, timeout: float | None = -1.0) -> int | str:
        """The engine's move as a point, the pass point, or the string 'resign'."""
        reply = self.send(f"genmove {color_name(color)}", timeout=timeout).strip()
        if reply.lower() == "resign":
            return "resign"
        try:
            return from_gtp(reply, size)
        except ValueError:
            raise GtpEngineError(f"GTP engine {self.command!r} answered genmove with {reply!r}") from None

    def final_score(self) -> str:
        return self.send("final_score").strip()
