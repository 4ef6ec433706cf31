"""Training throughput of the policy network: positions per second, FLOP/s, MFU.

Three measurements per network:

* ``synthetic``: forward + backward + optimizer step on random uint8 planes already in
  memory (the model's ceiling);
* ``loader``: the data pipeline alone (memory-mapped records -> feature planes ->
  symmetries) through a DataLoader with ``--workers`` processes;
* ``end-to-end``: training steps fed by that loader.

The loader rows use ``--data DIR`` (a prepared directory) if given, else a temporary
synthetic data set (random stones) encoded by the real ``--features`` set.

On CUDA the model runs in bf16 autocast with channels_last (and torch.compile with
``--compile``); ``--peak-tflops`` (e.g. 989 for a dense-bf16 H100 SXM) turns achieved
FLOP/s into model FLOPs utilisation.  FLOPs count the convolutions only:
3 x forward (forward, grad wrt activations, grad wrt weights).

    python benchmarks/bench_training.py                       # cpu and alphago presets
    python benchmarks/bench_training.py --presets cpu --batch-size 256 --steps 20
    python benchmarks/bench_training.py --device cuda --compile --peak-tflops 989
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from goengine.dataset import torch_data  # noqa: E402
from goengine.features import get_feature_set  # noqa: E402
from goengine.nn.device import DEVICE_CHOICES, resolve_device  # noqa: E402
from goengine.nn.model import PolicyNet, ValueHead, resolve_architecture, training_flops  # noqa: E402
from goengine.nn.step import prepare_model, to_device, train_step  # noqa: E402
from goengine.nn.train import make_optimizer  # noqa: E402


def architecture(spec: str, in_planes: int, value_head: ValueHead | None):
    """A preset name, or ``LxK`` (layers x filters)."""
    suffix = "+v" if value_head is not None else ""
    if "x" in spec and spec.replace("x", "").isdigit():
        layers, filters = (int(v) for v in spec.split("x"))
        return f"{layers}x{filters}{suffix}", resolve_architecture("cpu", layers, filters, in_planes=in_planes,
                                                                   value_head=value_head)
    arch = resolve_architecture(spec, in_planes=in_planes, value_head=value_head)
    return f"{spec} {arch.layers}x{arch.filters}{suffix}", arch


def setup(spec: str, in_planes: int, device: torch.device, compile_model: bool, value_head: ValueHead | None):
    torch.manual_seed(0)
    name, arch = architecture(spec, in_planes, value_head)
    net = prepare_model(PolicyNet(arch), device)
    model = torch.compile(net) if compile_model else net
    optimizer = make_optimizer(net, "sgd", 0.01, 0.9, 1e-4)
    return name, arch, net, model, optimizer


def step_fn(model, optimizer, device, value_weight: float):
    """One training step exactly as ``train`` runs it (goengine.nn.step)."""

    def step(batch):
        return train_step(model, optimizer, to_device(batch, device), value_weight).loss

    return step


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(run, warmup: int, steps: int, device) -> float:
    """Seconds per call of ``run(i)`` after ``warmup`` calls."""
    for i in range(warmup):
        run(i)
    sync(device)
    start = time.perf_counter()
    for i in range(steps):
        run(warmup + i)
    sync(device)
    return (time.perf_counter() - start) / steps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", default="cpu,alphago", help="comma-separated presets or LxK shapes")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 128 on CPU, 512 on CUDA")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 5 CPU, 50 CUDA)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 2 CPU, 10 CUDA)")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--peak-tflops", type=float, default=None, help="device peak, for MFU")
    parser.add_argument("--features", default="alphago48")
    parser.add_argument("--data", default=None, help="prepared data directory for the loader rows")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--no-loader", action="store_true", help="synthetic in-memory inputs only")
    parser.add_argument("--value-weight", type=float, default=0.0,
                        help="above 0: networks with a value head (1/256), trained with this weight")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    batch = args.batch_size or (512 if cuda else 128)
    steps = args.steps or (50 if cuda else 5)
    warmup = args.warmup if args.warmup is not None else (10 if cuda else 2)
    # compile and cudnn autotuning need more warm-up
    if args.compile:
        warmup = max(warmup, 3)

    value_head = ValueHead() if args.value_weight > 0 else None
    features = get_feature_set(args.features)
    planes_n = features.num_planes
    loader_ok = not args.no_loader

    tmp = None
    if loader_ok:
        if args.data:
            data_dir = Path(args.data)
        else:
            from synthetic import write_synthetic_data  # benchmarks/synthetic.py

            tmp = tempfile.TemporaryDirectory(prefix="bench-data-")
            data_dir = write_synthetic_data(tmp.name, train=max(20_000, batch * (steps + warmup + 4)), val=0,
                                            shard_size=50_000)
        train_set = torch_data.TrainBatches(torch_data.PreparedData(data_dir, "train"), features, batch, seed=0)

    cpu_name = f"{torch.get_num_threads()} threads"
    print(f"# torch {torch.__version__}, device {torch.cuda.get_device_name(device) if cuda else 'cpu'} ({cpu_name}), "
          f"batch {batch}, {steps} timed steps after {warmup}, features {features.name} ({planes_n} planes)"
          + (", bf16 autocast + channels_last" if cuda else "") + (", torch.compile" if args.compile else ""))
    header = f"{'network':<14} {'input':<11} {'pos/s':>9} {'ms/step':>9} {'TFLOP/s':>8} {'MFU':>7}"
    print(header)
    print("-" * len(header))

    def row(name, kind, seconds, flops_per_pos):
        rate = batch / seconds
        tflops = rate * flops_per_pos / 1e12 if flops_per_pos else None
        mfu = f"{100 * tflops / args.peak_tflops:6.1f}%" if tflops and args.peak_tflops else "     -"
        tf = f"{tflops:8.3f}" if tflops else "       -"
        print(f"{name:<14} {kind:<11} {rate:9.1f} {1000 * seconds:9.1f} {tf} {mfu:>7}", flush=True)

    if loader_ok:
        # in this process: the cost of one batch on one core
        row("-", "loader/w0", timed(lambda i: train_set[i], 1, max(steps, 5), torch.device("cpu")), None)
        if args.workers > 0:
            # through the workers, many more batches than the prefetch queue holds
            loader = iter(torch_data.make_loader(train_set, range(0, 10**9), workers=args.workers, pin_memory=cuda))
            seconds = timed(lambda i: next(loader), 2 * args.workers, max(steps, 16 * args.workers), torch.device("cpu"))
            row("-", f"loader/w{args.workers}", seconds, None)
            del loader  # stop its workers before timing the model alone

    for preset in [p.strip() for p in args.presets.split(",") if p.strip()]:
        name, arch, net, model, optimizer = setup(preset, planes_n, device, args.compile, value_head)
        flops = training_flops(arch)
        step = step_fn(model, optimizer, device, args.value_weight)
        gen = torch.Generator().manual_seed(0)
        synthetic = torch_data.Batch(torch.randint(0, 2, (batch, planes_n, 19, 19), generator=gen, dtype=torch.uint8),
                                     torch.randint(0, 361, (batch,), generator=gen),
                                     torch.randint(-1, 2, (batch,), generator=gen).float())
        synthetic = to_device(synthetic, device)  # in place before the clock starts
        row(name, "synthetic", timed(lambda i: step(synthetic), warmup, steps, device), flops)
        if loader_ok:
            loader = iter(torch_data.make_loader(train_set, range(0, 10**9), workers=args.workers, pin_memory=cuda))
            row(name, "end-to-end", timed(lambda i: step(next(loader)), warmup, steps, device), flops)
            del loader
        del net, model, optimizer
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
