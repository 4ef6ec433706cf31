"""Move choice: turn the policy network's output into a move on a Board.

``PolicyAgent`` wraps a loaded PolicyNet (see ``goengine.nn.modelfile.load_model``):

* ``probabilities(board)`` is the network's softmax restricted to the legal points
  (illegal points get 0); passes are never predicted by the network.
* ``select_move(board)`` returns a board point, ``board.pass_point`` (pass) or
  ``RESIGN``.  It never returns an illegal move and never fills one of its own true
  single-point eyes (``Board.is_eye``).  With ``temperature == 0`` it takes the most
  probable such move, otherwise it samples from ``p ** (1 / temperature)``.
* It passes when no sensible move is left (every legal point is an own eye), and,
  with ``pass_when_winning`` (default on), when the opponent has just passed and the
  Tromp-Taylor area score of the current position is already a win: passing then
  ends the game with that result.
* It resigns only when resignation is on (``resign_threshold`` not None), at least
  ``resign_min_moves`` moves have been played, and the area score the game would
  have if both players passed now is worse than ``-resign_threshold`` points for it.
  Tromp-Taylor counts every stone on the board as alive, so mid-game the score is a
  crude estimate; the default margin (a quarter of the board's points) only fires
  in games that are clearly lost.

``RandomAgent`` plays uniformly among the same "sensible" moves: the opponent of the
gymnasium environment and a cheap stand-in in tests.

Network and board size: the network's per-point bias ties it to the board size it was
trained for, so an agent refuses boards of any other size.  ``require_size(agent, size)``
is the one check every front door makes (``BoardSizeError``, one wording).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np

from goengine.coords import BLACK, RECENT_MOVES, opponent

RESIGN = -1  # select_move's answer for "I resign" (no board point is negative)
AUTO = "auto"  # resign_threshold / resign_min_moves: derive from the board size


class BoardSizeError(ValueError):
    """The agent's network was trained for another board size."""


class ModelNotFoundError(FileNotFoundError):
    """No model file where one was expected (e.g. the shipped default model)."""


class Agent(Protocol):
    """What the players (terminal, GTP, env, match) need from a move chooser."""

    name: str

    def supports_size(self, size: int) -> bool: ...

    def select_move(self, board, color: int | None = None) -> int: ...


def require_size(agent: Agent, size: int) -> None:
    """Raise BoardSizeError unless ``agent`` plays on ``size`` x ``size`` boards.

    One check with one message for every front door: a policy network's output layer
    has a bias per board point, so it cannot move to another board size.
    """
    if agent.supports_size(size):
        return
    trained = getattr(agent, "board_size", None)
    plays = f"plays on {trained}x{trained} boards only" if trained else "does not play this board size"
    raise BoardSizeError(
        f"the model {plays} (its output layer has a bias per board point); it cannot play {size}x{size}"
    )


def score_for(board, color: int) -> float:
    """The Tromp-Taylor area score of ``board`` (komi included) from ``color``'s side."""
    score = board.area_score()
    return score if color == BLACK else -score


def opponent_just_passed(board, color: int) -> bool:
    """True when the last move was a pass by the opponent of ``color``."""
    if not board.history:
        return False
    last_color, last_point = board.history[-1]
    return last_color == opponent(color) and last_point == board.pass_point


def first_sensible(board, color: int, candidates: Iterable[int]) -> int | None:
    """The first candidate point that does not fill ``color``'s own true eye."""
    for point in candidates:
        if not board.is_eye(int(point), color):
            return int(point)
    return None


# --------------------------------------------------------------------------- models


def resolve_model_path(path: str | os.PathLike | None = None) -> Path:
    """``path`` or the shipped default model; ModelNotFoundError with advice if missing."""
    from goengine.paths import default_model_path

    if path is not None:
        chosen = Path(path)
        if not chosen.is_file():
            raise ModelNotFoundError(f"model file not found: {chosen}")
        return chosen
    chosen = default_model_path()
    if not chosen.is_file():
        raise ModelNotFoundError(
            f"no model given and the default model {chosen} does not exist yet. "
            "Train one (python train_policy.py train ...) and pass it with --model FILE, "
            "or set GOENGINE_MODEL to its path."
        )
    return chosen


