"""Analysis commands for GUIs: Leela Zero's, KataGo's and Sabaki's formats.

``lz-analyze``, ``kata-analyze`` and ``analyze`` take ``[color] [interval] [key value ...]``
(see ``args.AnalyzeArgs``) and write one ``info ...`` line every ``interval``
centiseconds until the controller sends anything (a command, or even an empty line);
then the response ends with its blank line and the new input is handled.  Their
``genmove`` variants (``lz-genmove_analyze``, ``kata-genmove_analyze``,
``genmove_analyze``) think within the clock's budget, write the analysis and end with
``play <vertex>`` (or ``play pass`` / ``play resign``); the move is played.

Each candidate move is one ``info`` entry; all entries share one line:

=================  ==========================================================================
``lz-analyze``     ``info move D4 visits 312 winrate 5000 prior 3121 lcb 5000 order 0 pv D4 Q16``
                   (winrate, prior, lcb: integers, x 10000)
``kata-analyze``   ``info move D4 visits 312 winrate 0.5 scoreMean 0.0 scoreLead 0.0 prior 0.312109
                   lcb 0.5 order 0 pv D4 Q16`` (floats in 0..1; scores in points); with
                   ``rootInfo true``: ``rootInfo visits N winrate 0.5 scoreLead 0.0`` at the end
``analyze``        Sabaki's: ``info move D4 visits 312 winrate 0.5 prior 0.312109 order 0 pv D4 Q16``
                   (floats; Sabaki reads a winrate with a ``.`` as a fraction)
=================  ==========================================================================

What the numbers mean comes from the analyzer (``goengine.engine.analysis``).  An
engine that searches (``--playouts``/``--time``) reports its tree: real visits, the
winrate of each move's subtree and a lower confidence bound of it, the most visited
line as the variation.  Each line of a streaming analysis is one interval of search
more on the same tree, and a new command stops the search at once.  The
``genmove`` variants report the tree the move came from.  The policy network alone
has **no value estimate**: winrate and lcb are always 50% for every move; priors are
the network's probabilities; visits are prior-proportional (at least 1, so Sabaki
draws every listed move); the variation is the greedy policy's continuation.  Scores
are always 0: no analyzer estimates the score.

Which GUI uses which: Sabaki picks the first of ``analyze``, ``kata-analyze``,
``lz-analyze`` that ``list_commands`` shows, so it uses ``analyze``.  Lizzie asks
``name`` and ``version`` first: a name starting with ``KataGo`` switches it to
``kata-analyze``; otherwise it sends ``lz-analyze`` and reads the second number of the
version as Leela Zero's minor version (below 15 it warns that analysis needs Leela
Zero 0.15; without a dot it fails).  goengine therefore answers ``name`` with
``goengine`` and ``version`` with ``0.17.0-goengine-<version>`` (see ``engine``).
"""

from __future__ import annotations

import itertools
import time

from goengine.engine.analysis import Analysis, MoveInfo
from goengine.play.gtp.args import AnalyzeArgs, AnalyzeRequest
from goengine.play.gtp.commands import HandlerGroup, command
from goengine.play.gtp.protocol import Stream


