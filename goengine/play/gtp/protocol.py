"""GTP's text level: input lines in, framed responses out (GTP 2, sections 3 and 6).

Input (section 3.1): control characters other than tab and newline are removed, ``#``
starts a comment, tabs count as spaces, CR LF line ends are fine, blank lines are
ignored.  A leading all-digit token is the command id and is echoed in the response.

Output: ``=id text`` for success, ``?id message`` for failure, each ending in a blank
line; multi-line texts never contain an empty line (it would end the response early).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

MAX_ID_DIGITS = 18
_CONTROL = {c: None for c in range(32) if c not in (9, 10)}
_CONTROL[127] = None
_CONTROL[9] = " "


class GtpFailure(Exception):
    """A command failed; the message is the GTP error text."""


@dataclass
class Stream:
    """A response whose lines are written as they come, not as one text.

    ``until_input``: an analysis that goes on (a new line every ``interval`` seconds)
    until the controller sends anything; otherwise the lines end by themselves
    (``genmove_analyze``: progress lines, then ``play <vertex>``).  Either way the
    response is ``=id`` on its own line, the lines, and a blank line.  ``paced``: making
    each line takes the interval itself (a search thinks that long), so the loop does not
    wait between lines, it only looks for input.
    """

    lines: Iterator[str]
    interval: float = 1.0
    until_input: bool = True
    paced: bool = False


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


def response_head(ok: bool, ident: str | None) -> str:
    return ("=" if ok else "?") + (ident or "")


def format_response(ok: bool, ident: str | None, text: str = "") -> str:
    """``=id text`` / ``?id text`` plus the blank line; no empty lines inside.

    A text that starts with a newline (a board, a list) starts on its own line.
    """
    lines = [ln.rstrip() for ln in str(text).replace("\r", "").split("\n")]
    lines = [ln for ln in lines if ln.strip()]
    head = response_head(ok, ident)
    if not lines:
        return head + "\n\n"
    if text.startswith("\n"):
        return head + "\n" + "\n".join(lines) + "\n\n"
    return head + " " + "\n".join(lines) + "\n\n"


__all__ = ["GtpFailure", "Stream", "clean_line", "format_response", "parse_command", "response_head"]