def load_policy(path: str | os.PathLike | None = None, device: str = "cpu"):
    """Load ``path`` (default: the shipped model) -> (model, info)."""
    from goengine.nn.modelfile import load_model

    return load_model(resolve_model_path(path), device=device)


def load_agent(path: str | os.PathLike | None = None, device: str = "cpu", **kwargs) -> "PolicyAgent":
    """A PolicyAgent for the model file ``path`` (default: the shipped model)."""
    model, info = load_policy(path, device=device)
    return PolicyAgent(model, info, device=device, **kwargs)


# --------------------------------------------------------------------------- agents


def most_probable(probs: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The ``n`` points of largest probability with it, best first (ties: lower point
    first); points of probability 0 (illegal) are left out."""
    order = np.argsort(-probs, kind="stable")[: max(n, 0)]
    return [(int(p), float(probs[p])) for p in order if probs[p] > 0]


def masked_softmax(logits: np.ndarray, mask: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / temperature) over ``mask``; zeros elsewhere (all zeros if mask is empty)."""
    out = np.zeros(logits.shape, dtype=np.float64)
    if not mask.any():
        return out
    values = logits[mask].astype(np.float64) / max(temperature, 1e-6)
    values -= values.max()
    weights = np.exp(values)
    out[mask] = weights / weights.sum()
    return out


class PolicyAgent:
    """Chooses moves with a policy network.  See the module docstring for the rules."""

    def __init__(
        self,
        model,
        info: dict,
        temperature: float = 0.0,
        resign_threshold: float | str | None = AUTO,
        resign_min_moves: int | str = AUTO,
        pass_when_winning: bool = True,
        rng: np.random.Generator | int | None = None,
        device: str | None = None,
        name: str | None = None,
    ):
        import torch

        from goengine.features import get_feature_set

        self.model = model
        self.info = dict(info)
        self.board_size = int(info.get("board_size") or info["architecture"]["board_size"])
        self.feature_set = get_feature_set(info["feature_set"])
        if device is None:
            try:
                device = next(model.parameters()).device
            except (StopIteration, AttributeError):
                device = "cpu"
        self.device = torch.device(device)
        self.temperature = float(temperature)
        self.resign_threshold = resign_threshold
        self.resign_min_moves = resign_min_moves
        self.pass_when_winning = pass_when_winning
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.name = name or Path(str(info.get("path", "policy"))).stem
        model.eval()

    # -- board size -----------------------------------------------------------------

    def supports_size(self, size: int) -> bool:
        return int(size) == self.board_size

    # -- network ----------------------------------------------------------------------

    def planes(self, board, color: int | None = None) -> np.ndarray:
        """Feature planes (C, N, N) uint8 of ``board`` with ``color`` to play."""
        color = board.to_play if color is None else color
        if color == board.to_play:
            return self.feature_set.encode_board(board)
        # the simple-ko point binds only the side that moves next, so it does not apply
        return self.feature_set.encode(board.stones, color, -1, board.recent_moves(RECENT_MOVES), board.size)

    def logits_batch(self, planes: np.ndarray) -> np.ndarray:
        """Raw network output float32 [B, N*N] for planes [B, C, N, N]."""
        import torch

        with torch.inference_mode():
            x = torch.from_numpy(np.ascontiguousarray(planes)).to(self.device)
            return self.model(x).float().cpu().numpy()

    def logits(self, board, color: int | None = None) -> np.ndarray:
        require_size(self, board.size)
        return self.logits_batch(self.planes(board, color)[None])[0]

    def probabilities(self, board, color: int | None = None) -> np.ndarray:
        """Policy over the board points (size*size,), softmax over the legal ones."""
        color = board.to_play if color is None else color
        return masked_softmax(self.logits(board, color), board.legal_mask(color))

    def top_moves(self, board, n: int = 5, color: int | None = None) -> list[tuple[int, float]]:
        """The ``n`` most probable legal points with their probabilities, best first."""
        return most_probable(self.probabilities(board, color), n)

    # -- move choice ------------------------------------------------------------------

    def resign_margin(self, board) -> float | None:
        if self.resign_threshold is None:
            return None
        if self.resign_threshold == AUTO:
            return 0.25 * board.size * board.size
        return float(self.resign_threshold)

    def min_moves_before_resign(self, board) -> int:
        if self.resign_min_moves == AUTO:
            return board.size * board.size // 2
        return int(self.resign_min_moves)

    def should_resign(self, board, color: int | None = None) -> bool:
        """True when the position is clearly lost by area score (see module docstring)."""
        color = board.to_play if color is None else color
        margin = self.resign_margin(board)
        if margin is None or board.move_number < self.min_moves_before_resign(board):
            return False
        return score_for(board, color) < -margin

    def choose(self, board, color: int, logits: np.ndarray, temperature: float | None = None) -> int:
        """A sensible legal point from ``logits`` (or pass when there is none)."""
        temperature = self.temperature if temperature is None else temperature
        legal = board.legal_mask(color)
        if temperature <= 0:
            scores = np.where(legal, logits, -np.inf)
            order = np.argsort(-scores, kind="stable")[: int(legal.sum())]
            point = first_sensible(board, color, order)
            return board.pass_point if point is None else point
        probs = masked_softmax(logits, legal, temperature)
        while probs.sum() > 0:
            probs /= probs.sum()
            point = int(self.rng.choice(probs.size, p=probs))
            if not board.is_eye(point, color):
                return point
            probs[point] = 0.0
        return board.pass_point

    def select_move(self, board, color: int | None = None, *, allow_resign: bool = True,
                    allow_early_pass: bool = True, temperature: float | None = None) -> int:
        """A point, ``board.pass_point`` or ``RESIGN`` for ``color`` (default: side to move)."""
        color = board.to_play if color is None else color
        require_size(self, board.size)
        if allow_resign and self.should_resign(board, color):
            return RESIGN
        if (allow_early_pass and self.pass_when_winning and opponent_just_passed(board, color)
                and score_for(board, color) > 0):
            return board.pass_point
        return self.choose(board, color, self.logits(board, color), temperature)

    def select_moves(self, boards: list, planes: np.ndarray | None = None) -> list[int]:
        """``select_move`` for several boards (each with its side to move) in one batch.

        ``planes`` may carry the boards' feature planes already computed (e.g. the
        gymnasium observations); resignation is not considered here.
        """
        if not boards:
            return []
        for board in boards:
            require_size(self, board.size)
        if planes is None:
            planes = np.stack([self.feature_set.encode_board(b) for b in boards])
        logits = self.logits_batch(planes)
        moves = []
        for board, row in zip(boards, logits):
            color = board.to_play
            if self.pass_when_winning and opponent_just_passed(board, color) and score_for(board, color) > 0:
                moves.append(board.pass_point)
            else:
                moves.append(self.choose(board, color, row))
        return moves

    def principal_variation(self, board, first: int, length: int = 4, color: int | None = None) -> list[int]:
        """``first`` followed by the greedy policy's replies, up to ``length`` moves in all."""
        color = board.to_play if color is None else color
        line = [first]
        if length <= 1 or first == board.pass_point:
            return line
        work = board.copy()
        work.play(first, color)
        while len(line) < length:
            move = self.choose(work, work.to_play, self.logits(work), temperature=0.0)
            if move == work.pass_point:
                break
            work.play(move)
            line.append(move)
        return line


class RandomAgent:
    """Uniformly random among legal moves that do not fill the mover's own true eye."""

    def __init__(self, rng: np.random.Generator | int | None = None, name: str = "random"):
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.name = name

    def supports_size(self, size: int) -> bool:
        return True

    def probabilities(self, board, color: int | None = None) -> np.ndarray:
        legal = board.legal_mask(color).astype(np.float64)
        total = legal.sum()
        return legal / total if total else legal

    def top_moves(self, board, n: int = 5, color: int | None = None) -> list[tuple[int, float]]:
        probs = self.probabilities(board, color)
        return [(int(p), float(probs[p])) for p in np.flatnonzero(probs)[:n]]

    def select_move(self, board, color: int | None = None, **_ignored) -> int:
        color = board.to_play if color is None else color
        candidates = np.flatnonzero(board.legal_mask(color))
        self.rng.shuffle(candidates)
        point = first_sensible(board, color, candidates)
        return board.pass_point if point is None else point


__all__ = [
    "AUTO",
    "Agent",
    "BoardSizeError",
    "ModelNotFoundError",
    "PolicyAgent",
    "RESIGN",
    "RandomAgent",
    "load_agent",
    "load_policy",
    "masked_softmax",
    "most_probable",
    "require_size",
    "resolve_model_path",
    "score_for",
]
