"""Matches: goengine against any GTP engine, honestly counted, with an Elo estimate.

``play_match(agent, "gnugo --mode gtp --level 10", games=20, size=19)`` plays the games with
alternating colours (goengine takes Black in odd-numbered games).  Each game is a
``goengine.game.Game``: it ends after two passes in a row, a resignation, or at the
move cap; games that end by two passes or the cap are then scored the way
``goengine.play.referee`` chooses (by default a referee that judges dead stones).

What counts, and what stops the match:

* the opponent engine failing in any way (it does not start, dies, times out, answers
  nonsense, refuses the board, plays a move illegal under our rules or rejects one of
  ours) raises :class:`OpponentError`, whose message quotes the engine's stderr.  Such
  a game is never counted: a forfeit "win" against a broken engine is how a match
  reports 100% against ``false``.  The games finished before are in ``.summary``;
* the referee failing raises the same way (``RefereeError`` wrapped in MatchError);
* goengine failing (its agent raises, or picks an illegal move) loses that game by
  forfeit; the match goes on, and the summary counts and names these failures.

``openings`` (from ``goengine.play.openings``) start games ``2i + 1`` and ``2i + 2``
from opening ``i``, once with each colour; the opening moves are played on our board
and sent to the opponent with ``play``.  ``jobs > 1`` plays that many games at a time
in worker processes (``goengine.play.match_workers``), each with its own agent (built
by ``agent_factory``), opponent and referee; the summary is the same.

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
from typing import Callable, Sequence, TextIO

from goengine.coords import BLACK, WHITE, to_gtp
from goengine.engine.agent import RESIGN, BoardSizeError, require_size
from goengine.game import FORFEIT, MOVE_CAP, TWO_PASSES, Game
from goengine.play.gtp_client import GtpClient, GtpEngineError, GtpError, color_name
from goengine.play.openings import Opening
from goengine.play.referee import AREA_WARNING, Referee, RefereeError, Scoring, choose_scoring

Z95 = 1.959963984540054
AGENT_FAILED = "goengine failed"  # forfeit detail prefix when the engine under test fails


class MatchError(RuntimeError):
    """The match cannot be played, or had to stop; ``summary`` holds the games finished before
    (None when none were played)."""

    def __init__(self, message: str, summary: "MatchSummary | None" = None):
        super().__init__(message)
        self.summary = summary


class OpponentError(MatchError):
    """The opponent engine failed; nothing about the game in progress is counted."""


class MatchInterrupted(MatchError):
    """Ctrl-C: the engines were stopped; ``summary`` has the games finished before."""


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
    opening: str | None = None  # the game the opening moves came from

    @property
    def agent_failed(self) -> bool:
        return self.reason.startswith(f"{FORFEIT}: {AGENT_FAILED}")


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
    scoring: str = ""
    games: int = 0
    wins: int = 0
    losses: int = 0
    draws: int = 0
    agent_failures: int = 0   # games lost because goengine itself failed
    results: list[GameResult] = field(default_factory=list)

    def add(self, game: GameResult) -> None:
        self.results.append(game)
        self.results.sort(key=lambda r: r.game)  # worker processes finish out of order
        self.games += 1
        if game.agent_won == 1:
            self.wins += 1
        elif game.agent_won == 0:
            self.losses += 1
        else:
            self.draws += 1
        if game.agent_failed:
            self.agent_failures += 1

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
            "scoring": self.scoring,
            "games": self.games,
            "wins": self.wins,
            "losses": self.losses,
            "draws": self.draws,
            "agent_failures": self.agent_failures,
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
            f"{self.games} games, {self.wins} wins, {self.losses} losses, {self.draws} draws",
            f"win rate {100 * rate:.1f}% (95% CI {100 * low:.1f}% to {100 * high:.1f}%)",
            f"Elo difference {_elo_text(elo_difference(rate))} "
            f"(95% CI {_elo_text(elo_difference(low), '-inf')} to {_elo_text(elo_difference(high), '+inf')})",
        ]
        if self.scoring:
            lines.append(f"scored by {self.scoring}")
        if self.agent_failures:
            first = next(r for r in self.results if r.agent_failed)
            lines.append(f"{self.agent_failures} of the losses because goengine failed "
                         f"(game {first.game}: {first.reason.removeprefix(FORFEIT + ': ')})")
        return "\n".join(lines)


def _elo_text(value: float | None, unbounded: str = "unbounded") -> str:
    return unbounded if value is None else f"{value:+.0f}"


# --------------------------------------------------------------------------- one game


@dataclass(frozen=True)
class MatchConfig:
    """Everything a process needs to play match games (picklable, for worker processes)."""

    opponent: str
    size: int
    komi: float
    max_moves: int
    scoring: Scoring
    move_timeout: float = 60.0
    superko: bool = False
    sgf_dir: str | None = None


@dataclass(frozen=True)
class GameSpec:
    number: int               # 1-based
    agent_color: int
    opening: Opening | None = None


def game_specs(games: int, openings: Sequence[Opening] | None = None) -> list[GameSpec]:
    """Colours alternate (goengine Black first); with openings, games 2i+1 and 2i+2 share opening i."""
    return [GameSpec(index + 1, BLACK if index % 2 == 0 else WHITE, openings[index // 2] if openings else None)
            for index in range(games)]


def start_opponent(command: str, timeout: float) -> tuple[GtpClient, str]:
    """The opponent engine, started and answering ``name``; returns (client, "name version").

    OpponentError (quoting its stderr) if it cannot start or does not answer.
    """
    try:
        client = GtpClient(command, timeout=timeout)
    except GtpEngineError as exc:
        raise OpponentError(str(exc)) from None
    try:
        name = client.name()
        try:
            version = client.version()
        except GtpError:
            version = ""
    except GtpError:  # an engine without "name" still plays
        return client, command
    except GtpEngineError as exc:
        client.kill()
        raise OpponentError(f"the opponent does not answer GTP: {exc}") from None
    return client, f"{name} {version}".strip() or command


def play_game(agent, client: GtpClient, agent_color: int, size: int, komi: float, max_moves: int,
              superko: bool = False, opening: Sequence[tuple[int, int]] = ()) -> Game:
    """One game, ended by the Game's rules; OpponentError if the opponent fails.

    The opening moves are played first on both boards.  goengine failing (an
    exception, an illegal move) loses the game by forfeit.
    """
    game = Game(size, komi, superko=superko, max_moves=max_moves)
    if callable(getattr(agent, "reset", None)):
        agent.reset()  # a searching agent drops the last game's tree
    try:
        client.setup_game(size, komi)
        for color, point in opening:
            game.play(point, color)
            client.play(color, point, size)
    except GtpError as exc:
        raise OpponentError(f"the opponent refuses a {size}x{size} game with komi {komi:g} "
                            f"(or its opening): {exc.message}") from None
    except GtpEngineError as exc:
        raise OpponentError(str(exc)) from None
    while not game.over:
        color = game.to_play
        if color == agent_color:
            try:
                move = agent.select_move(game.board)
                if move == RESIGN:
                    game.resign(color)
                    continue
                game.play(move)
            except Exception as exc:  # the engine under test failed (IllegalMove included): it loses
                game.forfeit(color, f"{AGENT_FAILED}: {type(exc).__name__}: {exc}")
                continue
            try:  # the opponent hears every move, the last one too (it may score the game)
                client.play(color, move, size)
            except GtpError as exc:
                raise OpponentError(f"the opponent rejected goengine's move {to_gtp(move, size)}: {exc.message} "
                                    "(different rules? see --superko)") from None
            except GtpEngineError as exc:
                raise OpponentError(str(exc)) from None
        else:
            try:
                move = client.genmove(color, size)  # the client's own timeout applies
            except (GtpError, GtpEngineError) as exc:
                raise OpponentError(str(exc)) from None
            if move == "resign":
                game.resign(color)
                continue
            reason = game.board.illegal_reason(move)
            if reason is not None:
                raise OpponentError(f"the opponent played {to_gtp(move, size)}, illegal here ({reason}); "
                                    "different rules? see --superko")
            game.play(move)
    return game


class MatchPlayer:
    """One process's side of a match: the agent, its opponent engine and the referee."""

    def __init__(self, agent, config: MatchConfig, client: GtpClient | None = None,
                 opponent_label: str | None = None):
        self.agent = agent
        self.config = config
        if client is None:
            client, opponent_label = start_opponent(config.opponent, config.move_timeout)
        self.client = client
        self.opponent_label = opponent_label or config.opponent
        self.agent_label = f"goengine {getattr(agent, 'name', '')}".strip()
        self.referee = Referee(config.scoring, timeout=config.move_timeout)

    def play(self, spec: GameSpec) -> GameResult:
        """Play one game; OpponentError / MatchError (referee) name the game."""
        config = self.config
        try:
            game = play_game(self.agent, self.client, spec.agent_color, config.size, config.komi, config.max_moves,
                             config.superko, spec.opening.moves if spec.opening else ())
            referee_result = None
            if game.end_reason in (TWO_PASSES, MOVE_CAP):
                referee_result = self.referee.result(game.board, self.client)
                game.end_by_score(referee_result)
        except OpponentError as exc:
            raise OpponentError(f"game {spec.number}: {exc}") from None
        except RefereeError as exc:
            raise MatchError(f"game {spec.number}: {exc}") from None
        winner = game.winner
        sgf_path = None
        if config.sgf_dir is not None:
            black, white = ((self.agent_label, self.opponent_label) if spec.agent_color == BLACK
                            else (self.opponent_label, self.agent_label))
            path = Path(config.sgf_dir) / f"game-{spec.number:03d}.sgf"
            sgf_path = str(game.save_sgf(path, black=black, white=white))
        return GameResult(
            game=spec.number,
            agent_color=color_name(spec.agent_color),
            result=game.result,
            winner=color_name(winner) if winner else None,
            agent_won=0.5 if not winner else float(winner == spec.agent_color),
            reason=game.end_reason + (f": {game.end_detail}" if game.end_detail else ""),
            moves=game.move_number,
            area_score=game.score(),
            referee_result=referee_result,
            sgf=sgf_path,
            opening=spec.opening.name if spec.opening else None,
        )

    def close(self) -> None:
        self.client.close()
        self.referee.close()

    def kill(self) -> None:
        """Stop the engines at once (Ctrl-C, a failed match)."""
        self.client.kill()
        if self.referee.client is not None:
            self.referee.client.kill()


