"""DistributedDataParallel plumbing for ``torchrun`` (NCCL on GPUs, gloo on CPU).

``torchrun --nproc_per_node=G [--nnodes=N --rdzv-endpoint=HOST:PORT] train_policy.py
train ...`` sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; without
them training runs as a single process.  Every rank reads its own slice of the data
(see ``goengine.dataset.torch_data``); only rank 0 logs and writes checkpoints and
models.  State that must agree across ranks (resumed checkpoint, BN running stats,
metrics) is broadcast or all-reduced here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_distributed(use_cuda: bool) -> DistContext:
    """Join the process group described by torchrun's environment (if any)."""
    world_size = env_world_size()
    if world_size <= 1:
        return DistContext()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", init_method="env://")
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank)


def shutdown(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def broadcast_object(ctx: DistContext, obj):
    """rank 0's ``obj`` on every rank."""
    if not ctx.enabled:
        return obj
    box = [obj if ctx.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def all_reduce_sum(ctx: DistContext, tensor: torch.Tensor) -> torch.Tensor:
    if ctx.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def sync_buffers(ctx: DistContext, module: torch.nn.Module) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank."""
    if not ctx.enabled:
        return
    for buffer in module.buffers():
        dist.broadcast(buffer.data, src=0)
