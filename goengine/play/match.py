"""Referee: goengine's policy network against any GTP engine, with an Elo estimate.

``play_match(agent, "gnugo --mode gtp --level 10", games=20, size=19)`` plays the games
with alternating colours (goengine takes Black in the first game), one GTP engine
process for the whole match (restarted if it dies).  Each game is a
``goengine.game.Game``: it ends after two passes in a row, a resignation, an illegal
move or a failure of the engine, or at the move cap; the match then scores games that
ended by two passes or the cap (``Game.end_by_score``).  Scores are Tromp-Taylor area
scores from our Board, which counts every stone as alive; with ``referee_cmd`` a GTP
engine that can judge dead stones (``gnugo --mode gtp --chinese-rules``) replays the
game and its ``final_score`` decides instead (our area score is used if the referee
fails).

Failures of the opponent engine never stop the match: an engine that dies, times
out, answers nonsense or plays an illegal move loses that game by forfeit
(``B+F``/``W+F``, reason saying why) and is restarted for the next one.

The summary has wins/losses/draws, the win rate (a draw counts half) with its 95%
Wilson score interval, and the implied Elo difference ``400 * log10(p / (1 - p))``
with the interval's bounds mapped the same way (``None`` where it is unbounded, at
p = 0 or 1).
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from goengine.coords import BLACK, WHITE, opponent, to_gtp
from goengine.engine.agent import RESIGN, BoardSizeError, require_size
from goengine.game import FORFEIT, MOVE_CAP, TWO_PASSES, Game
from goengine.play.gtp_client import GtpClient, GtpEngineError, GtpError, color_name

Z95 = 1.959963984540054


class MatchError(RuntimeError):
    """The match cannot be played at all (e.g. the engine cannot start or refuses the size)."""


@dataclass
class GameResult:
    game: int                 # 1-based
    agent_color: str          # "black" / "white"
    result: str               # SGF RE: "B+3.5", "W+R", "B+F", "0"
    winner: str | None        # "black" / "white" / None for a draw
    agent_won: float          # 1 win, 0 loss, 0.5 draw
    reason: str               # Game.end_reason: "two passes", "resignation", "move cap", "forfeit: <why>"
    moves: int
    area_score: float         # our Tromp-Taylor score, black - white - komi
    referee_result: str | None = None
    sgf: str | None = None


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (successes may be fractional)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def elo_difference(p: float) -> float | None:
    """Elo difference implied by expected score ``p`` (None when infinite)."""
    if p <= 0.0 or p >= 1.0:
        return None
    return 400.0 * math.log10(p / (1.0 - p))


@dataclass
class MatchSummary:
    agent: str
    opponent: str
    size: int
    komi: float
    games: int = 0
    wins: int = 0
    losses: int = 0
    draws: int = 0
    forfeits_by_opponent: int = 0
    results: list[GameResult] = field(default_factory=list)

    def add(self, game: GameResult) -> None:
        self.results.append(game)
        self.games += 1
        if game.agent_won == 1:
            self.wins += 1
        elif game.agent_won == 0:
            self.losses += 1
        else:
            self.draws += 1
        if game.reason.startswith("forfeit") and game.agent_won == 1:
            self.forfeits_by_opponent += 1

    @property
    def score(self) -> float:
        return self.wins + 0.5 * self.draws

    @property
    def win_rate(self) -> float | None:
        return self.score / self.games if self.games else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.score, self.games)

    def to_dict(self) -> dict:
        low, high = self.interval
        rate = self.win_rate
        return {
            "agent": self.agent,
            "opponent": self.opponent,
            "size": self.size,
            "komi": self.komi,
            "games": self.games,
            "wins": self.wins,
            "losses": self.losses,
            "draws": self.draws,
            "forfeits_by_opponent": self.forfeits_by_opponent,
            "win_rate": rate,
            "win_rate_ci95": [low, high],
            "elo": elo_difference(rate) if rate is not None else None,
            "elo_ci95": [elo_difference(low), elo_difference(high)],
            "results": [asdict(r) for r in self.results],
        }

    def text(self) -> str:
        low, high = self.interval
        rate = self.win_rate or 0.0
        lines = [
            f"{self.agent} vs {self.opponent} on {self.size}x{self.size}, komi {self.komi:g}: "
            f"{self.games} games, {self.wins} wins, {self.losses} losses, {self.draws} draws"
            + (f" ({self.forfeits_by_opponent} won by opponent forfeit)" if self.forfeits_by_opponent else ""),
            f"win rate {100 * rate:.1f}% (95% CI {100 * low:.1f}% to {100 * high:.1f}%)",
            f"Elo difference {_elo_text(elo_difference(rate))} "
            f"(95% CI {_elo_text(elo_difference(low), '-inf')} to {_elo_text(elo_difference(high), '+inf')})",
        ]
        return "\n".join(lines)


def _elo_text(value: float | None, unbounded: str = "unbounded") -> str:
    return unbounded if value is None else f"{value:+.0f}"


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
    """A second GTP engine that replays a finished game and gives ``final_score``."""

    def __init__(self, command: str, timeout: float = 60.0):
        self.command = command
        self.timeout = timeout
        self.client: GtpClient | None = None

    def score(self, board) -> str | None:
        try:
            if self.client is None or not self.client.alive:
                self.client = GtpClient(self.command, timeout=self.timeout)
            self.client.setup_game(board.size, board.komi)
            for color, point in board.history:
                self.client.play(color, point, board.size)
            return parse_score(self.client.final_score())
        except (GtpError, GtpEngineError):
            if self.client is not None:
                self.client.kill()
                self.client = None
            return None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None


def _opponent_name(client: GtpClient, fallback: str) -> str:
    try:
        name = client.name()
        try:
            version = client.version()
        except GtpError:
            version = ""
        return f"{name} {version}".strip() or fallback
    except (GtpError, GtpEngineError):
        return fallback


def play_game(agent, client: GtpClient, agent_color: int, size: int, komi: float, max_moves: int,
              superko: bool = False) -> Game:
    """One game, ended by the Game's rules; opponent failures become forfeits."""
    game = Game(size, komi, superko=superko, max_moves=max_moves)
    them = opponent(agent_color)
    try:
        client.setup_game(size, komi)
    except GtpError as exc:
        raise MatchError(f"the opponent refuses a {size}x{size} game with komi {komi:g}: {exc.message}") from None
    except GtpEngineError as exc:
        game.forfeit(them, str(exc))
    while not game.over:
        color = game.to_play
        if color == agent_color:
            move = agent.select_move(game.board)
            if move == RESIGN:
                game.resign(color)
                continue
            game.play(move)
            if game.over:
                break  # nothing left to tell the opponent
            try:
                client.play(color, move, size)
            except GtpError as exc:
                game.forfeit(them, f"opponent rejected {to_gtp(move, size)}: {exc.message}")
            except GtpEngineError as exc:
                game.forfeit(them, str(exc))
        else:
            try:
                move = client.genmove(color, size)  # the client's own timeout applies
            except (GtpError, GtpEngineError) as exc:
                game.forfeit(them, str(exc))
                continue
            if move == "resign":
                game.resign(color)
                continue
            reason = game.board.illegal_reason(move)
            if reason is not None:
                game.forfeit(them, f"illegal move {to_gtp(move, size)} ({reason})")
            else:
                game.play(move)
    return game


