"""Self-play: the policy network against itself, one SGF file per game.

Games run in ``batch`` copies of the gymnasium environment (``goengine/Go-v0`` with
``opponent="self"``) inside a ``gymnasium.vector.SyncVectorEnv``; the observations of
all copies go through the network in one batch.  Moves are sampled with
``temperature`` (0 = always the most probable move, which makes every game the same).
Each game is the environment's ``goengine.game.Game``, which ends it after two passes
in a row (scored) or at ``max_moves`` (default 2 * N * N; ``RE[Void]``).  There is no
resignation in self-play.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO


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
    ``{prefix}-NNNNN.sgf`` already in ``out_dir``)."""
    import gymnasium as gym
    import numpy as np
    from tqdm import tqdm

    from goengine.engine.agent import require_size
    from goengine.play.env import GoEnv

    size = size or agent.board_size
    require_size(agent, size)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if games <= 0:
        return []
    agent.temperature = temperature
    if seed is not None:
        agent.rng = np.random.default_rng(seed)
    count = max(1, min(batch, games))
    name = f"goengine {getattr(agent, 'name', '')}".strip()
    feature_set = agent.feature_set.name

    def make():
        return GoEnv(size=size, komi=komi, feature_set=feature_set, opponent="self", max_moves=max_moves)

    vec = gym.vector.SyncVectorEnv([make for _ in range(count)])
    envs: list[GoEnv] = list(vec.envs)
    written: list[Path] = []
    number = _next_index(out_dir, prefix)
    bar = tqdm(total=games, desc="self-play", unit="game", disable=not progress, file=log or sys.stderr)
    try:
        obs, _ = vec.reset(seed=seed)
        while len(written) < games:
            actions = np.asarray(agent.select_moves([env.board for env in envs], planes=obs), dtype=np.int64)
            obs, _, terminated, truncated, _ = vec.step(actions)
            for i in np.flatnonzero(terminated | truncated):
                if len(written) >= games:
                    break
                game = envs[i].game  # still the finished game until the next step resets it
                written.append(game.save_sgf(out_dir / f"{prefix}-{number:05d}.sgf", black=name, white=name))
                number += 1
                bar.update(1)
    finally:
        bar.close()
        vec.close()
    return written
