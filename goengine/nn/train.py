"""Supervised training of the policy network (and its value head) on prepared position records.

``train(TrainConfig(...))`` is the whole job; the ``train`` click command is a thin
wrapper.  Outputs in the run directory:

``checkpoint.pt``       latest checkpoint (atomic), for ``--resume``
``log.jsonl``           one JSON object per line: events and metrics at each evaluation
``curves.png``          learning curves, refreshed at each evaluation
``tensorboard/``        the same scalars, when TensorBoard is installed
``model.safetensors``   the final model (modelfile format)
``best.safetensors``    the model with the lowest validation loss seen at an evaluation

A run starts from random weights, or with ``init_from`` from the weights of a model
file (the optimizer and the schedule start afresh): strength accumulates across runs
on different machines without carrying a checkpoint's optimizer state.  The model
file must have the run's architecture and feature set.

``value_weight`` > 0 gives the network a value head and trains it on the game results
together with the policy (loss: cross-entropy + value_weight x MSE, see
``goengine.nn.step``), on at most ``value_positions_per_game`` positions of each game
(see ``goengine.dataset.torch_data.value_positions``).  With ``freeze_trunk`` only the
value head learns, on the frozen trunk and policy of the ``init_from`` model, and the
batches are drawn from the value positions alone: the plan for a CPU, where the big
trunk cannot be retrained but a value head on top of it can.  A policy-only model
given to ``init_from`` gets a fresh value head; the value head of a dual-head model
given to a policy-only run is left out.  The log has the value head's MSE and sign
accuracy (does the prediction pick the winner) on training and validation positions,
so the curves show when it starts to memorise games.

Resuming is exact: batches are a pure function of (seed, step, rank) (see
``goengine.dataset.torch_data``), and the checkpoint carries the model, optimizer,
scheduler, RNG states and step, so N straight steps and k + resume to N give the same
weights on CPU.

A run goes through these phases, one function or method each:

1. resume reconciliation (``_load_resume_state``, ``_reconcile_config``): rank 0 reads the
   checkpoint, every rank gets it, and the options that define the run are taken from it;
2. data (``_open_data``): the train and validation splits as batch datasets;
3. model and optimizer (``_build_net``, ``_make_optimisation``): fresh or restored;
4. the step loop (``_Run.loop``), with the forward and backward pass of
   ``goengine.nn.step`` and the metrics of ``goengine.nn.metrics``;
5. evaluation (``_Run.evaluate``): train and validation metrics, log, curves, best model
   (the lowest validation loss: policy NLL, plus value_weight x value MSE with a value head);
6. checkpointing (``_Run.checkpoint``) and the final model (``_Run.finish``).
"""

from __future__ import annotations

import hashlib
import math
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from goengine.dataset import torch_data
from goengine.features import FeatureSet, get_feature_set
from goengine.nn import distributed as ddp
from goengine.nn.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from goengine.nn.device import resolve_device
from goengine.nn.metrics import columns, summarise
from goengine.nn.metrics import zeros as metric_zeros
from goengine.nn.model import PRESETS, Architecture, PolicyNet, ValueHead, count_parameters, resolve_architecture
from goengine.nn.modelfile import ModelFileError, load_model, save_model
from goengine.nn.runlog import RunLog
from goengine.nn.schedule import SCHEDULES, LRSchedule, default_warmup
from goengine.nn.step import forward, prepare_model, to_device, train_step

DEFAULT_FEATURES = "alphago48"
DEFAULT_LR = {"sgd": 0.05, "adamw": 1e-3}
DEFAULT_WEIGHT_DECAY = {"sgd": 1e-4, "adamw": 0.01}
OPTIMIZERS = ("sgd", "adamw")
MODEL_NAME = "model.safetensors"
BEST_NAME = "best.safetensors"

# Options a resumed run takes from its checkpoint (they define the data stream and the
# optimisation); the others may change between invocations.
RESUME_FIXED = (
    "preset", "layers", "filters", "features", "batch_size", "lr", "optimizer", "momentum",
    "weight_decay", "warmup_steps", "schedule", "seed", "augment", "val_positions", "init_from",
    "value_weight", "value_positions_per_game", "value_channels", "value_hidden", "freeze_trunk",
)


class TrainError(RuntimeError):
    """A training run that cannot start (bad data, bad resume, ...)."""


