"""One forward pass and one optimisation step, shared by training, validation and the
training benchmark, so that what is measured is what is trained.

On CUDA the network runs the way the GPU is fastest: inputs and weights in
channels_last (NHWC) memory order, which tensor-core convolutions want, and the
forward pass under bfloat16 autocast (the loss is computed in float32).  On the CPU
everything stays float32 and NCHW.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def prepare_model(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``net`` on ``device``, in the memory format (and with the backend settings) the device runs best."""
    net = net.to(device)
    if device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return net


def to_device(planes: torch.Tensor, moves: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch on ``device`` (asynchronously from pinned memory), planes in the device's memory format."""
    planes = planes.to(device, non_blocking=True)
    if device.type == "cuda":
        planes = planes.contiguous(memory_format=torch.channels_last)
    return planes, moves.to(device, non_blocking=True)


def forward(model: torch.nn.Module, planes: torch.Tensor) -> torch.Tensor:
    """The model's logits for planes already on their device (see ``to_device``)."""
    if planes.device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return model(planes)
    return model(planes)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, planes: torch.Tensor,
               moves: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward, cross-entropy, backward and one optimizer step on a batch already on its
    device; returns the loss and the logits, detached."""
    logits = forward(model, planes)
    loss = F.cross_entropy(logits.float(), moves)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach(), logits.detach()
