"""KGS extensions (kgsGtp): the clean-up phase and the end of a game.

``kgs-genmove_cleanup``  like ``genmove`` but never resigns and never passes early (only
                         when no sensible move is left), so dead stones get captured
                         when the players disagree about them.
``kgs-game_over``        the server says the game has ended; nothing to do.

``kgs-time_settings`` lives with the other clock commands (``timing``).
"""

from __future__ import annotations

from goengine.play.gtp.args import Color
from goengine.play.gtp.commands import HandlerGroup, command


class KgsCommands(HandlerGroup):
    @command("kgs-genmove_cleanup", Color())
    def genmove_cleanup(self, color: int) -> str:
        with self.session.thinking(color) as deadline:
            move = self.session.choose_move(color, cleanup=True, deadline=deadline)
        return self.session.commit(color, move)

    @command("kgs-game_over")
    def game_over(self) -> str:
        return ""


__all__ = ["KgsCommands"]
