"""Who scores a match game that ended by two passes or at the move cap.

Our Board scores by Tromp-Taylor area, which counts every stone on the board as alive.
Engines such as GNU Go pass as soon as the game is decided and leave dead stones on
the board, so the area score hands those games to the side with the dead stones: the
shipped model's 40-game match against GNU Go would have "won" every scored game.  A
match therefore asks an engine that judges dead stones (``final_score``), unless the
user says otherwise with ``--referee``:

``auto`` (the default)
    GNU Go as opponent: a second GNU Go process, ``<its path> --mode gtp
    --chinese-rules``, replays each game and scores it (area rules, like ours, so komi
    means the same).  Any other opponent that knows ``final_score``: the opponent
    itself, asked at the end of each game.  Otherwise Tromp-Taylor, with a warning.
``opponent``
    the opponent's own ``final_score`` (an error if it does not know the command).
``none``
    Tromp-Taylor area scoring, with a warning.
anything else
    a GTP engine command that replays the game and answers ``final_score``.

A referee that fails (cannot start, dies, answers what is not a score) stops the
match with an error: falling back to the area score is exactly how inflated wins
come about.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from goengine.play.gtp_client import GtpClient, GtpEngineError, GtpError, split_command

AUTO, NONE, OPPONENT = "auto", "none", "opponent"

AREA_WARNING = (
    "scoring by Tromp-Taylor area: every stone left on the board counts as alive, so a game "
    "against an engine that passes with dead stones on the board is scored for the wrong side; "
    "use --referee auto (GNU Go or an opponent that knows final_score) or --referee COMMAND"
)


class RefereeError(RuntimeError):
    """The scoring engine failed or cannot be used; the match must stop."""


@dataclass(frozen=True)
class Scoring:
    """How scored games are decided: ``kind`` is "referee" (``command`` replays each
    game), "opponent" (its own ``final_score``) or "area" (Tromp-Taylor)."""

    kind: str
    command: str | None = None

    def describe(self) -> str:
        if self.kind == "referee":
            return f"referee {self.command!r} (final_score)"
        if self.kind == "opponent":
            return "the opponent's final_score"
        return "Tromp-Taylor area (dead stones count as alive)"


def is_gnugo(command: str) -> bool:
    """True when the engine command runs GNU Go (its program name starts with ``gnugo``)."""
    try:
        return Path(split_command(command)[0]).name.lower().startswith("gnugo")
    except (GtpEngineError, ValueError):
        return False


def gnugo_referee(opponent_command: str) -> str:
    """A GNU Go referee command on the same executable as the opponent's."""
    program = split_command(opponent_command)[0]
    return shlex.join([program, "--mode", "gtp", "--chinese-rules"])


def choose_scoring(choice: str | None, opponent_command: str, opponent_knows_final_score: bool) -> Scoring:
    """The Scoring for ``--referee choice`` (see the module docstring); RefereeError if impossible."""
    choice = (choice or AUTO).strip()
    if choice.lower() == NONE:
        return Scoring("area")
    if choice.lower() == OPPONENT:
        if not opponent_knows_final_score:
            raise RefereeError("--referee opponent: the opponent does not know the final_score command")
        return Scoring("opponent")
    if choice.lower() == AUTO:
        if is_gnugo(opponent_command):
            return Scoring("referee", gnugo_referee(opponent_command))
        return Scoring("opponent") if opponent_knows_final_score else Scoring("area")
    return Scoring("referee", choice)


def parse_score(text: str) -> str | None:
    """Normalise a GTP final_score answer ('B+3.5', 'W+R', '0') or None if unreadable."""
    word = text.strip().split()[0] if text.strip() else ""
    upper = word.upper()
    if upper in ("0", "DRAW", "JIGO", "B+0", "W+0"):
        return "0"
    if len(upper) > 2 and upper[:2] in ("B+", "W+"):
        return upper[:2] + word[2:]
    return None


class Referee:
    """Scores finished games the way a :class:`Scoring` says; one per match process."""

    def __init__(self, scoring: Scoring, timeout: float = 60.0):
        self.scoring = scoring
        self.timeout = timeout
        self.client: GtpClient | None = None

    def result(self, board, opponent: GtpClient) -> str | None:
        """The referee's SGF result for the finished game on ``board`` (None: use the area score).

        ``opponent`` has seen every move of the game (for the "opponent" kind).
        """
        if self.scoring.kind == "area":
            return None
        who = "the opponent" if self.scoring.kind == "opponent" else f"the referee {self.scoring.command!r}"
        try:
            client = opponent if self.scoring.kind == "opponent" else self._replayed(board)
            answer = client.final_score()
        except (GtpError, GtpEngineError) as exc:
            self.close()
            raise RefereeError(f"{who} could not score the game: {exc}") from None
        result = parse_score(answer)
        if result is None:
            raise RefereeError(f"{who} answered final_score with {answer!r}, which is not a score")
        return result

    def _replayed(self, board) -> GtpClient:
        if self.client is None or not self.client.alive:
            self.client = GtpClient(self.scoring.command, timeout=self.timeout)
        self.client.setup_game(board.size, board.komi)
        for color, point in board.history:
            self.client.play(color, point, board.size)
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
