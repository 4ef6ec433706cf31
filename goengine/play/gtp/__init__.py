"""goengine as a GTP version 2 engine (for Sabaki, Lizzie, GoGui, KGS/OGS bridges, referees).

``GtpEngine(agent).handle(line) -> str`` answers one input line: the whole response
(``=id text`` or ``?id message``, ending in a blank line), or ``""`` for a line with no
command.  ``serve(engine, stdin, stdout)`` runs the loop over streams, with analysis
streaming until the next input.  stdout carries nothing but GTP; logs go to stderr.

==============  =======================================================================
``protocol``    line preprocessing, ids, ``=``/``?`` framing; GtpFailure; Stream
``args``        typed arguments: every token -> value conversion
``commands``    ``@command`` and HandlerGroup: how a group of commands joins the engine
``dispatch``    the command table, protocol commands, errors -> ``? message``
``serve``       the loop over stdin/stdout (input thread, streaming, quit)
``session``     the shared state: Game, agent, analyzer, clock
``core``        core GTP: boardsize, play, genmove, undo, showboard, final_score, ...
``kgs``         kgs-genmove_cleanup, kgs-game_over
``timing``      time_settings, kgs-time_settings, time_left
``position``    handicap stones, loadsgf, printsgf
``analysis``    lz-analyze, kata-analyze, analyze and their genmove variants
``gogui``       gogui-analyze_commands: policy heat-map, top moves, feature planes
``engine``      GtpEngine: the dispatcher with the session and the standard groups
==============  =======================================================================

To add commands, write a HandlerGroup (see ``commands``) and ``engine.add_group`` it.
"""

from goengine.play.gtp.engine import GtpEngine
from goengine.play.gtp.protocol import GtpFailure, clean_line, format_response, parse_command
from goengine.play.gtp.serve import serve

__all__ = ["GtpEngine", "GtpFailure", "clean_line", "format_response", "parse_command", "serve"]
