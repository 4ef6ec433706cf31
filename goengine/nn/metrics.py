"""Move-prediction and value metrics: one implementation for training, validation and ``evaluate``.

``columns(logits, moves, value, z)`` scores each position of a batch as one row of
:data:`COLUMNS` (float64):

* ``nll``, ``top1``, ``top5``, ``positions``: the negative log-likelihood of the expert
  move under the softmax over board points, whether it is the network's first choice,
  whether it is among its first five, and a 1 that counts the position;
* ``value_se``, ``value_sign``, ``value_positions``: for a position with a value target
  (``z`` = +1 or -1, the game's result for the side to move), the squared error of the
  value head's prediction, whether its sign is the result's (the prediction picks the
  winner), and a 1 that counts it; zeros without a target or without a value head.

Rows add up: training sums a batch's rows (and all-reduces the sums across ranks),
``evaluate`` sums them per game phase, and :func:`summarise` turns any sum into means.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

COLUMNS = ("nll", "top1", "top5", "positions", "value_se", "value_sign", "value_positions")


def columns(logits: torch.Tensor, moves: torch.Tensor, value: torch.Tensor | None = None,
            z: torch.Tensor | None = None) -> torch.Tensor:
    """Per-position rows ``[B, len(COLUMNS)]`` (float64) for ``logits`` ``[B, P]``, targets
    ``moves`` ``[B]`` and, for a value head, predictions ``value`` ``[B]`` and results ``z`` ``[B]``."""
    logits = logits.detach().float()
    nll = F.cross_entropy(logits, moves, reduction="none")
    top5 = logits.topk(min(5, logits.shape[1]), dim=1).indices
    hits = top5 == moves[:, None]
    if value is None or z is None:
        value_se = value_sign = known = torch.zeros_like(nll)
    else:
        value, z = value.detach().float(), z.float()
        known = (z != 0).float()
        value_se = (value - z) ** 2 * known
        value_sign = (value * z > 0).float()
    return torch.stack([nll, hits[:, 0], hits.any(dim=1), torch.ones_like(nll), value_se, value_sign, known],
                       dim=1).double()


def zeros(*leading: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """An empty sum: ``leading`` dimensions (e.g. one per phase) times the columns."""
    return torch.zeros(*leading, len(COLUMNS), dtype=torch.float64, device=device)


def summarise(sums: torch.Tensor) -> dict:
    """Means of one row of sums: ``{"positions", "nll", "top1", "top5", "value_positions",
    "value_mse", "value_accuracy"}``; a mean over nothing is None."""
    totals = dict(zip(COLUMNS, sums.tolist()))
    count, value_count = int(totals["positions"]), int(totals["value_positions"])

    def mean(key: str, over: int):
        return totals[key] / over if over else None

    return {"positions": count, "nll": mean("nll", count), "top1": mean("top1", count), "top5": mean("top5", count),
            "value_positions": value_count, "value_mse": mean("value_se", value_count),
            "value_accuracy": mean("value_sign", value_count)}
