"""The GTP loop over streams: read commands, write responses, stream analysis, stop at quit.

Input is read by a background thread, so a streaming analysis can write a line every
interval and still stop as soon as anything arrives.  For a real file (a pipe, a
terminal) that thread reads the file descriptor with ``os.read`` instead of going
through Python's buffered reader: GUIs such as Sabaki and GoGui keep the engine's
stdin open after ``quit``, so the thread is still blocked in a read when the
interpreter exits, and a thread blocked inside a buffered reader holds that reader's
lock, which makes the interpreter abort at shutdown (``Fatal Python error:
_enter_buffered_busy``).  A bare ``os.read`` holds no Python lock, so the process
exits with status 0.  Streams without a descriptor (``io.StringIO`` in tests) are read
line by line.

A streaming analysis waits ``interval`` seconds for input after each line, unless its
stream is ``paced``: then making a line takes the interval (a search grows its tree
meanwhile), and the loop only looks for input between lines.  The session's
``input_pending`` is pointed at the input queue, so such a line is cut short as soon
as the controller sends anything.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import TextIO

from goengine.play.gtp.dispatch import Dispatcher, OpenStream
from goengine.play.gtp.protocol import parse_command

READ_CHUNK = 65536
END = object()  # what the queue holds after the last line


class InputLines:
    """The lines of ``stream`` (str or bytes), read by a daemon thread (see the module docstring)."""

    def __init__(self, stream):
        self._lines: queue.Queue = queue.Queue()
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        target = self._read_descriptor if fd is not None else self._read_stream
        argument = fd if fd is not None else stream
        threading.Thread(target=target, args=(argument,), name="gtp-input", daemon=True).start()

    def _read_descriptor(self, fd: int) -> None:
        pending = b""
        try:
            while chunk := os.read(fd, READ_CHUNK):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._lines.put(line)
        except OSError:  # a closed descriptor counts as the end of input
            pass
        if pending:
            self._lines.put(pending)
        self._lines.put(END)

    def _read_stream(self, stream) -> None:
        try:
            while line := stream.readline():
                self._lines.put(line)
        except (OSError, ValueError):  # a closed stream counts as the end of input
            pass
        self._lines.put(END)

    def get(self, timeout: float | None = None):
        """The next line (END at the end of input); raises queue.Empty after ``timeout`` seconds."""
        return self._lines.get(timeout=timeout)

    def pending(self) -> bool:
        """True when input (or its end) is waiting to be read."""
        return not self._lines.empty()


def serve(engine: Dispatcher, stdin, stdout: TextIO) -> None:
    """Answer GTP commands from ``stdin`` (text or binary) on ``stdout`` until quit or end of input."""
    lines = InputLines(stdin)
    engine.session.input_pending = lines.pending
    pending = None
    while True:
        line = pending if pending is not None else lines.get()
        pending = None
        if line is END:
            return
        parsed = parse_command(line)
        if parsed is None:
            continue
        reply = engine.start(*parsed)
        if isinstance(reply, OpenStream):
            pending = _write_stream(engine, parsed[1], reply, lines, stdout)
            if pending is END:
                return
            continue
        stdout.write(reply)
        stdout.flush()
        if engine.quit_requested:
            return


def _write_stream(engine: Dispatcher, name: str, reply: OpenStream, lines: InputLines, stdout: TextIO):
    """Write a streaming response.  Returns the input that ended it (END at the end of
    input), or None when the stream ended by itself."""
    stdout.write(f"{reply.head}\n{reply.first}\n")
    stdout.flush()
    stream, ending = reply.stream, None
    wait = 0.0 if stream.paced and stream.interval is not None else stream.interval
    while True:
        if stream.until_input:
            try:
                ending = lines.get(timeout=wait)
                break
            except queue.Empty:
                pass
        line = engine.next_line(name, stream)
        if line is None:
            break
        stdout.write(line + "\n")
        stdout.flush()
    stdout.write("\n")  # the blank line that ends the response
    stdout.flush()
    return ending
