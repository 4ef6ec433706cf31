"""Supervised training of the policy network on prepared position records.

``train(TrainConfig(...))`` is the whole job; the ``train`` click command is a thin
wrapper.  Outputs in the run directory:

``checkpoint.pt``       latest checkpoint (atomic), for ``--resume``
``log.jsonl``           one JSON object per line: events and metrics at each evaluation
``curves.png``          learning curves, refreshed at each evaluation
``tensorboard/``        the same scalars, when TensorBoard is installed
``model.safetensors``   the final model (modelfile format)
``best.safetensors``    the model with the lowest validation loss seen at an evaluation

Resuming is exact: batches are a pure function of (seed, step, rank) (see
``goengine.dataset.torch_data``), and the checkpoint carries the model, optimizer,
scheduler, RNG states and step, so N straight steps and k + resume to N give the same
weights on CPU.
"""

from __future__ import annotations

import contextlib
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
import torch.nn.functional as F

from goengine.dataset import torch_data
from goengine.nn import distributed as ddp
from goengine.nn.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_checkpoint,
)
from goengine.nn.model import PRESETS, Architecture, PolicyNet, count_parameters, resolve_architecture
from goengine.nn.modelfile import save_model
from goengine.nn.runlog import RunLog
from goengine.nn.schedule import SCHEDULES, LRSchedule, default_warmup

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
    "weight_decay", "warmup_steps", "schedule", "seed", "augment", "val_positions",
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
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"unknown device {self.device!r}; use auto, cpu or cuda")


# --------------------------------------------------------------------------- helpers


def pick_device(name: str, ctx_local_rank: int = 0) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainError("--device cuda was asked for but CUDA is not available")
        if name == "cuda":
            return torch.device("cuda", ctx_local_rank)
    return torch.device(name)


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


def batch_metrics(logits: torch.Tensor, moves: torch.Tensor) -> torch.Tensor:
    """[sum of NLL, top-1 hits, top-5 hits, count] of one batch, as a float64 tensor."""
    logits = logits.float()
    nll = F.cross_entropy(logits, moves, reduction="sum")
    top5 = logits.topk(min(5, logits.shape[1]), dim=1).indices
    hits = top5 == moves[:, None]
    return torch.stack(
        [nll.double(), hits[:, 0].sum().double(), hits.any(dim=1).sum().double(),
         torch.tensor(float(len(moves)), dtype=torch.float64, device=logits.device)]
    )


def summarise(sums: torch.Tensor) -> dict:
    nll, top1, top5, count = sums.tolist()
    if count == 0:
        return {"loss": math.nan, "top1": math.nan, "top5": math.nan, "positions": 0}
    return {"loss": nll / count, "top1": top1 / count, "top5": top5 / count, "positions": int(count)}


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


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- training


def train(config: TrainConfig, features: Any = None) -> dict:
    """Run (or resume) a training job; returns a summary dict (on every rank).

    ``features`` overrides the encoder (a feature set object, or any callable with the
    ``encode_batch`` signature) -- for tests and experiments; by default the feature
    set named ``config.features`` is used.
    """
    config.validate()
    features = features if features is not None else config.features
    feature_name = torch_data.feature_set_name(features)
    config.features = feature_name
    if config.threads:
        torch.set_num_threads(config.threads)
    use_cuda = pick_device(config.device).type == "cuda"
    ctx = ddp.init_distributed(use_cuda)
    try:
        return _train(config, features, feature_name, ctx)
    finally:
        ddp.shutdown(ctx)


