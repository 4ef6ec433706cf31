"""Move-prediction metrics: one implementation for training, validation and ``evaluate``.

``columns(logits, moves)`` scores each position of a batch as one row of
:data:`COLUMNS` (float64): the negative log-likelihood of the expert move under the
softmax over board points, whether it is the network's first choice, whether it is
among its first five, and a 1 that counts the position.  Rows add up: training sums
a batch's rows (and all-reduces the sums across ranks), ``evaluate`` sums them per
game phase, and :func:`summarise` turns any sum into means.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

COLUMNS = ("nll", "top1", "top5", "positions")


def columns(logits: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
    """Per-position rows ``[B, len(COLUMNS)]`` (float64) for ``logits`` ``[B, P]`` and targets ``moves`` ``[B]``."""
    logits = logits.detach().float()
    nll = F.cross_entropy(logits, moves, reduction="none")
    top5 = logits.topk(min(5, logits.shape[1]), dim=1).indices
    hits = top5 == moves[:, None]
    return torch.stack([nll, hits[:, 0], hits.any(dim=1), torch.ones_like(nll)], dim=1).double()


def zeros(*leading: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """An empty sum: ``leading`` dimensions (e.g. one per phase) times the columns."""
    return torch.zeros(*leading, len(COLUMNS), dtype=torch.float64, device=device)


def summarise(sums: torch.Tensor) -> dict:
    """Means of one row of sums: ``{"positions", "nll", "top1", "top5"}``, None when it counts nothing."""
    totals = dict(zip(COLUMNS, sums.tolist()))
    count = int(totals["positions"])
    if count == 0:
        return {"positions": 0, "nll": None, "top1": None, "top5": None}
    return {"positions": count, "nll": totals["nll"] / count, "top1": totals["top1"] / count,
            "top5": totals["top5"] / count}
