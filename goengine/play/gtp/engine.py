"""GtpEngine: the dispatcher with goengine's session and its standard handler groups.

``name`` is ``goengine``; ``version`` is ``0.17.0-goengine-<package version>``.  The
odd-looking version is for Lizzie, which takes the second dotted number of the version
as a Leela Zero minor version and warns (or, with no dot, fails) below 15; the rest
names goengine's real version.  The name does not start with ``KataGo``, so Lizzie
stays with ``lz-analyze`` (see ``analysis``).
"""

from __future__ import annotations

from typing import TextIO

from goengine.play.gtp.analysis import AnalysisCommands
from goengine.play.gtp.core import CoreCommands
from goengine.play.gtp.dispatch import Dispatcher
from goengine.play.gtp.gogui import GoguiCommands
from goengine.play.gtp.kgs import KgsCommands
from goengine.play.gtp.position import PositionCommands
from goengine.play.gtp.session import Session
from goengine.play.gtp.timing import TimeCommands

LIZZIE_LEELA_ZERO_VERSION = "0.17.0"  # the Leela Zero analysis protocol level we speak
STANDARD_GROUPS = (CoreCommands, KgsCommands, TimeCommands, PositionCommands, AnalysisCommands, GoguiCommands)


def gtp_version(package_version: str) -> str:
    return f"{LIZZIE_LEELA_ZERO_VERSION}-goengine-{package_version}"


class GtpEngine(Dispatcher):
    """A GTP engine around an agent: ``GtpEngine(agent).handle(line) -> response``.

    ``agent``, ``size``, ``komi``, ``superko``, ``analyzer``, ``clock``,
    ``analysis_moves`` and ``pv_length`` go to the :class:`Session`; the handler groups
    of ``groups`` (default: all of goengine's) are added to the dispatcher, and more can
    be added with ``add_group``.
    """

    def __init__(self, agent, size: int | None = None, komi: float = 7.5, name: str = "goengine",
                 version: str | None = None, superko: bool = False, analyzer=None, clock=None,
                 analysis_moves: int = 10, pv_length: int = 6, log: TextIO | None = None,
                 groups=STANDARD_GROUPS):
        if version is None:
            from goengine import __version__

            version = gtp_version(__version__)
        session = Session(agent, size=size, komi=komi, superko=superko, analyzer=analyzer, clock=clock,
                          analysis_moves=analysis_moves, pv_length=pv_length, log=log)
        super().__init__(session, name, version, log=session.log)
        for group in groups:
            self.add_group(group(session))

    @property
    def game(self):
        return self.session.game

    @property
    def board(self):
        return self.session.board

    @property
    def analysis_moves(self) -> int:
        return self.session.analysis_moves


__all__ = ["GtpEngine", "LIZZIE_LEELA_ZERO_VERSION", "STANDARD_GROUPS", "gtp_version"]