def fraction(value: float) -> str:
    """A float in 0..1 with up to six decimals and always a ``.`` (``0.5``, ``1.0``, ``0.000123``)."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def per_10000(value: float) -> str:
    return str(int(round(value * 10000)))


def _entries(analysis: Analysis, vertex, fields) -> str:
    return " ".join(
        f"info move {vertex(m.move)} {fields(m)} order {m.order} pv {' '.join(vertex(p) for p in m.pv)}"
        for m in analysis.moves
    )


def lz_line(analysis: Analysis, vertex, request: AnalyzeRequest) -> str:
    def fields(m: MoveInfo) -> str:
        return (f"visits {m.visits} winrate {per_10000(m.winrate)} prior {per_10000(m.prior)} "
                f"lcb {per_10000(m.lcb)}")

    return _entries(analysis, vertex, fields)


NEUTRAL_SCORE = "0.0"  # no score estimate either (see the module docstring)
FIRST_LINE_SECONDS = 1.0  # how long a search thinks before the only line of an analysis with interval 0


def kata_line(analysis: Analysis, vertex, request: AnalyzeRequest) -> str:
    def fields(m: MoveInfo) -> str:
        return (f"visits {m.visits} winrate {fraction(m.winrate)} scoreMean {NEUTRAL_SCORE} "
                f"scoreLead {NEUTRAL_SCORE} prior {fraction(m.prior)} lcb {fraction(m.lcb)}")

    line = _entries(analysis, vertex, fields)
    if request.root_info:
        root = analysis.root
        line += f" rootInfo visits {root.visits} winrate {fraction(root.winrate)} scoreLead {NEUTRAL_SCORE}"
    return line


def sabaki_line(analysis: Analysis, vertex, request: AnalyzeRequest) -> str:
    def fields(m: MoveInfo) -> str:
        return f"visits {m.visits} winrate {fraction(m.winrate)} prior {fraction(m.prior)}"

    return _entries(analysis, vertex, fields)


class AnalysisCommands(HandlerGroup):
    def _line(self, formatter, request: AnalyzeRequest) -> str:
        """One line of a streaming analysis.  An analyzer that thinks until stopped (a
        search) thinks for one interval, or until the controller sends something; the
        policy network's answers at once, and the stream waits the interval instead."""
        session = self.session
        session.require_supported_size()
        ends = time.monotonic() + (request.interval or FIRST_LINE_SECONDS)

        def stop() -> bool:
            return session.input_pending() or time.monotonic() >= ends

        analysis = session.analyzer.analyze(session.board, request.color, request.max_moves, stop=stop)
        return formatter(analysis, session.vertex, request)

    def _analyze(self, formatter, request: AnalyzeRequest) -> Stream:
        lines = (self._line(formatter, request) for _ in itertools.count())
        paced = getattr(self.session.analyzer, "thinks_until_stopped", False)
        return Stream(lines, request.interval, until_input=True, paced=paced)

    def _genmove(self, formatter, request: AnalyzeRequest) -> Stream:
        def lines():
            session, color = self.session, request.color
            session.require_supported_size()
            with session.thinking(color) as deadline:
                move, analysis = session.choose_move_with_analysis(color, request.max_moves, deadline)
            yield formatter(analysis, session.vertex, request)
            yield f"play {session.commit(color, move)}"

        return Stream(lines(), until_input=False)

    @command("lz-analyze", AnalyzeArgs())
    def lz_analyze(self, request: AnalyzeRequest) -> Stream:
        return self._analyze(lz_line, request)

    @command("kata-analyze", AnalyzeArgs())
    def kata_analyze(self, request: AnalyzeRequest) -> Stream:
        return self._analyze(kata_line, request)

    @command("analyze", AnalyzeArgs())
    def analyze(self, request: AnalyzeRequest) -> Stream:
        return self._analyze(sabaki_line, request)

    @command("lz-genmove_analyze", AnalyzeArgs())
    def lz_genmove_analyze(self, request: AnalyzeRequest) -> Stream:
        return self._genmove(lz_line, request)

    @command("kata-genmove_analyze", AnalyzeArgs())
    def kata_genmove_analyze(self, request: AnalyzeRequest) -> Stream:
        return self._genmove(kata_line, request)

    @command("genmove_analyze", AnalyzeArgs())
    def genmove_analyze(self, request: AnalyzeRequest) -> Stream:
        return self._genmove(sabaki_line, request)

    @command("stop")
    def stop(self) -> str:
        """Ends a running analysis (any input does); a no-op otherwise."""
        return ""


__all__ = ["AnalysisCommands", "fraction", "kata_line", "lz_line", "per_10000", "sabaki_line"]
