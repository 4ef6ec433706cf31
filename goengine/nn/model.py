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

The optional value head (``Architecture.value_head``) turns the network into a dual-head
net in the style of AlphaGo Zero: the same trunk (every layer but the policy's 1x1
head) feeds a second head, 1x1 convolution -> BN -> ReLU -> fully connected ``hidden``
-> ReLU -> fully connected 1 -> tanh, whose output is the expected result of the game
for the side to move (+1 a win, -1 a loss).  The trunk's local patterns need the fully
connected layer to become a whole-board judgement.  ``net(x)`` returns the policy
logits whatever the heads, so every caller that only plays moves works unchanged with
a dual-head file; ``net(x, with_value=True)`` returns ``(logits, value)``.  A value
head trained on a frozen trunk (``freeze_trunk``) reuses a policy network that is too
expensive to retrain on a CPU.
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
HEAD_NAMES = ("policy", "value")


@dataclass(frozen=True)
class ValueHead:
    """Sizes of the value head: ``channels`` planes from the 1x1 convolution, ``hidden``
    units in the fully connected layer (AlphaGo Zero used 1 and 256)."""

    channels: int = 1
    hidden: int = 256

    def __post_init__(self) -> None:
        if self.channels < 1 or self.hidden < 1:
            raise ValueError(f"value head channels and hidden units must be positive, got {self}")


@dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild a PolicyNet (stored in model files as JSON)."""

    layers: int = 13
    filters: int = 192
    in_planes: int = 48
    board_size: int = 19
    value_head: ValueHead | None = None

    def __post_init__(self) -> None:
        if self.layers < 2:
            raise ValueError(f"a policy net needs at least 2 layers (5x5 + 1x1 head), got {self.layers}")
        if self.filters < 1 or self.in_planes < 1:
            raise ValueError("filters and in_planes must be positive")
        if not MIN_SIZE <= self.board_size <= MAX_SIZE:
            raise ValueError(f"board size must be {MIN_SIZE}..{MAX_SIZE}, got {self.board_size}")

    @property
    def heads(self) -> tuple[str, ...]:
        return HEAD_NAMES if self.value_head is not None else HEAD_NAMES[:1]

    @property
    def trunk(self) -> "Architecture":
        """The same network without a value head: what the policy weights depend on."""
        return Architecture(self.layers, self.filters, self.in_planes, self.board_size)

    def with_value_head(self, value_head: ValueHead | None) -> "Architecture":
        return Architecture(self.layers, self.filters, self.in_planes, self.board_size, value_head)

    def to_dict(self) -> dict:
        """JSON-ready; a policy-only network has no ``value_head`` key, as before value heads existed."""
        data = asdict(self)
        if self.value_head is None:
            del data["value_head"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Architecture":
        value_head = data.get("value_head")
        return cls(
            **{key: int(data[key]) for key in ("layers", "filters", "in_planes", "board_size")},
            value_head=None if value_head is None else ValueHead(int(value_head["channels"]), int(value_head["hidden"])),
        )

    def describe(self) -> str:
        """``13x192`` or ``13x192 + value head 1/256``."""
        text = f"{self.layers}x{self.filters}"
        if self.value_head is not None:
            text += f" + value head {self.value_head.channels}/{self.value_head.hidden}"
        return text


def resolve_architecture(
    preset: str | None = None,
    layers: int | None = None,
    filters: int | None = None,
    in_planes: int = 48,
    board_size: int = 19,
    value_head: ValueHead | None = None,
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
        value_head=value_head,
    )


class ValueNet(nn.Module):
    """The value head: trunk features ``[B, filters, N, N]`` -> a win expectation ``[B]`` in (-1, 1)."""

    def __init__(self, filters: int, board_size: int, shape: ValueHead) -> None:
        super().__init__()
        self.conv = nn.Conv2d(filters, shape.channels, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(shape.channels)
        self.fc1 = nn.Linear(shape.channels * board_size * board_size, shape.hidden)
        self.fc2 = nn.Linear(shape.hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_in", nonlinearity="relu")
        self.bn.reset_parameters()
        nn.init.kaiming_normal_(self.fc1.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(self.fc1.bias)
        # A fresh head says "no idea" (value 0, loss 1 against +-1 targets) instead of a
        # random confident opinion; fc2 still gets gradients from fc1's activations.
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, trunk: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(self.bn(self.conv(trunk)))
        hidden = torch.relu(self.fc1(hidden.reshape(len(hidden), -1)))
        return torch.tanh(self.fc2(hidden)).squeeze(1)


class PolicyNet(nn.Module):
    """Convolutional move predictor: planes ``[B, C, N, N]`` -> logits ``[B, N*N]``
    (and, with a value head, a value ``[B]``)."""

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
        self.value_head = ValueNet(k, arch.board_size, arch.value_head) if arch.value_head is not None else None
        self.trunk_frozen = False
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.body:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()
        nn.init.kaiming_normal_(self.head.weight, mode="fan_in", nonlinearity="linear")
        nn.init.zeros_(self.point_bias)
        if self.value_head is not None:
            self.value_head.reset_parameters()

    @property
    def board_size(self) -> int:
        return self.arch.board_size

    @property
    def in_planes(self) -> int:
        return self.arch.in_planes

    @property
    def has_value_head(self) -> bool:
        return self.value_head is not None

    def freeze_trunk(self) -> None:
        """Train the value head only: the trunk and the policy head keep their weights
        and their BatchNorm statistics (the frozen BN layers stay in eval mode)."""
        if self.value_head is None:
            raise ValueError("freezing the trunk leaves nothing to train: this network has no value head")
        for name, param in self.named_parameters():
            param.requires_grad_(name.startswith("value_head."))
        self.trunk_frozen = True
        self.train(self.training)

    def train(self, mode: bool = True) -> "PolicyNet":
        super().train(mode)
        if self.trunk_frozen:
            self.body.eval()
        return self

    def forward(self, x: torch.Tensor, with_value: bool = False):
        # uint8 (or any) planes -> the weights' float type; .to() keeps the memory
        # format, so channels_last inputs stay channels_last.  Under autocast the
        # convolutions then run in the autocast dtype.
        if x.dtype != self.point_bias.dtype:
            x = x.to(self.point_bias.dtype)
        if x.dim() == 3:
            raise ValueError("PolicyNet expects a batch [B, C, N, N]; add a batch dimension with x[None]")
        trunk = self.body(x)
        logits = self.head(trunk).flatten(1) + self.point_bias  # [B, 1, N, N] -> [B, N*N]
        if not with_value:
            return logits
        if self.value_head is None:
            raise ValueError("this network has no value head (a policy-only model)")
        return logits, self.value_head(trunk)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def forward_flops(arch: Architecture) -> int:
    """Multiply-adds x 2 of one position's forward pass (convolutions and the value head's layers)."""
    points = arch.board_size * arch.board_size
    k = arch.filters
    macs = (arch.in_planes * k * 25 + (arch.layers - 2) * k * k * 9 + k) * points
    if arch.value_head is not None:
        channels, hidden = arch.value_head.channels, arch.value_head.hidden
        macs += k * channels * points + channels * points * hidden + hidden
    return 2 * macs


def training_flops(arch: Architecture) -> int:
    """FLOPs of forward + backward (grad wrt inputs and weights ~ 2x forward) per position."""
    return 3 * forward_flops(arch)
