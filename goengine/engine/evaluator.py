"""Position evaluators: what a tree search asks of a network, for a batch of positions.

An evaluator answers ``evaluate(boards) -> (priors, values)`` for a list of Boards,
each seen from its own side to move:

* ``priors``: float32 ``[B, N*N + 1]``, a distribution over the legal moves with pass
  last.  Every legal point and pass get a positive prior, illegal points exactly 0,
  so the search can read the legal moves off the priors without asking the Board again.
* ``values``: float32 ``[B]`` in [-1, 1], the expected result for the side to move
  (+1: it wins, -1: it loses).

``NetworkEvaluator`` runs the positions through a PolicyNet in one batch:

* **Value.**  A model with a value head (``has_value_head``; ``net(x, with_value=True)``
  returns ``(logits, value)``) gives the value.  A policy-only model, including every
  model file from before value heads, has no opinion about who is winning, so the
  evaluator falls back on ``area_value``: the
  Tromp-Taylor area score from the side to move, squashed by ``tanh(score / k)`` with
  ``k = N*N / 10`` points.  This is a **weak stand-in**: it counts every stone on the
  board as alive and every undecided region as nobody's, so mid-game it mostly measures
  captures and komi.  It lets the search read out captures, ko and the end of the game,
  but winrates from it are not a judgement of the position.
* **Pass.**  The network predicts no pass (its output covers the board points only), so
  pass gets a prior of its own, ``pass_prior(board)``, and the points share the rest in
  the network's proportions.  Early in the game pass is kept barely alive (0.1%); the
  prior grows as the board fills (from 45% to 75% of the points holding stones) to 25%,
  when few useful moves are left; and right after the opponent's pass it is at least
  30%, because then passing ends the game and the search should look at that exact
  result early.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from goengine.coords import RECENT_MOVES
from goengine.engine.agent import PolicyAgent, masked_softmax, opponent_just_passed, require_size, score_for

PASS_PRIOR_MIN = 0.001        # pass prior early in the game
PASS_PRIOR_LATE = 0.25        # pass prior once the board is full enough
PASS_PRIOR_AFTER_PASS = 0.30  # floor right after the opponent passed (passing would end the game)
FILL_EARLY, FILL_LATE = 0.45, 0.75  # fractions of occupied points between which the pass prior grows
AREA_VALUE_POINTS = 0.1       # k = AREA_VALUE_POINTS * N*N points of area score give tanh(1)


class Evaluator(Protocol):
    """What the tree search needs from a network (see the module docstring)."""

    def supports_size(self, size: int) -> bool: ...

    def evaluate(self, boards: list) -> tuple[np.ndarray, np.ndarray]: ...


def pass_prior(board) -> float:
    """The prior of passing in ``board`` for its side to move (see the module docstring)."""
    filled = np.count_nonzero(board.stones) / board.pass_point
    lateness = min(max((filled - FILL_EARLY) / (FILL_LATE - FILL_EARLY), 0.0), 1.0)
    prior = PASS_PRIOR_MIN + (PASS_PRIOR_LATE - PASS_PRIOR_MIN) * lateness
    if opponent_just_passed(board, board.to_play):
        prior = max(prior, PASS_PRIOR_AFTER_PASS)
    return prior


def area_value(board) -> float:
    """The weak stand-in value of a policy-only model: tanh(area score for the side to
    move / k), k = N*N / 10 points (see the module docstring)."""
    scale = AREA_VALUE_POINTS * board.pass_point
    return float(np.tanh(score_for(board, board.to_play) / scale))


def terminal_value(board) -> float:
    """The exact result of a finished game for ``board``'s side to move: +1 win, -1 loss, 0 draw."""
    return float(np.sign(score_for(board, board.to_play)))


def priors_with_pass(logits: np.ndarray, legal: np.ndarray, pass_probability: float) -> np.ndarray:
    """float32 [N*N + 1]: softmax of ``logits`` over ``legal`` scaled to ``1 - pass_probability``,
    pass last.  Legal points keep a positive prior even where float32 would round it to 0."""
    priors = np.zeros(legal.size + 1, dtype=np.float32)
    if legal.any():
        points = masked_softmax(logits, legal) * (1.0 - pass_probability)
        priors[:-1] = np.where(legal, np.maximum(points, np.finfo(np.float32).tiny), 0.0)
        priors[-1] = pass_probability
    else:
        priors[-1] = 1.0
    return priors


def split_output(output) -> tuple[np.ndarray, np.ndarray | None]:
    """A PolicyNet's forward output -> (logits float32 [B, N*N], values float32 [B] or None):
    the logits tensor alone, or ``(logits, value)`` with the value as ``[B]`` or ``[B, 1]``."""
    logits, value = output if isinstance(output, (tuple, list)) else (output, None)
    logits = logits.float().cpu().numpy()
    if value is not None:
        value = np.clip(value.float().reshape(-1).cpu().numpy(), -1.0, 1.0)
    return logits, value


def has_value_head(model) -> bool:
    """True for a dual-head net; models built before value heads existed lack the attribute."""
    return bool(getattr(model, "has_value_head", False))


class NetworkEvaluator:
    """Priors and values of a batch of positions from one PolicyNet forward pass.

    Built on the same ``PolicyAgent`` that plays without search (``policy_agent``), so
    both read the same feature planes, device and board size; ``playouts 0`` in the
    search agent hands the move choice to that agent.  ``value_source`` says where the
    values come from: ``"value head"`` or ``"area score (stand-in)"``.
    """

    def __init__(self, policy_agent: PolicyAgent):
        self.policy_agent = policy_agent
        self.board_size = policy_agent.board_size
        self.feature_set = policy_agent.feature_set
        self.name = policy_agent.name
        self.with_value = has_value_head(policy_agent.model)
        self.value_source = "value head" if self.with_value else "area score (stand-in)"

    @classmethod
    def from_model(cls, model, info: dict, device=None) -> "NetworkEvaluator":
        return cls(PolicyAgent(model, info, device=device))

    def supports_size(self, size: int) -> bool:
        return self.policy_agent.supports_size(size)

    def planes(self, boards: list) -> np.ndarray:
        """uint8 [B, C, N, N]: the boards' feature planes in one encoder call."""
        return self.feature_set.encode_batch(
            np.stack([board.stones for board in boards]),
            np.array([board.to_play for board in boards]),
            np.array([board.ko_point for board in boards]),
            np.stack([board.recent_moves(RECENT_MOVES) for board in boards]),
            self.board_size,
        )

    def forward(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The network on a batch of planes -> (logits [B, N*N], values [B] or None)."""
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(planes)).to(self.policy_agent.device)
            model = self.policy_agent.model
            return split_output(model(x, with_value=True) if self.with_value else model(x))

    def evaluate(self, boards: list) -> tuple[np.ndarray, np.ndarray]:
        if not boards:
            return np.zeros((0, self.board_size ** 2 + 1), np.float32), np.zeros(0, np.float32)
        for board in boards:
            require_size(self, board.size)
        logits, values = self.forward(self.planes(boards))
        if values is None:
            values = np.array([area_value(board) for board in boards], dtype=np.float32)
        priors = np.stack([priors_with_pass(row, board.legal_mask(), pass_prior(board))
                           for board, row in zip(boards, logits)])
        return priors, values.astype(np.float32)


__all__ = [
    "Evaluator",
    "NetworkEvaluator",
    "area_value",
    "has_value_head",
    "pass_prior",
    "priors_with_pass",
    "split_output",
    "terminal_value",
]
