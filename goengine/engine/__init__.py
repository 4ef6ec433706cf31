"""Move choice: what goengine plays in a position, apart from how a user reaches it.

``agent``: PolicyAgent (the policy network) and RandomAgent, ``RESIGN``, ``load_agent``,
``require_size`` (the one board-size check), BoardSizeError, ModelNotFoundError.  The
front doors (terminal, GTP, matches, self-play, the gymnasium environment) live in
``goengine.play`` and ask an agent here for moves.  Importing this package loads
numpy but not torch; torch comes with the first model.

Beside move choice: ``analysis`` (the analyzer interface GUIs' analysis is built on,
and PolicyAnalyzer) and ``timecontrol`` (the clock and each move's time budget).
"""

from goengine.engine.agent import (
    RESIGN,
    BoardSizeError,
    ModelNotFoundError,
    PolicyAgent,
    RandomAgent,
    load_agent,
    require_size,
)

__all__ = ["RESIGN", "BoardSizeError", "ModelNotFoundError", "PolicyAgent", "RandomAgent", "load_agent", "require_size"]
