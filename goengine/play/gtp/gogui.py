"""GoGui's view of the network: ``gogui-analyze_commands`` and the commands it lists.

GoGui asks ``gogui-analyze_commands`` when it attaches a program and offers each line
(``type/label/command``) in its analyze menu; it replaces ``%c`` with a colour (the
colour to move unless chosen otherwise) and ``%s`` with text the user types, and draws
the response by its type (GoGui manual, chapter "Analyze Commands"):

========================================  =======  =========================================
command                                   type     what it shows
========================================  =======  =========================================
``goengine-policy_heatmap [color]``       dboard   the policy, scaled so the favourite is 1
``goengine-policy_top [color]``           pspairs  the top moves labelled with their
                                                   probabilities (``31%``, ``4.2%``)
``goengine-policy_gfx [color]``           gfx      both: INFLUENCE squares, LABELs, and a
                                                   TEXT line for the status bar
``goengine-liberties``                    sboard   liberties of each chain (``8+``: 8 or more)
``goengine-liberties_after``              sboard   liberties the new chain would have after a
                                                   move at each legal point (side to move)
``goengine-ladders``                      gfx      ladder captures (red) and ladder escapes
                                                   (green) for the side to move
``goengine-feature_plane NAME|INDEX``     dboard   any of the 48 AlphaGo planes (0 or 1)
========================================  =======  =========================================

The feature boards come from the ``alphago48`` planes (docs/features.md) of the
position with the side to move, whatever feature set the model itself reads.  Boards
are written top row first, as GoGui reads them; ``""`` is an empty sboard field.
"""

from __future__ import annotations

import numpy as np

from goengine.coords import BLACK
from goengine.play.gtp.args import Color, Optional, Text
from goengine.play.gtp.commands import HandlerGroup, command
from goengine.play.gtp.protocol import GtpFailure

FEATURE_SET = "alphago48"
TOP_MOVES = 10
EMPTY_FIELD = '""'

ANALYZE_COMMANDS = (
    ("dboard", "Policy heat-map", "goengine-policy_heatmap %c"),
    ("pspairs", "Policy top moves", "goengine-policy_top %c"),
    ("gfx", "Policy heat-map and top moves", "goengine-policy_gfx %c"),
    ("sboard", "Liberties", "goengine-liberties"),
    ("sboard", "Liberties after a move", "goengine-liberties_after"),
    ("gfx", "Ladder captures and escapes", "goengine-ladders"),
    ("dboard", "Feature plane (name or 0-47)", "goengine-feature_plane %s"),
)


def percent_label(probability: float) -> str:
    """A probability as a short board label: ``31%``, ``4.2%``, ``0.3%``."""
    percent = probability * 100
    return f"{percent:.0f}%" if percent >= 9.95 else f"{percent:.1f}%"


def board_text(values: np.ndarray, size: int, field) -> str:
    """A GoGui board response: ``size`` lines of ``size`` fields, top row first."""
    grid = np.asarray(values).reshape(size, size)
    return "\n" + "\n".join(" ".join(field(v) for v in row) for row in grid)


def one_hot_labels(planes: np.ndarray, names: list[str], group: str) -> np.ndarray:
    """Per point, the suffix of the set plane of a one-hot group such as ``liberties``
    (planes ``liberties_1`` .. ``liberties_8+``): ``"3"``, ``"8+"``, or "" where none is set."""
    size = planes.shape[-1]
    labels = np.full(size * size, "", dtype=object)
    for index, name in enumerate(names):
        prefix, _, suffix = name.rpartition("_")
        if prefix == group:
            labels[planes[index].reshape(-1) > 0] = suffix
    return labels


