"""The ``train`` and ``evaluate`` click commands (assembled into groups by goengine.cli)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from goengine.nn.device import DEVICE_CHOICES
from goengine.nn.model import PRESETS
from goengine.nn.schedule import SCHEDULES


def _positive(ctx, param, value):
    if value is not None and value <= 0:
        raise click.BadParameter("must be positive")
    return value


@click.command("train")
@click.option("--data", "data", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Prepared data directory (from `prepare`).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run directory: checkpoint, log.jsonl, curves.png, model.safetensors, best.safetensors.")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="cpu", show_default=True,
              help="Network size: tiny (tests), cpu (6x64), alphago (13x192).")
@click.option("--layers", type=click.IntRange(min=2), default=None,
              help="Convolution layers incl. the 5x5 and the 1x1 head (overrides the preset).")
@click.option("--filters", type=click.IntRange(min=1), default=None, help="Filters per layer (overrides the preset).")
@click.option("--features", default="alphago48", show_default=True, help="Feature set (goengine.features).")
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True,
              help="Positions per step on each rank.")
@click.option("--steps", type=click.IntRange(min=1), default=None, help="Training steps (default: one epoch).")
@click.option("--epochs", type=float, default=None, callback=_positive, help="Training length in epochs instead of --steps.")
@click.option("--lr", type=float, default=None, callback=_positive,
              help="Peak learning rate [default: 0.05 for sgd, 0.001 for adamw].")
@click.option("--optimizer", type=click.Choice(["sgd", "adamw"]), default="sgd", show_default=True,
              help="SGD with Nesterov momentum, or AdamW.")
@click.option("--momentum", type=click.FloatRange(0, 1, max_open=True), default=0.9, show_default=True,
              help="SGD momentum / AdamW beta1.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=None,
              help="On conv weights only [default: 1e-4 for sgd, 0.01 for adamw].")
@click.option("--warmup-steps", type=click.IntRange(min=0), default=None,
              help="Linear warm-up steps [default: 5% of training, at most 2000].")
@click.option("--schedule", type=click.Choice(SCHEDULES), default="cosine", show_default=True,
              help="Decay after warm-up: cosine to 1%, step (x0.1 at 50% and 75%), or constant.")
@click.option("--eval-every", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Steps between evaluations (log, plot, best model).")
@click.option("--val-positions", type=click.IntRange(min=0), default=4096, show_default=True,
              help="Size of the fixed validation subset.")
@click.option("--checkpoint-every", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Steps between checkpoints.")
@click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
              help="DataLoader worker processes per rank.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Torch intra-op threads of each rank [default: torch's choice, the core count].")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the model.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the initial weights and the data order.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its checkpoint.")
@click.option("--init-from", "init_from", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Start a new run from the weights of this model file (same architecture and feature set); "
                   "the optimizer and the schedule start afresh.")
@click.option("--value-weight", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Give the network a value head and train it on the game results: loss = policy cross-entropy "
                   "+ this x value MSE (0: policy only).")
@click.option("--value-positions-per-game", type=click.IntRange(min=1), default=None,
              help="Value targets on at most this many positions of each game, picked once per run "
                   "(positions of one game are correlated: fewer per game overfit less) [default: all].")
@click.option("--value-channels", type=click.IntRange(min=1), default=1, show_default=True,
              help="Planes of the value head's 1x1 convolution.")
@click.option("--value-hidden", type=click.IntRange(min=1), default=256, show_default=True,
              help="Units of the value head's fully connected layer.")
@click.option("--freeze-trunk", is_flag=True,
              help="Train only the value head, on the frozen trunk and policy of the --init-from model.")
@click.option("--stop-at", type=click.IntRange(min=1), default=None,
              help="Checkpoint and exit once this step is reached (continue later with --resume).")
@click.option("--no-augment", is_flag=True, help="Do not apply random board symmetries.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
def train(ctx, data, out, preset, layers, filters, features, batch_size, steps, epochs, lr, optimizer, momentum,
          weight_decay, warmup_steps, schedule, eval_every, val_positions, checkpoint_every, workers, threads,
          device, compile_, seed, resume, init_from, value_weight, value_positions_per_game, value_channels,
          value_hidden, freeze_trunk, stop_at, no_augment, no_progress):
    """Train the policy network (and optionally its value head) on a prepared data directory.

    Multi-GPU / multi-node: launch with torchrun, e.g.
    `torchrun --nproc_per_node=8 train_policy.py train --data D --out R`.
    """
    from goengine.dataset.torch_data import DataError, read_meta
    from goengine.nn.checkpoint import CheckpointError
    from goengine.nn.train import TrainConfig, TrainError
    from goengine.nn.train import train as run_training

    if steps is not None and epochs is not None:
        raise click.UsageError("give --steps or --epochs, not both")
    try:
        read_meta(data)
    except DataError as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from None
    try:
        from goengine.features import get_feature_set

        get_feature_set(features)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--features") from None
    explicit = [name.replace("compile_", "compile") for name in ctx.params
                if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
    config = TrainConfig(
        data=str(data), out=str(out), preset=preset, layers=layers, filters=filters, features=features,
        batch_size=batch_size, steps=steps, epochs=epochs, lr=lr, optimizer=optimizer, momentum=momentum,
        weight_decay=weight_decay, warmup_steps=warmup_steps, schedule=schedule, eval_every=eval_every,
        val_positions=val_positions, checkpoint_every=checkpoint_every, workers=workers, threads=threads, device=device,
        compile=compile_, seed=seed, resume=resume, init_from=None if init_from is None else str(init_from),
        value_weight=value_weight, value_positions_per_game=value_positions_per_game, value_channels=value_channels,
        value_hidden=value_hidden, freeze_trunk=freeze_trunk, stop_at=stop_at, augment=not no_augment,
        progress=not no_progress, explicit=explicit,
    )
    try:
        run_training(config)
    except (TrainError, DataError, CheckpointError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("evaluate")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Model file [default: the shipped data/policy.safetensors or $GOENGINE_MODEL].")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--max-games", type=click.IntRange(min=1), default=None, help="Stop after this many games.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout (progress on stderr).")
@click.option("--batch-size", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def evaluate(model_path, sources, max_games, as_json, batch_size, device, no_progress):
    """Move-prediction accuracy of a model on SGF SOURCES (files, folders, archives)."""
    from goengine.nn.device import DeviceError, resolve_device
    from goengine.nn.evaluate import evaluate_model, format_report, no_positions_reason
    from goengine.nn.modelfile import ModelFileError, load_model
    from goengine.paths import default_model_path

    if model_path is None:
        model_path = default_model_path()
    try:
        device = resolve_device(device)
    except DeviceError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from None
    try:
        model, info = load_model(model_path, device=device)
    except ModelFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--model") from None
    # Anything a library prints goes to stderr, so --json leaves exactly one object on stdout.
    with contextlib.redirect_stdout(sys.stderr):
        result = evaluate_model(model, info, sources, max_games=max_games, batch_size=batch_size,
                                device=device, progress=not no_progress)
    result["model"] = str(model_path)
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"model {model_path}: {info['layers']}x{info['filters']}, {info['feature_set']}")
        click.echo(format_report(result))
    if result["positions"] == 0:
        raise click.ClickException(no_positions_reason(result))
