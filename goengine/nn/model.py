"""The policy network: AlphaGo's supervised-learning policy family.

Layout (Silver et al. 2016, "Methods: Neural network architecture"), with batch
normalisation added after every hidden convolution:

* layer 1: 5x5 convolution, ``in_planes -> filters``, zero padding 2, BN, ReLU;
* layers 2 .. L-1: 3x3 convolutions, ``filters -> filters``, padding 1, BN, ReLU;
* layer L: 1x1 convolution ``filters -> 1`` plus a learned bias per board point.

``layers`` counts *every* convolution, the 5x5 and the 1x1 head included, exactly as
AlphaGo's "13-layer" network is 5x5 + 11 x 3x3 + 1x1.  The output is the raw logits
``[B, N*N]`` over board points: the loss (cross-entropy) or the caller applies the
softmax, and passes are not predicted.  There is no pooling and no fully connected
layer, so the net is a pure function of local patterns plus the per-point bias.

Hidden convolutions carry no bias (BatchNorm's shift makes it redundant).  Weights
use He initialisation in ``fan_in`` mode with the ReLU gain: it keeps the variance of
the forward signal at about one from layer to layer.  BatchNorm would renormalise the
hidden layers anyway, but the head has no BN after it, and ``fan_in`` keeps the
initial logits O(1) so the untrained policy starts close to uniform (loss near
log(361)) instead of saturating the softmax.  The head uses the linear gain (it is not
followed by a ReLU) and the per-point bias starts at zero.

Presets:

=========  ======  =======  ============================================================
name       layers  filters  use
=========  ======  =======  ============================================================
tiny            3        8  tests (~2-11k parameters)
cpu             6       64  trainable on a 2-core CPU: 0.16 GFLOP per position forward
                            (1/17 of AlphaGo's net), 225k parameters, about 100-150
                            training positions/s on 2 cores (benchmarks/bench_training.py),
                            i.e. roughly half a million positions an hour.  The 5x5 plus
                            four 3x3 layers see a 13x13 window, enough for local shape
                            and joseki-sized patterns; going to 4 layers (9x9 window)
                            doubles speed but loses that reach, while width costs
                            quadratically (96 filters: ~2x the FLOPs of 64)
alphago        13      192  the published network (3.9M parameters, 2.8 GFLOP forward)
=========  ======  =======  ============================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from goengine.coords import MAX_SIZE, MIN_SIZE

PRESETS: dict[str, tuple[int, int]] = {
    "tiny": (3, 8),
    "cpu": (6, 64),
    "alphago": (13, 192),
}
DEFAULT_PRESET = "cpu"


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a PolicyNet (stored in model files as JSON)."""

    layers: int = 13
    filters: int = 192
    in_planes: int = 48
    board_size: int = 19

    def __post_init__(self) -> None:
        if self.layers < 2:
            raise ValueError(f"a policy net needs at least 2 layers (5x5 + 1x1 head), got {self.layers}")
        if self.filters < 1 or self.in_planes < 1:
            raise ValueError("filters and in_planes must be positive")
        if not MIN_SIZE <= self.board_size <= MAX_SIZE:
            raise ValueError(f"board size must be {MIN_SIZE}..{MAX_SIZE}, got {self.board_size}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
        return cls(**{key: int(data[key]) for key in ("layers", "filters", "in_planes", "board_size")})


def resolve_architecture(
    preset: str | None = None,
    layers: int | None = None,
    filters: int | None = None,
    in_planes: int = 48,
    board_size: int = 19,
) -> Architecture:
    """A preset's depth/width, with explicit ``layers``/``filters`` overriding it."""
    if preset is None:
        preset = DEFAULT_PRESET
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    base_layers, base_filters = PRESETS[preset]
    return Architecture(
        layers=layers if layers is not None else base_layers,
        filters=filters if filters is not None else base_filters,
        in_planes=in_planes,
        board_size=board_size,
    )


class PolicyNet(nn.Module):
    """Convolutional move predictor: planes ``[B, C, N, N]`` -> logits ``[B, N*N]``."""

    def __init__(self, arch: Architecture | None = None, **kwargs) -> None:
        super().__init__()
        if arch is None:
            arch = Architecture(**kwargs)
        elif kwargs:
            raise TypeError("pass either an Architecture or keyword arguments, not both")
        self.arch = arch
        k = arch.filters
        body: list[nn.Module] = [
            nn.Conv2d(arch.in_planes, k, kernel_size=5, padding=2, bias=False),
            nn.BatchNorm2d(k),
            nn.ReLU(inplace=True),
        ]
        for _ in range(arch.layers - 2):
            body += [nn.Conv2d(k, k, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(k), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*body)
        self.head = nn.Conv2d(k, 1, kernel_size=1, bias=False)
        self.point_bias = nn.Parameter(torch.zeros(arch.board_size * arch.board_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.body:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
        nn.init.kaiming_normal_(self.head.weight, mode="fan_in", nonlinearity="linear")
        nn.init.zeros_(self.point_bias)

    @property
    def board_size(self) -> int:
        return self.arch.board_size

    @property
    def in_planes(self) -> int:
        return self.arch.in_planes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # uint8 (or any) planes -> the weights' float type; .to() keeps the memory
        # format, so channels_last inputs stay channels_last.  Under autocast the
        # convolutions then run in the autocast dtype.
        if x.dtype != self.point_bias.dtype:
            x = x.to(self.point_bias.dtype)
        if x.dim() == 3:
            raise ValueError("PolicyNet expects a batch [B, C, N, N]; add a batch dimension with x[None]")
        out = self.head(self.body(x))  # [B, 1, N, N]
        return out.flatten(1) + self.point_bias


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def forward_flops(arch: Architecture) -> int:
    """Multiply-adds x 2 of one position's forward pass (convolutions only)."""
    points = arch.board_size * arch.board_size
    k = arch.filters
    macs = arch.in_planes * k * 25 + (arch.layers - 2) * k * k * 9 + k
    return 2 * macs * points


def training_flops(arch: Architecture) -> int:
    """FLOPs of forward + backward (grad wrt inputs and weights ~ 2x forward) per position."""
    return 3 * forward_flops(arch)
