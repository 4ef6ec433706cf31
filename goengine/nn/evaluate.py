"""How well a policy network predicts the moves of SGF games (and its value head their results).

Games are read with the same reader as ``prepare`` (``goengine.sgf.iter_games``) and
turned into positions by the same replay (``goengine.dataset.replay.game_positions``);
every non-pass move is one test position, seen exactly as a training record sees it
(stones, side to move, ko point, last 8 moves).  Positions are encoded and scored in batches.  A game stops at its first
illegal move (the positions before it count, as in ``prepare``).

``evaluate_model(model, info, sources)`` returns a dict::

    {"positions", "top1", "top5", "nll", "value_positions", "value_mse", "value_accuracy",
     "phases": {"1-50": {...}, "51-150": {...}, "151+": {...}},   # the same keys each
     "games": {"read", "used", "with_winner", "cut_at_illegal_move", "skipped": {reason: count}},
     "value_head", "feature_set", "board_size", "elapsed_s", "positions_per_s"}

``top1``/``top5`` are fractions, ``nll`` the mean negative log-likelihood (nats) of the
expert move under the network's softmax over board points (``goengine.nn.metrics``).
For a network with a value head (``value_head`` True), ``value_accuracy`` is the
fraction of positions of games with a known winner where the sign of the predicted
value picks the winner, and ``value_mse`` its squared error against the result (+1/-1
for the side to move); without one they are None.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Iterable

import numpy as np
import torch

from goengine.dataset.replay import game_positions
from goengine.dataset.torch_data import side_results
from goengine.features import FeatureSet, get_feature_set
from goengine.sgf import read_result, value_winner
from goengine.nn import metrics

PHASES = (("1-50", 1, 50), ("51-150", 51, 150), ("151+", 151, None))


def _phase_index(move_numbers: np.ndarray) -> np.ndarray:
    index = np.zeros(len(move_numbers), dtype=np.int64)
    for i, (_, low, _high) in enumerate(PHASES):
        index[move_numbers >= low] = i
    return index


class _Tally:
    """The metric sums (``goengine.nn.metrics``) of each game phase."""

    def __init__(self) -> None:
        self.sums = metrics.zeros(len(PHASES))

    def add(self, rows: torch.Tensor, move_numbers: np.ndarray) -> None:
        self.sums.index_add_(0, torch.from_numpy(_phase_index(move_numbers)), rows.cpu())

    @property
    def positions(self) -> int:
        return int(self.sums[:, metrics.COLUMNS.index("positions")].sum())

    def result(self) -> dict:
        out = metrics.summarise(self.sums.sum(dim=0))
        out["phases"] = {name: metrics.summarise(self.sums[i]) for i, (name, _, _) in enumerate(PHASES)}
        return out


def game_winner(result: str) -> int:
    """The winner a value estimate is judged against: the same rule as the training
    targets (``goengine.sgf.value_winner``); 0 when the result names none."""
    return value_winner(read_result(result))[0]


def _concat(chunks: list) -> dict:
    """(GamePositions, winner) of several games -> one dict of arrays, with each position's value target."""
    keys = ("stones", "to_play", "ko", "recent", "move", "move_number")
    batch = {key: np.concatenate([getattr(positions, key) for positions, _ in chunks]) for key in keys}
    batch["z"] = np.concatenate([side_results(positions.to_play, winner) for positions, winner in chunks])
    return batch


