"""The protocol loop's core: the command table, argument conversion, framing and errors.

The dispatcher knows GTP, not Go.  It answers the protocol's own commands
(``protocol_version``, ``name``, ``version``, ``known_command``, ``list_commands``,
``quit``) and routes everything else to the commands of the handler groups added to
it (``add_group``).  Every line that holds a command gets exactly one response,
whatever its length or content: an unknown command, bad arguments and handler errors
all become ``? message``; an unexpected exception is logged (to stderr, never to the
protocol stream) and answered ``? internal error: ...``.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from typing import TextIO

from goengine.play.gtp.args import Text
from goengine.play.gtp.commands import Command, HandlerGroup
from goengine.play.gtp.protocol import GtpFailure, Stream, format_response, parse_command, response_head


@dataclass
class OpenStream:
    """A streaming response that has started well: its ``=id`` head, its first line
    (computed before anything is written, so a failure is still a ``?`` response) and
    the stream for the rest."""

    head: str
    first: str
    stream: Stream


class Dispatcher:
    """Command table plus the protocol commands; see the module docstring."""

    def __init__(self, session, name: str, version: str, log: TextIO | None = None):
        self.session = session
        self.name = name
        self.version = version
        self.log = log if log is not None else sys.stderr
        self.quit_requested = False
        self.commands: dict[str, Command] = {}
        for command in (
            Command("protocol_version", (), lambda: "2"),
            Command("name", (), lambda: self.name),
            Command("version", (), lambda: self.version),
            Command("known_command", (Text("command name"),), self.known_command),
            Command("list_commands", (), lambda: "\n".join(self.commands)),
            Command("quit", (), self.quit),
        ):
            self.add(command)

    def add(self, command: Command) -> None:
        if command.name in self.commands:
            raise ValueError(f"two handlers for the GTP command {command.name!r}")
        self.commands[command.name] = command

    def add_group(self, group: HandlerGroup) -> None:
        for command in group.commands():
            self.add(command)

    def known_command(self, name: str) -> str:
        return "true" if name.lower() in self.commands else "false"

    def quit(self) -> str:
        self.quit_requested = True
        return ""

    # -- answering --------------------------------------------------------------------------

    def _internal_error(self, command: str, exc: Exception) -> str:
        self.log.write(f"goengine gtp: internal error in {command!r}:\n{traceback.format_exc()}")
        self.log.flush()
        return f"internal error: {type(exc).__name__}"

    def start(self, ident: str | None, name: str, args: list[str]) -> str | OpenStream:
        """Run one command: the complete response text, or an OpenStream to write out."""
        if not name:
            return format_response(False, ident, "syntax error (no command)")
        command = self.commands.get(name)
        if command is None:
            return format_response(False, ident, "unknown command")
        try:
            result = command.run(args, self.session)
            if isinstance(result, Stream):
                return OpenStream(response_head(True, ident), next(result.lines), result)
            return format_response(True, ident, result)
        except GtpFailure as exc:
            return format_response(False, ident, str(exc))
        except Exception as exc:  # never let a bug kill the engine or desynchronise replies
            return format_response(False, ident, self._internal_error(name, exc))

    def next_line(self, name: str, stream: Stream) -> str | None:
        """The stream's next line; None when it has ended (or failed: logged)."""
        try:
            return next(stream.lines)
        except StopIteration:
            return None
        except Exception as exc:
            self._internal_error(name, exc)
            return None

    def execute(self, ident: str | None, name: str, args: list[str]) -> str:
        """The complete response as one text.  A stream that runs until input gives
        its first line only; one that ends by itself gives all of its lines."""
        reply = self.start(ident, name, args)
        if isinstance(reply, str):
            return reply
        lines = [reply.first]
        while not reply.stream.until_input and (line := self.next_line(name, reply.stream)) is not None:
            lines.append(line)
        return format_response(True, ident, "\n" + "\n".join(lines))

    def handle(self, line: str | bytes) -> str:
        """The complete response to one input line ("" when the line holds no command)."""
        parsed = parse_command(line)
        if parsed is None:
            return ""
        return self.execute(*parsed)


__all__ = ["Dispatcher", "OpenStream"]