class GoguiCommands(HandlerGroup):
    @command("gogui-analyze_commands")
    def analyze_commands(self) -> str:
        return "\n".join("/".join(entry) for entry in ANALYZE_COMMANDS)

    # -- the policy -------------------------------------------------------------------------

    def _policy(self, color: int | None) -> tuple[np.ndarray, int]:
        session = self.session
        session.require_supported_size()
        color = session.game.to_play if color is None else color
        agent = session.agent
        if not hasattr(agent, "probabilities"):
            raise GtpFailure("this engine's agent has no policy to show")
        return np.asarray(agent.probabilities(session.board, color), dtype=np.float64), color

    def _top(self, probs: np.ndarray) -> list[int]:
        order = np.argsort(-probs, kind="stable")[:TOP_MOVES]
        return [int(p) for p in order if probs[p] > 0]

    @command("goengine-policy_heatmap", Optional(Color()))
    def policy_heatmap(self, color: int | None) -> str:
        probs, _ = self._policy(color)
        scaled = probs / probs.max() if probs.max() > 0 else probs
        return board_text(scaled, self.session.size, lambda v: f"{v:.3f}")

    @command("goengine-policy_top", Optional(Color()))
    def policy_top(self, color: int | None) -> str:
        probs, _ = self._policy(color)
        return " ".join(f"{self.session.vertex(p)} {percent_label(probs[p])}" for p in self._top(probs))

    @command("goengine-policy_gfx", Optional(Color()))
    def policy_gfx(self, color: int | None) -> str:
        probs, color = self._policy(color)
        vertex = self.session.vertex
        top = self._top(probs)
        lines = []
        if probs.max() > 0:
            scaled = probs / probs.max()
            shown = np.flatnonzero(scaled >= 0.01)
            lines.append("INFLUENCE " + " ".join(f"{vertex(int(p))} {scaled[p]:.3f}" for p in shown))
        if top:
            lines.append("LABEL " + " ".join(f"{vertex(p)} {percent_label(probs[p])}" for p in top))
        side = "black" if color == BLACK else "white"
        summary = ", ".join(f"{vertex(p)} {probs[p] * 100:.1f}%" for p in top[:5]) or "no legal move"
        lines.append(f"TEXT policy for {side}: {summary}")
        return "\n" + "\n".join(lines)

    # -- the AlphaGo feature planes ---------------------------------------------------------

    def _planes(self) -> tuple[np.ndarray, list[str]]:
        from goengine.features import get_feature_set

        feature_set = get_feature_set(FEATURE_SET)
        return feature_set.encode_board(self.session.board), list(feature_set.plane_names)

    def _label_board(self, group: str) -> str:
        planes, names = self._planes()
        labels = one_hot_labels(planes, names, group)
        return board_text(labels, self.session.size, lambda v: v or EMPTY_FIELD)

    @command("goengine-liberties")
    def liberties(self) -> str:
        return self._label_board("liberties")

    @command("goengine-liberties_after")
    def liberties_after(self) -> str:
        return self._label_board("liberties_after")

    @command("goengine-ladders")
    def ladders(self) -> str:
        planes, names = self._planes()
        lines, counts = [], []
        for name, color_name in (("ladder_capture", "red"), ("ladder_escape", "green")):
            points = np.flatnonzero(planes[names.index(name)].reshape(-1))
            if len(points):
                lines.append(f"COLOR {color_name} " + " ".join(self.session.vertex(int(p)) for p in points))
            counts.append(f"{name.replace('_', ' ')}s ({color_name}): {len(points)}")
        lines.append("TEXT " + ", ".join(counts))
        return "\n" + "\n".join(lines)

    @command("goengine-feature_plane", Text("plane name or number"))
    def feature_plane(self, which: str) -> str:
        planes, names = self._planes()
        if which.isdigit() and int(which) < len(names):
            index = int(which)
        elif which.lower() in names:
            index = names.index(which.lower())
        else:
            raise GtpFailure(f"unknown feature plane {which!r} (0-{len(names) - 1} or a name such as ladder_capture)")
        return board_text(planes[index], self.session.size, lambda v: f"{int(v)}")


__all__ = ["ANALYZE_COMMANDS", "GoguiCommands", "board_text", "one_hot_labels", "percent_label"]