def evaluate_model(
    model: torch.nn.Module,
    info: dict,
    sources: Iterable,
    max_games: int | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    progress: bool = False,
    features: FeatureSet | None = None,
    games: Iterable | None = None,
) -> dict:
    """Accuracy of ``model`` (with its ``info`` from ``load_model``) on SGF ``sources``.

    ``features`` overrides the feature set named in ``info``; ``games`` may give
    GameRecords directly instead of reading ``sources``.
    """
    size = int(info["board_size"])
    if features is None:
        features = get_feature_set(info["feature_set"])
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    model = model.to(device).eval()
    with_value = bool(getattr(model, "has_value_head", False))

    skipped: Counter = Counter()
    if games is None:
        from goengine.sgf import iter_games

        games = iter_games([str(s) for s in sources], allowed_sizes=(size,), counter=skipped)
    tally = _Tally()
    counts = Counter()
    pending: list[tuple] = []
    pending_n = 0
    started = time.perf_counter()
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=max_games, unit="game", desc="evaluate", file=sys.stderr, dynamic_ncols=True)

    def flush(chunks: list[dict]) -> None:
        batch = _concat(chunks)
        for start in range(0, len(batch["move"]), batch_size):
            part = {key: value[start : start + batch_size] for key, value in batch.items()}
            planes = features.encode_batch(part["stones"], part["to_play"], part["ko"], part["recent"], size)
            x = torch.from_numpy(np.ascontiguousarray(planes, dtype=np.uint8)).to(device)
            target = torch.from_numpy(part["move"].astype(np.int64)).to(device)
            z = torch.from_numpy(part["z"]).to(device)
            with torch.no_grad():
                logits, value = model(x, with_value=True) if with_value else (model(x), None)
                tally.add(metrics.columns(logits, target, value, z), part["move_number"])

    for record in games:
        if max_games is not None and counts["read"] >= max_games:
            break
        counts["read"] += 1
        if bar is not None:
            bar.update(1)
        if record.size != size:
            skipped[f"board size {record.size}"] += 1
            continue
        positions = game_positions(record, size)
        counts["cut_at_illegal_move"] += positions.cut_at_illegal_move
        if len(positions) == 0:
            skipped["illegal move" if positions.cut_at_illegal_move else "only passes"] += 1
            continue
        counts["used"] += 1
        winner = game_winner(record.result)
        counts["with_winner"] += winner != 0
        pending.append((positions, winner))
        pending_n += len(positions)
        if pending_n >= batch_size:
            flush(pending)
            pending, pending_n = [], 0
            if bar is not None:
                bar.set_postfix(positions=tally.positions)
    if pending:
        flush(pending)
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - started
    result = tally.result()
    result["games"] = {
        "read": counts["read"],
        "used": counts["used"],
        "with_winner": counts["with_winner"],
        "cut_at_illegal_move": counts["cut_at_illegal_move"],
        "skipped": dict(skipped.most_common()),
    }
    result["value_head"] = with_value
    result["feature_set"] = info.get("feature_set")
    result["board_size"] = size
    result["elapsed_s"] = round(elapsed, 3)
    result["positions_per_s"] = round(result["positions"] / elapsed, 1) if elapsed > 0 else None
    return result


def format_report(result: dict) -> str:
    """A human-readable table of ``evaluate_model``'s result (value columns with a value head)."""

    def pct(value):
        return "   -  " if value is None else f"{100 * value:5.1f}%"

    def nll(value):
        return "   -  " if value is None else f"{value:6.3f}"

    value = result["value_head"]

    def row(stats: dict, label: str) -> str:
        line = f"{stats['positions']:<10} {pct(stats['top1']):>7} {pct(stats['top5']):>7} {nll(stats['nll']):>7}"
        if value:
            line += f" {pct(stats['value_accuracy']):>7} {nll(stats['value_mse']):>7}"
        return f"{line}  {label}"

    header = f"{'positions':<10} {'top-1':>7} {'top-5':>7} {'NLL':>7}"
    if value:
        header += f" {'value':>7} {'MSE':>7}"
    lines = [f"{header}  phase", row(result, "all moves")]
    lines += [row(stats, f"moves {name}") for name, stats in result["phases"].items()]
    games = result["games"]
    lines.append(f"games: {games['read']} read, {games['used']} used, {games['cut_at_illegal_move']} cut at an illegal move")
    if value:
        lines.append(f"value: the sign of the prediction against the winner, on the {result['value_positions']} positions "
                     f"of the {games['with_winner']} games with a known winner")
    for reason, count in games["skipped"].items():
        lines.append(f"  skipped {count}: {reason}")
    lines.append(f"{result['elapsed_s']:.1f} s, {result['positions_per_s'] or 0:.0f} positions/s")
    return "\n".join(lines)


def no_positions_reason(result: dict) -> str:
    """One line saying why ``evaluate_model`` found nothing to score."""
    games = result["games"]
    if games["read"] == 0 and not games["skipped"]:
        return "no SGF game found in the sources"
    skipped = ", ".join(f"{count} {reason}" for reason, count in games["skipped"].items())
    return f"no usable {result['board_size']}x{result['board_size']} game in the sources (skipped: {skipped})"