# --------------------------------------------------------------------------- the match


def play_match(
    agent,
    opponent_cmd: str,
    games: int,
    size: int = 19,
    komi: float = 7.5,
    max_moves: int | None = None,
    sgf_dir: str | Path | None = None,
    referee: str | None = "auto",
    move_timeout: float = 60.0,
    superko: bool = False,
    openings: Sequence[Opening] | None = None,
    jobs: int = 1,
    agent_factory: Callable[[], object] | None = None,
    progress: bool = True,
    log: TextIO | None = None,
) -> MatchSummary:
    """Play ``games`` games against the GTP engine ``opponent_cmd``; see the module docstring.

    ``agent`` plays (``agent_factory()`` builds it when it is None); ``jobs > 1`` needs
    ``agent_factory``, a picklable callable, since each worker process builds its own.
    ``referee``: "auto", "none", "opponent" or a GTP command (``goengine.play.referee``).
    """
    log = log if log is not None else sys.stderr
    if agent is None:
        if agent_factory is None:
            raise ValueError("play_match needs an agent or an agent_factory")
        agent = agent_factory()
    if jobs > 1 and agent_factory is None:
        raise ValueError("jobs > 1 needs an agent_factory: each worker process builds its own agent")
    try:
        require_size(agent, size)
    except BoardSizeError as exc:
        raise MatchError(str(exc)) from None
    if openings is not None and len(openings) < (games + 1) // 2:
        raise MatchError(f"{games} games need {(games + 1) // 2} openings, got {len(openings)}")
    client, opponent_label = start_opponent(opponent_cmd, move_timeout)
    try:
        knows_final_score = client.known_command("final_score")
        scoring = choose_scoring(referee, opponent_cmd, knows_final_score)
    except (RefereeError, GtpEngineError) as exc:
        client.kill()
        raise MatchError(str(exc)) from None
    if scoring.kind == "area":
        log.write(f"warning: {AREA_WARNING}\n")
    config = MatchConfig(
        opponent=opponent_cmd, size=size, komi=komi,
        max_moves=max_moves if max_moves is not None else 2 * size * size,
        scoring=scoring, move_timeout=move_timeout, superko=superko,
        sgf_dir=str(sgf_dir) if sgf_dir is not None else None,
    )
    summary = MatchSummary(agent=f"goengine {getattr(agent, 'name', '')}".strip(), opponent=opponent_label,
                           size=size, komi=komi, scoring=scoring.describe())
    specs = game_specs(games, openings)
    if jobs > 1:
        client.close()  # it was the probe: every worker starts its own
        from goengine.play.match_workers import play_in_workers

        return play_in_workers(agent_factory, config, specs, jobs, summary, progress, log)
    return _play_here(MatchPlayer(agent, config, client, opponent_label), specs, summary, progress, log)


def _play_here(player: MatchPlayer, specs: list[GameSpec], summary: MatchSummary, progress: bool,
               log: TextIO) -> MatchSummary:
    """The games one after another in this process."""
    from tqdm import tqdm

    bar = tqdm(total=len(specs), desc="match", unit="game", disable=not progress, file=log)
    try:
        for spec in specs:
            summary.add(player.play(spec))
            bar.update(1)
            bar.set_postfix(W=summary.wins, L=summary.losses, D=summary.draws)
    except MatchError as exc:
        player.kill()
        exc.summary = summary
        raise
    except KeyboardInterrupt:
        player.kill()
        raise MatchInterrupted(f"interrupted after {summary.games} games", summary) from None
    else:
        player.close()
    finally:
        bar.close()
    return summary
