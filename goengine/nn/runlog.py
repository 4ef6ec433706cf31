"""Run logging: JSON lines, TensorBoard (when installed) and a PNG of learning curves."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from goengine.atomic import atomic_write, atomic_write_text

LOG_NAME = "log.jsonl"
PLOT_NAME = "curves.png"


def read_log(path: str | os.PathLike) -> list[dict]:
    records = []
    path = Path(path)
    if not path.exists():
        return records
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            break  # a torn last line from a killed run
    return records


class RunLog:
    """Writes ``log.jsonl`` (one JSON object per line), TensorBoard scalars and ``curves.png``.

    On resume the log is cut back to the checkpoint's step, so a run that was killed
    and resumed has one clean history.  A disabled log (ranks other than 0) ignores
    every call.
    """

    def __init__(self, run_dir: str | os.PathLike, enabled: bool = True, resume_step: int | None = None,
                 tensorboard: bool = True) -> None:
        self.enabled = enabled
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOG_NAME
        self.plot_path = self.run_dir / PLOT_NAME
        self.tb = None
        if not enabled:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        kept = [r for r in read_log(self.path) if resume_step is not None and r.get("step", 0) <= resume_step]
        atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))
        self.records = kept
        self.handle = open(self.path, "a", buffering=1)
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is optional
                SummaryWriter = None
            if SummaryWriter is not None:
                self.tb = SummaryWriter(str(self.run_dir / "tensorboard"), purge_step=resume_step)

    def write(self, record: dict) -> None:
        if not self.enabled:
            return
        self.records.append(record)
        self.handle.write(json.dumps(record, default=str) + "\n")
        self.handle.flush()
        if self.tb is not None and "event" not in record:
            step = record.get("step", 0)
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    group, _, name = key.partition("_")
                    tag = f"{group}/{name}" if name else key
                    self.tb.add_scalar(tag, value, step)
            self.tb.flush()

    def plot(self) -> None:
        if self.enabled:
            plot_curves(self.records, self.plot_path)

    def close(self) -> None:
        if not self.enabled:
            return
        self.handle.close()
        if self.tb is not None:
            self.tb.close()


def plot_curves(records: list[dict], path: str | os.PathLike) -> None:
    """Loss and top-1/top-5 accuracy against step, train and validation (matplotlib Agg);
    with a value head a third panel: value MSE and sign accuracy, where a validation
    curve that turns up while the training curve keeps falling shows overfitting."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    points = [r for r in records if "event" not in r and "step" in r]
    value = any("train_value_mse" in r for r in points)
    figure = Figure(figsize=(15 if value else 10, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 3 if value else 2)
    loss_ax, acc_ax = axes[0], axes[1]

    def series(key):
        xs = [r["step"] for r in points if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
        ys = [r[key] for r in points if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
        return xs, ys

    for key, label, style in (("train_loss", "train", "-"), ("val_loss", "validation", "o-")):
        xs, ys = series(key)
        if xs:
            loss_ax.plot(xs, ys, style, label=label, markersize=3)
    for key, label, style in (
        ("train_top1", "train top-1", "-"),
        ("val_top1", "validation top-1", "o-"),
        ("train_top5", "train top-5", "--"),
        ("val_top5", "validation top-5", "s--"),
    ):
        xs, ys = series(key)
        if xs:
            acc_ax.plot(xs, [100 * y for y in ys], style, label=label, markersize=3)
    if value:
        value_ax = axes[2]
        for key, label, style in (
            ("train_value_mse", "train MSE", "-"),
            ("val_value_mse", "validation MSE", "o-"),
            ("train_value_accuracy", "train sign accuracy", "--"),
            ("val_value_accuracy", "validation sign accuracy", "s--"),
        ):
            xs, ys = series(key)
            if xs:
                value_ax.plot(xs, ys, style, label=label, markersize=3)
        value_ax.set_xlabel("step")
        value_ax.set_title("value head")
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("cross-entropy (nats)")
    loss_ax.set_title("loss")
    acc_ax.set_xlabel("step")
    acc_ax.set_ylabel("accuracy (%)")
    acc_ax.set_title("move prediction accuracy")
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    figure.tight_layout()
    with atomic_write(path) as handle:
        figure.savefig(handle, format="png")
