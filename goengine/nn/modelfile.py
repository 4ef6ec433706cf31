"""Model files: a PolicyNet's tensors in safetensors with string metadata.

safetensors holds only tensors and a JSON header, so loading a model never runs code
from the file (unlike pickle-based ``torch.save`` checkpoints).  Metadata keys, all
strings as the format requires:

``format_version``  ``"1"`` for a policy-only network, ``"2"`` for one with a value head
``architecture``    JSON ``{"layers", "filters", "in_planes", "board_size"}``, plus
                    ``"value_head": {"channels", "hidden"}`` in version 2
``feature_set``     name for ``goengine.features.get_feature_set``
``training``        free-form JSON from the trainer (data, steps, accuracy, ...)

The version is the oldest reader that can use the file: a policy-only network is
still written as version 1, byte for byte what goengine wrote before value heads
existed, so older goengines keep playing it; a goengine from before value heads
refuses a version-2 file with a clear message instead of failing on tensors it does
not know.

``load_model`` returns ``(model, info)`` with ``info`` =
``{"format_version", "architecture": {...}, "heads": ["policy"(, "value")],
"feature_set", "board_size", "in_planes", "layers", "filters", "training": {...}, "path"}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as serialize

from goengine.atomic import atomic_write
from goengine.nn.model import Architecture, PolicyNet

POLICY_ONLY_VERSION = 1
VALUE_HEAD_VERSION = 2
SUPPORTED_VERSIONS = (POLICY_ONLY_VERSION, VALUE_HEAD_VERSION)


class ModelFileError(ValueError):
    """A model file that goengine cannot or will not load."""


def _unwrap(model: torch.nn.Module) -> PolicyNet:
    """The PolicyNet inside a DDP and/or torch.compile wrapper."""
    seen = 0
    while not isinstance(model, PolicyNet) and seen < 4:
        model = getattr(model, "module", None) or getattr(model, "_orig_mod", None) or model
        seen += 1
    if not isinstance(model, PolicyNet):
        raise TypeError(f"expected a PolicyNet, got {type(model).__name__}")
    return model


def save_model(model: torch.nn.Module, path: str | os.PathLike, feature_set: str, info: dict | None = None) -> Path:
    """Write ``model`` to ``path`` atomically (temporary file, fsync, rename)."""
    net = _unwrap(model)
    path = Path(path)
    tensors = {name: t.detach().to("cpu", torch.float32 if t.is_floating_point() else t.dtype).contiguous()
               for name, t in net.state_dict().items()}
    metadata = {
        "format_version": str(VALUE_HEAD_VERSION if net.has_value_head else POLICY_ONLY_VERSION),
        "architecture": json.dumps(net.arch.to_dict(), sort_keys=True),
        "feature_set": str(feature_set),
        "training": json.dumps(info or {}, sort_keys=True, default=str),
    }
    data = serialize(tensors, metadata=metadata)
    with atomic_write(path) as handle:
        handle.write(data)
    return path


def _diagnose(path: Path) -> str:
    """Why a file is not a safetensors model, in words."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head[:2] == b"PK":
        return "it looks like a PyTorch torch.save checkpoint (zip/pickle), which goengine never unpickles"
    if head[:1] == b"\x80":
        return "it looks like a Python pickle, which goengine never loads"
    if len(head) < 8:
        return "it is too short to be a safetensors file"
    return "it is not a valid safetensors file (corrupt or truncated?)"


def read_metadata(path: str | os.PathLike) -> dict:
    """Check and parse a model file's metadata without building the model."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"cannot load {path}: {_diagnose(path)} ({exc})") from None
    version = meta.get("format_version")
    if version is None:
        raise ModelFileError(f"{path} has no goengine format_version: not a goengine model file")
    try:
        version_number = int(version)
    except ValueError:
        version_number = None
    if version_number not in SUPPORTED_VERSIONS:
        raise ModelFileError(
            f"{path} has model format_version {version!r}; this goengine reads versions "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))} (a newer goengine may be needed)"
        )
    try:
        arch = Architecture.from_dict(json.loads(meta["architecture"]))
        feature_set = meta["feature_set"]
        training = json.loads(meta.get("training", "{}"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path} has invalid goengine metadata: {exc}") from None
    if (arch.value_head is not None) != (version_number == VALUE_HEAD_VERSION):
        raise ModelFileError(f"{path} has invalid goengine metadata: format_version {version_number} "
                             f"with heads {', '.join(arch.heads)}")
    return {
        "format_version": version_number,
        "architecture": arch.to_dict(),
        "heads": list(arch.heads),
        "feature_set": feature_set,
        "board_size": arch.board_size,
        "in_planes": arch.in_planes,
        "layers": arch.layers,
        "filters": arch.filters,
        "training": training,
        "path": str(path),
    }


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[PolicyNet, dict]:
    """Load a model file -> (PolicyNet in eval mode on ``device``, info dict)."""
    info = read_metadata(path)
    model = PolicyNet(Architecture.from_dict(info["architecture"]))
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"cannot read tensors of {path}: {_diagnose(Path(path))} ({exc})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise ModelFileError(f"{path} does not match its architecture: missing {missing}, unexpected {unexpected}")
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            raise ModelFileError(
                f"{path}: tensor {name} has shape {tuple(tensor.shape)}, expected {tuple(expected[name].shape)}"
            )
    model.load_state_dict(tensors)
    model.to(device)
    model.eval()
    return model, info