@dataclass
class TrainConfig:
    data: str
    out: str
    preset: str = "cpu"
    layers: int | None = None
    filters: int | None = None
    features: str = DEFAULT_FEATURES
    batch_size: int = 128
    steps: int | None = None
    epochs: float | None = None
    lr: float | None = None
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float | None = None
    warmup_steps: int | None = None
    schedule: str = "cosine"
    eval_every: int = 1000
    val_positions: int = 4096
    checkpoint_every: int = 1000
    workers: int = 2
    threads: int | None = None  # torch intra-op threads (None: torch's default)
    device: str = "auto"
    compile: bool = False
    seed: int = 0
    resume: bool = False
    init_from: str | None = None  # model file whose weights start a new run
    value_weight: float = 0.0  # 0: policy only; > 0: a value head, loss = CE + value_weight * MSE
    value_positions_per_game: int | None = None  # value targets per game (None: every position)
    value_channels: int = 1  # the value head's 1x1 convolution planes
    value_hidden: int = 256  # the value head's fully connected units
    freeze_trunk: bool = False  # train the value head only, on the init_from model's trunk
    stop_at: int | None = None
    augment: bool = True
    progress: bool = True
    extra: dict = field(default_factory=dict)  # free-form info copied into the model files
    explicit: list[str] | None = None  # options the user set (resume warns when they are overridden)

    def validate(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose from {', '.join(PRESETS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {', '.join(SCHEDULES)}")
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give --steps or --epochs, not both")
        for name in ("batch_size", "eval_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.steps is not None and self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.epochs is not None and not self.epochs > 0:
            raise ValueError("epochs must be positive")
        if self.workers < 0:
            raise ValueError("workers cannot be negative")
        if not self.value_weight >= 0:
            raise ValueError("value_weight cannot be negative")
        if self.value_positions_per_game is not None and self.value_positions_per_game < 1:
            raise ValueError("value_positions_per_game must be at least 1")
        if self.freeze_trunk and self.value_weight == 0:
            raise ValueError("--freeze-trunk trains the value head only: give it a --value-weight above 0")
        if self.freeze_trunk and self.init_from is None and not self.resume:
            raise ValueError("--freeze-trunk needs --init-from MODEL: a random frozen trunk has nothing to offer")

    @property
    def value_head(self) -> ValueHead | None:
        """The value head the run's network has (None: policy only)."""
        return ValueHead(self.value_channels, self.value_hidden) if self.value_weight > 0 else None


# --------------------------------------------------------------------------- helpers


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on convolution kernels only: not on BN scales/shifts nor biases."""
    decay, no_decay = [], []
    for _, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (decay if param.ndim > 1 else no_decay).append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model: torch.nn.Module, kind: str, lr: float, momentum: float, weight_decay: float):
    groups = param_groups(model, weight_decay)
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=momentum > 0)
    return torch.optim.AdamW(groups, lr=lr, betas=(momentum, 0.999))


class _StopRequest:
    """SIGINT/SIGTERM -> finish the current step, checkpoint, exit (single process only)."""

    def __init__(self, active: bool) -> None:
        self.requested = False
        self.active = active and threading.current_thread() is threading.main_thread()
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> "_StopRequest":
        if self.active:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:  # second signal: give up at once
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def _resolved(config: TrainConfig, steps_per_epoch: int) -> dict:
    """The config with defaults filled in (what the checkpoint records)."""
    values = asdict(config)
    values["lr"] = config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]
    if config.weight_decay is None:
        values["weight_decay"] = DEFAULT_WEIGHT_DECAY[config.optimizer]
    if config.steps is not None:
        total = config.steps
    elif config.epochs is not None:
        total = max(1, math.ceil(config.epochs * steps_per_epoch))
    else:
        total = steps_per_epoch  # one epoch
    values["total_steps"] = int(total)
    if config.warmup_steps is None:
        values["warmup_steps"] = default_warmup(total)
    return values


def _field_default(name: str):
    return TrainConfig.__dataclass_fields__[name].default


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- phase 1: resume reconciliation


def _load_resume_state(config: TrainConfig, ctx: ddp.DistContext) -> dict | None:
    """The checkpoint this run continues (None for a new run): rank 0 reads the files,
    every rank gets the same answer."""
    run_dir = Path(config.out)
    path = run_dir / CHECKPOINT_NAME
    state = None
    problem = None
    if ctx.is_main:
        if path.exists() and not config.resume:
            problem = f"{run_dir} already holds a checkpoint; pass --resume to continue it or choose another --out"
        elif config.resume and path.exists():
            try:
                state = load_checkpoint(path)
            except CheckpointError as exc:
                problem = str(exc)
    problem, state = ddp.broadcast_object(ctx, (problem, state))
    if problem:
        raise TrainError(problem)
    if config.resume and state is None and ctx.is_main:
        _say(f"no checkpoint in {run_dir}: starting a new run")
    return state


def _reconcile_config(config: TrainConfig, state: dict | None, features: FeatureSet | None,
                      ctx: ddp.DistContext) -> FeatureSet:
    """Take the options that define a resumed run from its checkpoint (saying so when the
    user asked for something else); return the feature set of the run.

    ``features`` given by the caller wins over the name in the config or the checkpoint.
    """
    if state is not None:
        # options newer than the checkpoint take their defaults
        saved = {key: _field_default(key) for key in RESUME_FIXED} | state["config"]
        for key in RESUME_FIXED:
            if key == "features" and features is not None:
                if features.name != saved["features"] and ctx.is_main:
                    _say(f"resume: the checkpoint was trained on {saved['features']!r}, now given {features.name!r}")
                continue
            given = getattr(config, key)
            told = config.explicit is None or key in config.explicit
            if given is not None and given != saved[key] and told and ctx.is_main:
                _say(f"resume: keeping {key}={saved[key]!r} from the checkpoint (ignoring {given!r})")
            setattr(config, key, saved[key])
    if features is None:
        try:
            features = get_feature_set(config.features)
        except KeyError as exc:
            raise TrainError(str(exc.args[0])) from None
    config.features = features.name
    return features


# --------------------------------------------------------------------------- phase 2: data


@dataclass
class _Data:
    train: torch_data.PreparedData
    val: torch_data.PreparedData
    train_batches: torch_data.TrainBatches
    val_batches: torch_data.FixedBatches | None  # None: no validation positions
    value_positions: int  # training positions with a value target (0 for a policy-only run)

    @property
    def size(self) -> int:
        return self.train.size


def _open_data(config: TrainConfig, features: FeatureSet, ctx: ddp.DistContext) -> _Data:
    """This rank's stream of training batches and its share of the fixed validation subset.

    A value run picks its value positions here; a frozen-trunk run draws its batches
    from them alone, since the other positions would teach it nothing."""
    try:
        train_data = torch_data.PreparedData(config.data, "train")
        val_data = torch_data.PreparedData(config.data, "val")
        value_positions = None
        if config.value_weight > 0:
            value_positions = torch_data.value_positions(train_data, config.value_positions_per_game, config.seed)
            if len(value_positions) == 0:
                raise TrainError(f"no training game in {config.data} has a known winner: nothing to train a value head on")
        train_batches = torch_data.TrainBatches(
            train_data, features, config.batch_size, seed=config.seed, augment=config.augment,
            rank=ctx.rank, world_size=ctx.world_size, value_positions=value_positions,
            positions=value_positions if config.freeze_trunk else None,
        )
    except torch_data.DataError as exc:
        raise TrainError(str(exc)) from None
    val_indices = torch_data.validation_indices(len(val_data), config.val_positions, ctx.rank, ctx.world_size)
    val_batches = (torch_data.FixedBatches(val_data, features, val_indices, config.batch_size, cache=True)
                   if len(val_data) and config.val_positions > 0 else None)
    return _Data(train_data, val_data, train_batches, val_batches, 0 if value_positions is None else len(value_positions))


# --------------------------------------------------------------------------- phase 3: model and optimizer


def _build_net(arch: Architecture, state: dict | None, device: torch.device) -> PolicyNet:
    """The checkpoint's network when resuming, else a fresh one (seeded by the caller); ready on ``device``."""
    net = PolicyNet(arch)
    if state is not None:
        saved_arch = Architecture.from_dict(state["arch"])
        if saved_arch != arch:
            raise TrainError(f"checkpoint architecture {saved_arch} does not match {arch}")
        net.load_state_dict(state["model"])
    return prepare_model(net, device)


def _load_init_weights(net: PolicyNet, path: str, features: FeatureSet) -> dict:
    """Copy the weights of the model file ``path`` into ``net``, which must have the same
    trunk and read the same feature planes; returns the file's identity.

    The heads may differ: a value head the file lacks starts fresh (as seeded), one the
    run does not train is left out; value heads of two sizes are an error."""
    try:
        source, info = load_model(path)
    except ModelFileError as exc:
        raise TrainError(f"--init-from: {exc}") from None
    if info["feature_set"] != features.name:
        raise TrainError(f"--init-from {path} reads {info['feature_set']!r} planes; this run encodes "
                         f"{features.name!r}: pass --features {info['feature_set']}")
    theirs, ours = source.arch, net.arch
    if theirs.board_size != ours.board_size:
        raise TrainError(f"--init-from {path} plays {theirs.board_size}x{theirs.board_size}; "
                         f"the data is {ours.board_size}x{ours.board_size}")
    if theirs.trunk != ours.trunk:
        differences = ", ".join(f"{key} {getattr(theirs, key)} (this run {getattr(ours, key)})"
                                for key in ("layers", "filters", "in_planes") if getattr(theirs, key) != getattr(ours, key))
        raise TrainError(f"--init-from {path} has another architecture: {differences}; "
                         f"pass --layers {theirs.layers} --filters {theirs.filters}")
    if None not in (theirs.value_head, ours.value_head) and theirs.value_head != ours.value_head:
        raise TrainError(f"--init-from {path} has a value head of {theirs.value_head.channels} channels and "
                         f"{theirs.value_head.hidden} hidden units (this run {ours.value_head.channels} and "
                         f"{ours.value_head.hidden}): pass --value-channels {theirs.value_head.channels} "
                         f"--value-hidden {theirs.value_head.hidden}")
    weights = source.state_dict()
    fresh_value_head = theirs.value_head is None and ours.value_head is not None
    if theirs.value_head is not None and ours.value_head is None:
        weights = {name: tensor for name, tensor in weights.items() if not name.startswith("value_head.")}
        _say(f"--init-from {path}: its value head is left out (this run trains no value head: --value-weight 0)")
    elif fresh_value_head:
        _say(f"--init-from {path}: a policy-only network; its value head starts fresh")
    net.load_state_dict(weights, strict=not fresh_value_head)
    return _file_identity(path)


def _file_identity(path: str) -> dict:
    """A model file named by its file name and content digest, not by where it lies."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"file": Path(path).name, "sha256": digest.hexdigest()[:16]}


def _make_optimisation(net: PolicyNet, config: TrainConfig, resolved: dict, state: dict | None,
                       ctx: ddp.DistContext):
    """The optimizer and LR scheduler, restored from ``state`` when resuming."""
    total_steps = resolved["total_steps"]
    optimizer = make_optimizer(net, config.optimizer, resolved["lr"], config.momentum, resolved["weight_decay"])
    schedule = LRSchedule(config.schedule, total_steps, resolved["warmup_steps"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if schedule.total_steps != total_steps and ctx.is_main:
            _say(f"resume: total steps changed {schedule.total_steps} -> {total_steps}; the LR schedule is stretched")
        schedule.total_steps = total_steps  # the run length may be extended on resume
        for group, base_lr in zip(optimizer.param_groups, scheduler.base_lrs):
            group["lr"] = base_lr * schedule(scheduler.last_epoch)
    return optimizer, scheduler


def _wrap(net: PolicyNet, config: TrainConfig, ctx: ddp.DistContext, device: torch.device) -> torch.nn.Module:
    """What the step loop calls: ``net`` under DDP (several ranks) and/or torch.compile."""
    model: torch.nn.Module = net
    if ctx.enabled:
        model = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None, gradient_as_bucket_view=True
        )
    if config.compile:
        model = torch.compile(model)
    return model


# --------------------------------------------------------------------------- phases 4-6: the run


class _Run:
    """A training run with every piece in place; ``loop`` trains, ``finish`` writes the model."""

    def __init__(self, config: TrainConfig, features: FeatureSet, ctx: ddp.DistContext, state: dict | None) -> None:
        self.config, self.features, self.ctx, self.state = config, features, ctx, state
        self.device = resolve_device(config.device, ctx.local_rank)
        self.run_dir = Path(config.out)
        self.data = _open_data(config, features, ctx)
        self.resolved = _resolved(config, self.data.train_batches.steps_per_epoch)
        if state is not None and config.steps is None and config.epochs is None:
            self.resolved["total_steps"] = state["config"]["total_steps"]  # same length unless asked otherwise
        self.total_steps = self.resolved["total_steps"]

        torch.manual_seed(config.seed)
        self.arch = resolve_architecture(config.preset, config.layers, config.filters, in_planes=features.num_planes,
                                         board_size=self.data.size, value_head=config.value_head)
        self.net = _build_net(self.arch, state, self.device)
        if state is not None:
            self.init_from = state.get("init_from")  # identity of the model file the run started from
        elif config.init_from is not None:
            self.init_from = _load_init_weights(self.net, config.init_from, features)
        else:
            self.init_from = None
        if config.freeze_trunk:
            self.net.freeze_trunk()  # before the optimizer and DDP, which take the trainable parameters
        self.optimizer, self.scheduler = _make_optimisation(self.net, config, self.resolved, state, ctx)
        self.model = _wrap(self.net, config, ctx, self.device)

        # where the run stands: a new run's zeros, or the checkpoint's
        self.start_step = 0
        self.best = {"val_loss": math.inf, "step": None}
        self.elapsed_before = 0.0
        self.running = metric_zeros(device=self.device)  # train metric sums since the last evaluation
        if state is not None:
            restore_rng_state(state["rng"])
            self.start_step = int(state["step"])
            self.best = dict(state.get("best", self.best))
            self.elapsed_before = float(state.get("elapsed_s", 0.0))
            if "running" in state:  # a checkpoint from before the value columns has the policy's only
                saved_running = state["running"].to(self.device)
                self.running[: len(saved_running)] = saved_running
            saved_world = state["data"]["world_size"]
            if saved_world != ctx.world_size and ctx.is_main:
                _say(f"resume: world size changed {saved_world} -> {ctx.world_size}; the data order differs from here on")
        self.started = time.perf_counter()
        self.last_val: dict | None = None
        self.last_eval_step = self.start_step
        self.window_start, self.window_steps = time.perf_counter(), 0  # throughput since the last evaluation

        self.log = RunLog(self.run_dir, enabled=ctx.is_main, resume_step=self.start_step if state is not None else None)
        self.model_info = {
            "data": torch_data.data_identity(config.data),
            "preset": config.preset,
            "optimizer": config.optimizer,
            "lr": self.resolved["lr"],
            "batch_size": config.batch_size,
            "world_size": ctx.world_size,
            "seed": config.seed,
            "total_steps": self.total_steps,
            **config.extra,
        }
        if self.init_from is not None:
            self.model_info["init_from"] = self.init_from
        if self.arch.value_head is not None:
            self.model_info["value"] = {"weight": config.value_weight, "positions_per_game": config.value_positions_per_game,
                                        "train_positions": self.data.value_positions, "freeze_trunk": config.freeze_trunk}

    def elapsed(self) -> float:
        """Training seconds over every invocation of this run."""
        return self.elapsed_before + time.perf_counter() - self.started

    def announce(self) -> None:
        data, ctx, resumed = self.data, self.ctx, self.state is not None
        parameters = count_parameters(self.net)
        trainable = sum(p.numel() for p in self.net.parameters() if p.requires_grad)
        self.log.write({
            "event": "resume" if resumed else "start", "step": self.start_step,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": self.resolved, "architecture": self.arch.to_dict(), "feature_set": self.features.name,
            "parameters": parameters, "trainable_parameters": trainable, "device": str(self.device),
            "world_size": ctx.world_size, "train_positions": len(data.train), "val_positions": len(data.val),
            "train_value_positions": data.value_positions, "steps_per_epoch": data.train_batches.steps_per_epoch,
        })
        if ctx.is_main:
            value = ""
            if self.arch.value_head is not None:
                value = (f", value targets on {data.value_positions:,} positions (weight {self.config.value_weight}"
                         f"{', trunk frozen' if self.config.freeze_trunk else ''})")
            _say(
                f"{'resuming at step ' + str(self.start_step) if resumed else 'training'}: "
                f"{self.arch.describe()} ({parameters:,} parameters, {self.features.name} "
                f"{self.arch.in_planes} planes) on {self.device}{f' x{ctx.world_size} ranks' if ctx.enabled else ''}, "
                f"{len(data.train):,} positions{value}, {self.total_steps} steps of {self.config.batch_size}"
            )

    # -- phase 4: the step loop

    def loop(self) -> tuple[int, bool]:
        """Train from ``start_step`` to the end (or ``--stop-at``, or a signal); returns
        the step reached and whether a signal stopped it."""
        config = self.config
        end_step = self.total_steps if config.stop_at is None else max(self.start_step, min(self.total_steps, config.stop_at))
        loader = torch_data.make_loader(self.data.train_batches, range(self.start_step, end_step),
                                        workers=config.workers, pin_memory=self.device.type == "cuda")
        progress = self._progress_bar()
        step = self.start_step
        self.net.train()
        with _StopRequest(active=not self.ctx.enabled) as stop:
            for batch in loader:
                batch = to_device(batch, self.device)
                out = train_step(self.model, self.optimizer, batch, config.value_weight)
                self.scheduler.step()
                self.running += columns(out.logits, batch.moves, out.value, batch.z).sum(dim=0)
                step += 1
                self.window_steps += 1
                if progress is not None:
                    progress.update(1)
                    if step % 20 == 0:
                        progress.set_postfix(loss=f"{summarise(self.running)['nll']:.3f}",
                                             lr=f"{self.scheduler.get_last_lr()[0]:.2e}")
                if step % config.eval_every == 0 or step == self.total_steps:
                    self.evaluate(step, progress)
                if step % config.checkpoint_every == 0 and step < end_step:
                    self.checkpoint(step)
                if stop.requested:
                    break
        if progress is not None:
            progress.close()
        return step, stop.requested

    def _progress_bar(self):
        if not (self.ctx.is_main and self.config.progress):
            return None
        from tqdm import tqdm

        return tqdm(total=self.total_steps, initial=self.start_step, desc="train", unit="step", file=sys.stderr,
                    dynamic_ncols=True, leave=True)

    # -- phase 5: evaluation

    def validate(self) -> dict | None:
        """Metrics of the fixed validation subset (all ranks together), None without one."""
        if self.data.val_batches is None:
            return None
        ddp.sync_buffers(self.ctx, self.net)
        self.net.eval()
        sums = metric_zeros(device=self.device)
        with torch.no_grad():
            for i in range(len(self.data.val_batches)):  # in this process: the planes are cached after the first pass
                batch = to_device(self.data.val_batches[i], self.device)
                if self.net.has_value_head:
                    logits, value = forward(self.net, batch.planes, with_value=True)
                else:
                    logits, value = forward(self.net, batch.planes), None
                sums += columns(logits, batch.moves, value, batch.z).sum(dim=0)
        self.net.train()
        return summarise(ddp.all_reduce_sum(self.ctx, sums))

    def evaluate(self, step: int, progress) -> None:
        """Log train and validation metrics, refresh the curves, keep the best model."""
        train_stats = summarise(ddp.all_reduce_sum(self.ctx, self.running.clone()))
        for key in ("nll", "value_mse"):
            if train_stats[key] is not None and not math.isfinite(train_stats[key]):
                raise TrainError(f"the training {key} is {train_stats[key]} at step {step}: training diverged "
                                 f"(try a lower --lr or more --warmup-steps); the last checkpoint is kept")
        val = self.last_val = self.validate()
        now = time.perf_counter()
        record = {
            "step": step,
            "epoch": round(step / self.data.train_batches.steps_per_epoch, 4),
            "lr": self.scheduler.get_last_lr()[0],
            **self._fields("train", train_stats),
            "positions_per_s": (self.window_steps * self.config.batch_size * self.ctx.world_size
                                / max(1e-9, now - self.window_start)),
            "elapsed_s": round(self.elapsed(), 2),
        }
        if val is not None:
            record.update(self._fields("val", val))
        self.log.write(record)
        self.log.plot()
        if progress is not None:
            shown = f"step {step}: train loss {train_stats['nll']:.3f} top-1 {100 * train_stats['top1']:.1f}%"
            if val is not None:
                shown += f" | val loss {val['nll']:.3f} top-1 {100 * val['top1']:.1f}% top-5 {100 * val['top5']:.1f}%"
                if val["value_mse"] is not None:
                    shown += f" value MSE {val['value_mse']:.3f} sign {100 * val['value_accuracy']:.1f}%"
            progress.write(shown, file=sys.stderr)
        if val is not None and self.objective(val) < self.best["val_loss"]:
            self.best = {"val_loss": self.objective(val), "step": step}
            self.save_model(BEST_NAME, step)
        self.running.zero_()
        self.last_eval_step = step
        self.window_start, self.window_steps = time.perf_counter(), 0

    def objective(self, stats: dict) -> float:
        """The loss training minimises, on summarised metrics: what "best" means."""
        value_mse = stats["value_mse"] if stats["value_mse"] is not None else 0.0
        return stats["nll"] + self.config.value_weight * value_mse

    def _fields(self, prefix: str, stats: dict) -> dict:
        """Summarised metrics as log and model-info fields: ``{prefix}_loss`` (the policy
        NLL), ``_top1``, ``_top5`` and, with a value head, ``_value_mse``, ``_value_accuracy``."""
        fields = {f"{prefix}_loss": stats["nll"], f"{prefix}_top1": stats["top1"], f"{prefix}_top5": stats["top5"]}
        if self.arch.value_head is not None:
            fields.update({f"{prefix}_value_mse": stats["value_mse"], f"{prefix}_value_accuracy": stats["value_accuracy"]})
        return fields

    # -- phase 6: checkpoints and model files

    def checkpoint(self, step: int) -> None:
        """Everything needed to continue exactly at ``step`` (rank 0 writes it)."""
        if not self.ctx.is_main:
            return
        config = self.config
        save_checkpoint(self.run_dir / CHECKPOINT_NAME, {
            "step": step,
            "config": self.resolved,
            "arch": self.arch.to_dict(),
            "feature_set": self.features.name,
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": capture_rng_state(),
            "data": {"next_step": step, "seed": config.seed, "batch_size": config.batch_size,
                     "world_size": self.ctx.world_size, "steps_per_epoch": self.data.train_batches.steps_per_epoch},
            "best": self.best,
            "init_from": self.init_from,
            "running": self.running.detach().cpu(),
            "elapsed_s": self.elapsed(),
        })

    def save_model(self, name: str, step: int) -> None:
        """A model file in the run directory, with the latest validation metrics (rank 0 writes it)."""
        if not self.ctx.is_main:
            return
        info = {**self.model_info, "step": step}
        if self.last_val is not None:
            info.update(self._fields("val", self.last_val))
        save_model(self.net, self.run_dir / name, self.features.name, info)

    def finish(self, step: int, stopped_early: bool) -> dict:
        """Checkpoint where the loop ended, write the final model if the run is complete."""
        ddp.sync_buffers(self.ctx, self.net)
        self.checkpoint(step)
        finished = step >= self.total_steps
        if finished:
            self.save_model(MODEL_NAME, step)
        self.log.write({"event": "finished" if finished else "stopped", "step": step,
                        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "elapsed_s": round(self.elapsed(), 2), "best": self.best})
        self.log.close()
        if self.ctx.is_main:
            if finished:
                best = (f", best {self.run_dir / BEST_NAME} (step {self.best['step']})"
                        if self.best["step"] is not None else "")
                _say(f"done: {self.run_dir / MODEL_NAME}{best}")
            else:
                _say(f"stopped at step {step} of {self.total_steps}; continue with --resume")
        return {
            "step": step,
            "total_steps": self.total_steps,
            "finished": finished,
            "stopped_early": stopped_early,
            "best": self.best,
            "val": self.last_val if self.last_eval_step == step else None,
            "run_dir": str(self.run_dir),
            "model": self.net,
        }


def train(config: TrainConfig, features: FeatureSet | None = None) -> dict:
    """Run (or resume) a training job; returns a summary dict (on every rank).

    ``features`` overrides the feature set named by ``config.features`` (tests use a
    cheap stand-in).
    """
    config.validate()
    if config.threads:
        torch.set_num_threads(config.threads)
    ctx = ddp.init_distributed(resolve_device(config.device).type == "cuda")
    try:
        state = _load_resume_state(config, ctx)
        features = _reconcile_config(config, state, features, ctx)
        run = _Run(config, features, ctx, state)
        run.announce()
        step, stopped_early = run.loop()
        return run.finish(step, stopped_early)
    finally:
        ddp.shutdown(ctx)
