"""Helpers for tests that talk GTP to an engine in this process: read replies, and serve
an engine on a real pipe, as a GUI drives it."""

from __future__ import annotations

import io
import os
import re
import threading
from contextlib import contextmanager

from goengine.play.gtp import serve


def ok(response: str) -> str:
    """The text of a success response (id removed)."""
    assert response.startswith("=") and response.endswith("\n\n"), response
    return re.sub(r"^=\d*", "", response).strip()


def err(response: str) -> str:
    """The text of a failure response (id removed)."""
    assert response.startswith("?") and response.endswith("\n\n"), response
    return re.sub(r"^\?\d*", "", response).strip()


@contextmanager
def served_on_a_pipe(engine):
    """Serve ``engine`` in a thread reading a pipe; yields ``(feed, out, thread)``: the
    unbuffered write end, the StringIO it answers into, and the serving thread.  On exit
    the write end is closed; the caller joins the thread after sending ``quit``."""
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "rb")
    out = io.StringIO()
    thread = threading.Thread(target=serve, args=(engine, stdin, out), daemon=True)
    thread.start()
    try:
        with os.fdopen(write_fd, "wb", buffering=0) as feed:
            yield feed, out, thread
    finally:
        thread.join(timeout=20)
        stdin.close()
