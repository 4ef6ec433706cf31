"""One forward pass and one optimisation step, shared by training, validation and the
training benchmark, so that what is measured is what is trained.

On CUDA the network runs the way the GPU is fastest: inputs and weights in
channels_last (NHWC) memory order, which tensor-core convolutions want, and the
forward pass under bfloat16 autocast (the losses are computed in float32).  On the
CPU everything stays float32 and NCHW.

The loss is the policy's cross-entropy, plus ``value_weight`` times the value head's
mean squared error against the game results ``z`` on the positions that have one
(``z != 0``; see ``goengine.dataset.torch_data``).  AlphaGo Zero used an unweighted
sum; a weight below 1 keeps the value head's few, correlated targets from pulling the
shared trunk away from the policy.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from goengine.dataset.torch_data import Batch


class Outputs(NamedTuple):
    """What one training step produced, detached: the loss, the policy logits and the value (None without a value head)."""

    loss: torch.Tensor
    logits: torch.Tensor
    value: torch.Tensor | None


def prepare_model(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``net`` on ``device``, in the memory format (and with the backend settings) the device runs best."""
    net = net.to(device)
    if device.type == "cuda":
        net = net.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return net


def to_device(batch: Batch, device: torch.device) -> Batch:
    """A batch on ``device`` (asynchronously from pinned memory), planes in the device's memory format."""
    planes = batch.planes.to(device, non_blocking=True)
    if device.type == "cuda":
        planes = planes.contiguous(memory_format=torch.channels_last)
    return Batch(planes, batch.moves.to(device, non_blocking=True), batch.z.to(device, non_blocking=True))


def forward(model: torch.nn.Module, planes: torch.Tensor, with_value: bool = False):
    """The model's logits (and value, ``with_value``) for planes already on their device."""
    if planes.device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return model(planes, with_value=with_value)
    return model(planes, with_value=with_value)


def value_loss(value: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the positions with a target (0 when the batch has none)."""
    known = (z != 0).float()
    return ((value.float() - z) ** 2 * known).sum() / known.sum().clamp(min=1.0)


def train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, batch: Batch,
               value_weight: float = 0.0) -> Outputs:
    """Forward, loss, backward and one optimizer step on a batch already on its device.
    ``value_weight`` > 0 trains the value head too (the model must have one)."""
    if value_weight > 0:
        logits, value = forward(model, batch.planes, with_value=True)
        loss = F.cross_entropy(logits.float(), batch.moves) + value_weight * value_loss(value, batch.z)
    else:
        logits, value = forward(model, batch.planes), None
        loss = F.cross_entropy(logits.float(), batch.moves)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return Outputs(loss.detach(), logits.detach(), None if value is None else value.detach())
