"""Search speed: PUCT playouts per second by torch threads and leaf batch size.

    python benchmarks/bench_search.py                       # an untrained "tiny" net, 19x19
    python benchmarks/bench_search.py --model /work/shared/models/policy-13x192-h200.safetensors

For every (threads, batch size) pair the search analyses the same position (``--moves``
seeded random moves into a game) for ``--seconds`` from a fresh tree.  Beside each row,
"net only" is the evaluator alone on batches of that size (features + forward + priors):
the ceiling the tree code can approach, so the gap between the two columns is the
search's own cost.  ``--device cuda`` measures a GPU instead (threads then only drive the
CPU side).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from goengine.board import Board
from goengine.engine.evaluator import NetworkEvaluator
from goengine.engine.search import SearchAgent, SearchConfig
from goengine.nn.modelfile import load_model, save_model


def tiny_model(size: int, folder: Path) -> Path:
    """An untrained tiny net on the 48 AlphaGo planes (their encoding cost is the real one)."""
    from goengine.nn.model import PolicyNet, resolve_architecture

    torch.manual_seed(0)
    return save_model(PolicyNet(resolve_architecture("tiny", board_size=size)), folder / "tiny.safetensors",
                      "alphago48")


def position(size: int, moves: int, seed: int = 0) -> Board:
    board = Board(size)
    rng = np.random.default_rng(seed)
    for _ in range(moves):
        board.play(int(rng.choice(np.flatnonzero(board.legal_mask()))))
    return board


def net_only_rate(evaluator: NetworkEvaluator, board: Board, batch: int, seconds: float) -> float:
    """Positions per second of evaluator.evaluate on batches of ``batch`` copies of ``board``."""
    boards = [board.copy() for _ in range(batch)]
    evaluator.evaluate(boards)  # warm-up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        evaluator.evaluate(boards)
        done += batch
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model file (default: an untrained tiny net)")
    parser.add_argument("--size", type=int, default=19, help="board size of the tiny net")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 4, 8, 16, 32])
    parser.add_argument("--seconds", type=float, default=5.0, help="search time per row")
    parser.add_argument("--moves", type=int, default=40, help="random moves before the measured position")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.model) if args.model else tiny_model(args.size, Path(tmp))
        model, info = load_model(path, device=args.device)
    evaluator = NetworkEvaluator.from_model(model, info, device=args.device)
    board = position(evaluator.board_size, args.moves)
    print(f"model {path.name} ({info['layers']}x{info['filters']}, {info['feature_set']}), "
          f"{evaluator.board_size}x{evaluator.board_size}, {args.moves} moves in, device {args.device}, "
          f"{args.seconds:g} s per row")
    print("\n| threads | batch | playouts | playouts/s | net only (positions/s) | search / net |")
    print("|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for batch in args.batch_sizes:
            agent = SearchAgent(evaluator, SearchConfig(playouts=None, seconds=args.seconds, batch_size=batch))
            agent.analyze(board, playouts=2 * batch)  # warm-up: compile kernels, allocate
            agent.reset()
            result = agent.analyze(board)
            rate = result.playouts / result.seconds
            ceiling = net_only_rate(evaluator, board, batch, min(args.seconds, 3.0))
            print(f"| {threads} | {batch} | {result.playouts} | {rate:.1f} | {ceiling:.1f} | {rate / ceiling:.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
