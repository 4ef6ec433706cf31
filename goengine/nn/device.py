"""Choosing the torch device: one rule for every command that runs the network.

``auto`` means the GPU when CUDA is available, else the CPU.  Asking for ``cuda`` on a
machine without CUDA is an error with a clear message, never a silent fallback: a
user who asked for the GPU should know that they are not getting it.
"""

from __future__ import annotations

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


class DeviceError(ValueError):
    """A device name that is unknown or not available on this machine."""


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """The torch device for ``name`` (``auto``, ``cpu``, ``cuda`` or ``cuda:N``).

    ``local_rank`` picks the GPU of a plain ``cuda`` under torchrun.
    """
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} was asked for but CUDA is not available on this machine")
        if name == "cuda":
            return torch.device("cuda", local_rank)
    return torch.device(name)
