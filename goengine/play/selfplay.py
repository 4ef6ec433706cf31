"""Self-play: goengine against itself, one SGF file per game.

Two ways to choose the moves, by the agent:

* **the policy network** (a PolicyAgent): games run in ``batch`` copies of the gymnasium
  environment (``goengine/Go-v0`` with ``opponent="self"``) inside a
  ``gymnasium.vector.SyncVectorEnv``; the observations of all copies go through the
  network in one batch.  Moves are sampled with ``temperature`` (0 = always the most
  probable move, which makes every game the same).
* **the tree search** (a SearchAgent, ``play.py selfplay --playouts N``): one game at a
  time, one search per move, the tree kept from move to move.  Moves are sampled with
  probability proportional to ``visits ** (1 / temperature)`` (0 = the most visited
  move).  Every move node of the SGF carries the root's visit counts in the ``GV``
  property (``goengine.sgf.visits``), the training targets of AlphaGo Zero style
  reinforcement learning.

Each game is a ``goengine.game.Game``, which ends it after two passes in a row (scored)
or at ``max_moves`` (default 2 * N * N; ``RE[Void]``).  There is no resignation in
self-play.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from goengine.game import Game

# one finished game, with the root visit counts of each move (None: chosen without a search)
Played = tuple[Game, "list[np.ndarray | None] | None"]


def _next_index(out_dir: Path, prefix: str) -> int:
    taken = [p.stem[len(prefix) + 1:] for p in out_dir.glob(f"{prefix}-*.sgf")]
    numbers = [int(t) for t in taken if t.isdigit()]
    return max(numbers, default=0) + 1


def run_selfplay(
    agent,
    games: int,
    out_dir: str | Path,
    size: int | None = None,
    komi: float = 7.5,
    temperature: float = 1.0,
    max_moves: int | None = None,
    batch: int = 8,
    seed: int | None = None,
    prefix: str = "selfplay",
    progress: bool = True,
    log: TextIO | None = None,
) -> list[Path]:
    """Play ``games`` self-play games; return the SGF paths written (numbered after any
    ``{prefix}-NNNNN.sgf`` already in ``out_dir``).  ``batch`` only applies to the
    policy network's games."""
    from tqdm import tqdm

    from goengine.atomic import atomic_write_text
    from goengine.engine.agent import require_size
    from goengine.engine.search import SearchAgent
    from goengine.sgf import write_sgf
    from goengine.sgf.visits import VISITS_PROPERTY, format_visits

    size = size or agent.board_size
    require_size(agent, size)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if games <= 0:
        return []
    if seed is not None:
        agent.rng = np.random.default_rng(seed)
    max_moves = max_moves if max_moves is not None else 2 * size * size
    name = f"goengine {getattr(agent, 'name', '')}".strip()
    if isinstance(agent, SearchAgent):
        played = _searched_games(agent, games, size, komi, temperature, max_moves)
    else:
        agent.temperature = temperature
        played = _network_games(agent, games, size, komi, max_moves, batch, seed)
    written: list[Path] = []
    number = _next_index(out_dir, prefix)
    bar = tqdm(total=games, desc="self-play", unit="game", disable=not progress, file=log or sys.stderr)
    try:
        for game, visits in played:
            properties = None if visits is None else [
                {} if counts is None else {VISITS_PROPERTY: format_visits(counts, size)} for counts in visits]
            path = out_dir / f"{prefix}-{number:05d}.sgf"
            atomic_write_text(path, write_sgf(game.record(black=name, white=name), move_properties=properties))
            written.append(path)
            number += 1
            bar.update(1)
    finally:
        bar.close()
        played.close()
    return written


def _network_games(agent, games: int, size: int, komi: float, max_moves: int, batch: int,
                   seed: int | None) -> Iterator[Played]:
    """The policy network's games, ``batch`` at a time in vectorised environments."""
    import gymnasium as gym

    from goengine.play.env import GoEnv

    feature_set = agent.feature_set.name

    def make():
        return GoEnv(size=size, komi=komi, feature_set=feature_set, opponent="self", max_moves=max_moves)

    vec = gym.vector.SyncVectorEnv([make for _ in range(max(1, min(batch, games)))])
    envs: list[GoEnv] = list(vec.envs)
    finished = 0
    try:
        obs, _ = vec.reset(seed=seed)
        while finished < games:
            actions = np.asarray(agent.select_moves([env.board for env in envs], planes=obs), dtype=np.int64)
            obs, _, terminated, truncated, _ = vec.step(actions)
            for i in np.flatnonzero(terminated | truncated):
                if finished >= games:
                    break
                finished += 1
                yield envs[i].game, None  # still the finished game until the next step resets it
    finally:
        vec.close()


def _searched_games(agent, games: int, size: int, komi: float, temperature: float,
                    max_moves: int) -> Iterator[Played]:
    """The search's games, one after another, with the root visits of every move."""
    for _ in range(games):
        game = Game(size, komi, max_moves=max_moves)
        agent.reset()
        visits: list[np.ndarray | None] = []
        while not game.over:
            move = agent.select_move(game.board, allow_resign=False, temperature=temperature)
            result = agent.last_result
            visits.append(None if result is None else result.visit_counts)
            game.play(move)
        yield game, visits
