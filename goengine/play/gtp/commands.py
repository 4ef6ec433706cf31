"""Commands and groups of commands: how handlers join the engine without touching the loop.

A handler group is a class of related GTP commands over the shared session (core
GTP, KGS, time, setup/SGF, analysis, GoGui).  Its methods become commands with the
``@command(name, *args)`` decorator, where ``args`` are the typed argument specs of
``goengine.play.gtp.args``: the dispatcher converts the tokens and calls the method
with the values.  A method may carry several ``@command`` marks (aliases).  A handler
returns the response text (start it with a newline for a multi-line block) or a
``protocol.Stream``, and fails by raising ``protocol.GtpFailure``.

    class Greetings(HandlerGroup):
        @command("hello", Color())
        def hello(self, color):
            return "hi black" if color == BLACK else "hi white"

    engine.add_group(Greetings(engine.session))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from goengine.play.gtp.args import Arg


@dataclass(frozen=True)
class Command:
    """A GTP command: its name, its argument specs and the handler they are passed to."""

    name: str
    args: tuple[Arg, ...]
    handler: Callable

    def run(self, tokens: list[str], session):
        tokens = list(tokens)
        values = [spec.take(tokens, session) for spec in self.args]
        return self.handler(*values)


def command(name: str, *args: Arg):
    """Mark a HandlerGroup method as the handler of the GTP command ``name``."""

    def mark(method):
        method.__dict__.setdefault("gtp_commands", []).insert(0, (name, args))
        return method

    return mark


class HandlerGroup:
    """A group of commands over a session (see the module docstring)."""

    def __init__(self, session):
        self.session = session

    def commands(self) -> list[Command]:
        """The marked methods as commands, in the order the class defines them."""
        found = []
        for klass in reversed(type(self).__mro__):
            for attribute, value in vars(klass).items():
                for name, args in getattr(value, "gtp_commands", ()):
                    found.append(Command(name, tuple(args), getattr(self, attribute)))
        return found


__all__ = ["Command", "HandlerGroup", "command"]
