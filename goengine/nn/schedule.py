"""Learning-rate schedules: linear warm-up, then cosine, step or constant.

``LRSchedule`` is a callable object for ``torch.optim.lr_scheduler.LambdaLR``: its
attributes are plain numbers, so the scheduler's ``state_dict`` stores them and a
checkpoint restores the schedule exactly.
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "step", "constant")


class LRSchedule:
    """Multiplier of the base learning rate at optimizer step ``step`` (0-based)."""

    def __init__(self, kind: str, total_steps: int, warmup_steps: int = 0, min_ratio: float = 0.01) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}; choose from {', '.join(SCHEDULES)}")
        self.kind = kind
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)
        self.min_ratio = float(min_ratio)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, (step - self.warmup_steps) / span)
        if self.kind == "cosine":
            return self.min_ratio + (1.0 - self.min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))
        if self.kind == "step":  # x0.1 at half way, again at three quarters
            return 1.0 if progress < 0.5 else 0.1 if progress < 0.75 else 0.01
        return 1.0


def default_warmup(total_steps: int) -> int:
    """5% of training, at most 2000 steps."""
    return min(2000, total_steps // 20)
