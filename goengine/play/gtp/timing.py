"""Clock commands: ``time_settings`` (GTP), ``kgs-time_settings`` (KGS) and ``time_left``.

They set the session's ``goengine.engine.timecontrol.Clock``; every move the engine
generates asks that clock for its thinking time and is charged for the time it took.
Once a clock runs, the network is warmed up at once (``Session.warm_up``), so the
first timed move does not pay the process's start-up costs.
``kgs-time_settings byoyomi`` follows KGS's convention for ``time_left``: in byo-yomi,
its last number is the count of periods left, not of stones.
"""

from __future__ import annotations

from goengine.engine.timecontrol import TimeSettings
from goengine.play.gtp.args import Color, Float, Int, KgsTimeSystem
from goengine.play.gtp.commands import HandlerGroup, command


class TimeCommands(HandlerGroup):
    @command("time_settings", Float("main time"), Float("byo-yomi time"), Int("byo-yomi stones"))
    def time_settings(self, main_time: float, byo_yomi_time: float, byo_yomi_stones: int) -> str:
        self.session.clock.reset(TimeSettings.from_gtp(max(0.0, main_time), max(0.0, byo_yomi_time),
                                                       max(0, byo_yomi_stones)))
        self.session.warm_up()
        return ""

    @command("kgs-time_settings", KgsTimeSystem())
    def kgs_time_settings(self, settings: TimeSettings) -> str:
        self.session.clock.reset(settings)
        self.session.warm_up()
        return ""

    @command("time_left", Color(), Float("time"), Int("stones"))
    def time_left(self, color: int, seconds: float, stones: int) -> str:
        self.session.clock.set_time_left(color, seconds, stones)
        self.session.warm_up()
        return ""


__all__ = ["TimeCommands"]