def play_match(
    agent,
    opponent_cmd: str,
    games: int,
    size: int = 19,
    komi: float = 7.5,
    max_moves: int | None = None,
    sgf_dir: str | Path | None = None,
    referee_cmd: str | None = None,
    move_timeout: float = 60.0,
    superko: bool = False,
    progress: bool = True,
    log: TextIO | None = None,
) -> MatchSummary:
    """Play ``games`` games against the GTP engine ``opponent_cmd``; see the module docstring."""
    from tqdm import tqdm

    log = log if log is not None else sys.stderr
    try:
        require_size(agent, size)
    except BoardSizeError as exc:
        raise MatchError(str(exc)) from None
    max_moves = max_moves if max_moves is not None else 2 * size * size
    try:
        client = GtpClient(opponent_cmd, timeout=move_timeout)
    except GtpEngineError as exc:
        raise MatchError(str(exc)) from None
    opponent_label = _opponent_name(client, opponent_cmd)
    agent_label = f"goengine {getattr(agent, 'name', '')}".strip()
    summary = MatchSummary(agent=agent_label, opponent=opponent_label, size=size, komi=komi)
    referee = Referee(referee_cmd, timeout=move_timeout) if referee_cmd else None
    sgf_dir = Path(sgf_dir) if sgf_dir else None
    bar = tqdm(total=games, desc="match", unit="game", disable=not progress, file=log)
    try:
        for index in range(games):
            if client is None or not client.alive:
                try:
                    client = GtpClient(opponent_cmd, timeout=move_timeout)
                except GtpEngineError as exc:
                    raise MatchError(f"cannot restart the opponent: {exc}") from None
            agent_color = BLACK if index % 2 == 0 else WHITE
            game = play_game(agent, client, agent_color, size, komi, max_moves, superko)
            reason = game.end_reason + (f": {game.end_detail}" if game.end_detail else "")
            if game.end_reason == FORFEIT:  # the opponent failed: start it afresh
                log.write(f"game {index + 1}: {reason}\n")
                client.kill()
            referee_result = None
            if game.end_reason in (TWO_PASSES, MOVE_CAP):
                if referee is not None:
                    referee_result = referee.score(game.board)
                    if referee_result is None:
                        log.write(f"game {index + 1}: the referee failed; using the area score\n")
                game.end_by_score(referee_result)
            winner = game.winner
            sgf_path = None
            if sgf_dir is not None:
                black, white = (agent_label, opponent_label) if agent_color == BLACK else (opponent_label, agent_label)
                sgf_path = str(game.save_sgf(sgf_dir / f"game-{index + 1:03d}.sgf", black=black, white=white))
            summary.add(GameResult(
                game=index + 1,
                agent_color=color_name(agent_color),
                result=game.result,
                winner=color_name(winner) if winner else None,
                agent_won=0.5 if not winner else float(winner == agent_color),
                reason=reason,
                moves=game.move_number,
                area_score=game.score(),
                referee_result=referee_result,
                sgf=sgf_path,
            ))
            bar.update(1)
            bar.set_postfix(W=summary.wins, L=summary.losses, D=summary.draws)
    finally:
        bar.close()
        if client is not None:
            client.close()
        if referee is not None:
            referee.close()
    return summary
