"""The ways a user reaches the engine: terminal game, GTP engine, matches, self-play and
the gymnasium environment ``goengine/Go-v0``.  Move choice lives in ``goengine.engine``;
one game's rules of play and its result in ``goengine.game``.

========================  ===========================================================
``registration``          ENV_ID, register_envs, registration on gymnasium's import
``env``                   GoEnv (``goengine/Go-v0``)
``terminal``              TerminalGame (human vs engine)
``gtp`` / ``gtp_client``  GtpEngine + serve (we are the engine) / GtpClient (we drive one)
``analysis``              AnalysisEngine + serve: KataGo's JSON analysis protocol (KaTrain)
``match``                 play_match: goengine against any GTP engine, honest counts, Elo summary
``match_workers``         ``match --jobs N``: games in worker processes
``referee``               who scores match games (GNU Go / final_score / Tromp-Taylor)
``openings``              match openings from the first moves of SGF games
``selfplay``              run_selfplay: SGF games of the network against itself
``cli``                   the click commands human, selfplay, gtp, analysis, match; build_agent
========================  ===========================================================

Names are imported on first use, so ``import goengine.play`` loads neither torch nor
gymnasium.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ENV_ID": "registration",
    "register_envs": "registration",
    "GoEnv": "env",
    "TerminalGame": "terminal",
    "GtpEngine": "gtp",
    "serve": "gtp",
    "GtpClient": "gtp_client",
    "play_match": "match",
    "run_selfplay": "selfplay",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