def _train(config: TrainConfig, features: Any, feature_name: str, ctx: ddp.DistContext) -> dict:
    device = pick_device(config.device, ctx.local_rank)
    cuda = device.type == "cuda"
    run_dir = Path(config.out)
    ckpt_path = run_dir / CHECKPOINT_NAME

    # ---- resume decision (rank 0 looks at the files, everyone follows)
    state = None
    problem = None
    if ctx.is_main:
        if ckpt_path.exists() and not config.resume:
            problem = f"{run_dir} already holds a checkpoint; pass --resume to continue it or choose another --out"
        elif config.resume and ckpt_path.exists():
            try:
                state = load_checkpoint(ckpt_path)
            except CheckpointError as exc:
                problem = str(exc)
    problem, state = ddp.broadcast_object(ctx, (problem, state))
    if problem:
        raise TrainError(problem)
    if config.resume and state is None and ctx.is_main:
        _say(f"no checkpoint in {run_dir}: starting a new run")

    if state is not None:
        saved = state["config"]
        for key in RESUME_FIXED:
            given = getattr(config, key)
            if key == "features" and not isinstance(features, str):
                if feature_name != saved["features"] and ctx.is_main:
                    _say(f"resume: the checkpoint was trained on {saved['features']!r}, now given {feature_name!r}")
                continue
            told = config.explicit is None or key in config.explicit
            if given is not None and given != saved[key] and told and ctx.is_main:
                _say(f"resume: keeping {key}={saved[key]!r} from the checkpoint (ignoring {given!r})")
            setattr(config, key, saved[key])
        if isinstance(features, str):
            features = feature_name = config.features

    # ---- data
    try:
        train_data = torch_data.PreparedData(config.data, "train")
        val_data = torch_data.PreparedData(config.data, "val")
    except torch_data.DataError as exc:
        raise TrainError(str(exc)) from None
    size = train_data.size
    try:
        train_set = torch_data.TrainBatches(
            train_data, features, config.batch_size, seed=config.seed, augment=config.augment,
            rank=ctx.rank, world_size=ctx.world_size,
        )
    except torch_data.DataError as exc:
        raise TrainError(str(exc)) from None
    resolved = _resolved(config, train_set.steps_per_epoch)
    if state is not None and config.steps is None and config.epochs is None:
        resolved["total_steps"] = state["config"]["total_steps"]  # same length unless asked otherwise
    total_steps = resolved["total_steps"]
    in_planes = torch_data.num_planes(features, size)

    val_indices = torch_data.validation_indices(len(val_data), config.val_positions, ctx.rank, ctx.world_size)
    val_set = (torch_data.FixedBatches(val_data, features, val_indices, config.batch_size, cache=True)
               if len(val_data) and config.val_positions > 0 else None)

    # ---- model, optimizer, schedule
    torch.manual_seed(config.seed)
    arch = resolve_architecture(config.preset, config.layers, config.filters, in_planes=in_planes, board_size=size)
    net = PolicyNet(arch).to(device)
    if state is not None:
        saved_arch = Architecture.from_dict(state["arch"])
        if saved_arch != arch:
            raise TrainError(f"checkpoint architecture {saved_arch} does not match {arch}")
        net.load_state_dict(state["model"])
    if cuda:
        net = net.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    optimizer = make_optimizer(net, config.optimizer, resolved["lr"], config.momentum, resolved["weight_decay"])
    schedule = LRSchedule(config.schedule, total_steps, resolved["warmup_steps"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    start_step = 0
    best = {"val_loss": math.inf, "step": None}
    elapsed_before = 0.0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if schedule.total_steps != total_steps and ctx.is_main:
            _say(f"resume: total steps changed {schedule.total_steps} -> {total_steps}; the LR schedule is stretched")
        schedule.total_steps = total_steps  # the run length may be extended on resume
        for group, base_lr in zip(optimizer.param_groups, scheduler.base_lrs):
            group["lr"] = base_lr * schedule(scheduler.last_epoch)
        restore_rng_state(state["rng"])
        start_step = int(state["step"])
        best = dict(state.get("best", best))
        elapsed_before = float(state.get("elapsed_s", 0.0))
        saved_world = state["data"]["world_size"]
        if saved_world != ctx.world_size and ctx.is_main:
            _say(f"resume: world size changed {saved_world} -> {ctx.world_size}; the data order differs from here on")

    model: torch.nn.Module = net
    if ctx.enabled:
        model = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if cuda else None, gradient_as_bucket_view=True
        )
    if config.compile:
        model = torch.compile(model)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cuda else contextlib.nullcontext

    end_step = total_steps if config.stop_at is None else max(start_step, min(total_steps, config.stop_at))
    log = RunLog(run_dir, enabled=ctx.is_main, resume_step=start_step if state is not None else None)
    model_info_base = {
        "data": str(Path(config.data).resolve()),
        "preset": config.preset,
        "optimizer": config.optimizer,
        "lr": resolved["lr"],
        "batch_size": config.batch_size,
        "world_size": ctx.world_size,
        "seed": config.seed,
        "total_steps": total_steps,
        **config.extra,
    }
    log.write({
        "event": "resume" if state is not None else "start", "step": start_step,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": resolved, "architecture": arch.to_dict(), "feature_set": feature_name,
        "parameters": count_parameters(net), "device": str(device), "world_size": ctx.world_size,
        "train_positions": len(train_data), "val_positions": len(val_data),
        "steps_per_epoch": train_set.steps_per_epoch,
    })
    if ctx.is_main:
        _say(
            f"{'resuming at step ' + str(start_step) if state is not None else 'training'}: {arch.layers}x{arch.filters} "
            f"({count_parameters(net):,} parameters, {feature_name} {in_planes} planes) on {device}"
            f"{f' x{ctx.world_size} ranks' if ctx.enabled else ''}, {len(train_data):,} positions, "
            f"{total_steps} steps of {config.batch_size}"
        )

    def checkpoint(step: int) -> None:
        if not ctx.is_main:
            return
        save_checkpoint(ckpt_path, {
            "step": step,
            "config": resolved,
            "arch": arch.to_dict(),
            "feature_set": feature_name,
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": capture_rng_state(),
            "data": {"next_step": step, "seed": config.seed, "batch_size": config.batch_size,
                     "world_size": ctx.world_size, "steps_per_epoch": train_set.steps_per_epoch},
            "best": best,
            "running": running.detach().cpu(),
            "elapsed_s": elapsed_before + (time.perf_counter() - started),
        })

    def validate() -> dict | None:
        if val_set is None:
            return None
        ddp.sync_buffers(ctx, net)
        net.eval()
        sums = torch.zeros(4, dtype=torch.float64, device=device)
        with torch.no_grad():
            for i in range(len(val_set)):  # in this process: the planes are cached after the first pass
                planes, moves = val_set[i]
                planes = planes.to(device, non_blocking=True)
                if cuda:
                    planes = planes.contiguous(memory_format=torch.channels_last)
                with autocast():
                    logits = net(planes)
                sums += batch_metrics(logits, moves.to(device, non_blocking=True))
        net.train()
        return summarise(ddp.all_reduce_sum(ctx, sums))

    # ---- the loop
    started = time.perf_counter()
    window_start, window_steps = time.perf_counter(), 0
    running = torch.zeros(4, dtype=torch.float64, device=device)  # train metrics since the last evaluation
    if state is not None and "running" in state:
        running.copy_(state["running"].to(device))
    last_eval_step = start_step
    loader = torch_data.make_loader(train_set, range(start_step, end_step), workers=config.workers, pin_memory=cuda)
    progress = None
    if ctx.is_main and config.progress:
        from tqdm import tqdm

        progress = tqdm(total=total_steps, initial=start_step, desc="train", unit="step", file=sys.stderr,
                        dynamic_ncols=True, leave=True)
    step = start_step
    net.train()
    last_val: dict | None = None
    stopped_early = False
    with _StopRequest(active=not ctx.enabled) as stop:
        for planes, moves in loader:
            planes = planes.to(device, non_blocking=True)
            moves = moves.to(device, non_blocking=True)
            if cuda:
                planes = planes.contiguous(memory_format=torch.channels_last)
            with autocast():
                logits = model(planes)
            loss = F.cross_entropy(logits.float(), moves)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                running += batch_metrics(logits.detach(), moves)
            step += 1
            window_steps += 1
            if progress is not None:
                progress.update(1)
                if step % 20 == 0:
                    progress.set_postfix(loss=f"{running[0].item() / max(1.0, running[3].item()):.3f}",
                                         lr=f"{scheduler.get_last_lr()[0]:.2e}")
            if step % config.eval_every == 0 or step == total_steps:
                train_stats = summarise(ddp.all_reduce_sum(ctx, running.clone()))
                if not math.isfinite(train_stats["loss"]):
                    raise TrainError(f"the training loss is {train_stats['loss']} at step {step}: training diverged "
                                     f"(try a lower --lr or more --warmup-steps); the last checkpoint is kept")
                last_val = validate()
                now = time.perf_counter()
                record = {
                    "step": step,
                    "epoch": round(step / train_set.steps_per_epoch, 4),
                    "lr": scheduler.get_last_lr()[0],
                    "train_loss": train_stats["loss"],
                    "train_top1": train_stats["top1"],
                    "train_top5": train_stats["top5"],
                    "positions_per_s": window_steps * config.batch_size * ctx.world_size / max(1e-9, now - window_start),
                    "elapsed_s": round(elapsed_before + now - started, 2),
                }
                if last_val is not None:
                    record.update(val_loss=last_val["loss"], val_top1=last_val["top1"], val_top5=last_val["top5"])
                log.write(record)
                log.plot()
                if progress is not None:
                    shown = f"step {step}: train loss {train_stats['loss']:.3f} top-1 {100 * train_stats['top1']:.1f}%"
                    if last_val is not None:
                        shown += f" | val loss {last_val['loss']:.3f} top-1 {100 * last_val['top1']:.1f}% top-5 {100 * last_val['top5']:.1f}%"
                    progress.write(shown, file=sys.stderr)
                if last_val is not None and last_val["loss"] < best["val_loss"]:
                    best = {"val_loss": last_val["loss"], "step": step}
                    if ctx.is_main:
                        save_model(net, run_dir / BEST_NAME, feature_name, {
                            **model_info_base, "step": step, "val_loss": last_val["loss"],
                            "val_top1": last_val["top1"], "val_top5": last_val["top5"]})
                running.zero_()
                last_eval_step = step
                window_start, window_steps = time.perf_counter(), 0
            if step % config.checkpoint_every == 0 and step < end_step:
                checkpoint(step)
            if stop.requested:
                stopped_early = True
                break
    if progress is not None:
        progress.close()

    ddp.sync_buffers(ctx, net)
    checkpoint(step)
    finished = step >= total_steps
    summary = {
        "step": step,
        "total_steps": total_steps,
        "finished": finished,
        "stopped_early": stopped_early,
        "best": best,
        "val": last_val if last_eval_step == step else None,
        "run_dir": str(run_dir),
        "model": net,
    }
    if finished and ctx.is_main:
        info = {**model_info_base, "step": step}
        if last_val is not None:
            info.update(val_loss=last_val["loss"], val_top1=last_val["top1"], val_top5=last_val["top5"])
        save_model(net, run_dir / MODEL_NAME, feature_name, info)
    log.write({"event": "finished" if finished else "stopped", "step": step,
               "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "elapsed_s": round(elapsed_before + time.perf_counter() - started, 2), "best": best})
    log.close()
    if ctx.is_main:
        if finished:
            _say(f"done: {run_dir / MODEL_NAME}" + (f", best {run_dir / BEST_NAME} (step {best['step']})"
                                                     if best["step"] is not None else ""))
        else:
            _say(f"stopped at step {step} of {total_steps}; continue with --resume")
    return summary
