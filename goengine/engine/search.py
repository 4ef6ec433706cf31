"""PUCT tree search (AlphaGo Zero's), with batched network evaluation.

The tree
    A ``Node`` is one position.  Once the evaluator has seen it, it holds arrays over its
    candidate moves: the moves, their priors, and per move the visits and the summed
    value *from the node's side to move*; child nodes are made when the search first
    walks into them.  Only the root keeps a Board.  A new leaf gets its Board by
    replaying the walk's moves on a copy of the root's (a few ``play`` calls, cheap
    beside a network evaluation) and drops it once expanded.  Measured on 19x19, a tree
    then costs ~5 KB per playout, against ~37 KB with a Board (and its undo history) in
    every node, which would fill the memory in a long GUI analysis.

    Candidates are the moves with a positive prior (the evaluator gives exactly the
    legal ones that), less the moves that fill one of the mover's own true eyes
    (``Board.is_eye``), plus pass.
    Legality is the Board's: with ``superko`` on, a move that repeats a position is
    never a child; with simple ko only, the immediate recapture (the position two plies
    back) is illegal, as it is in the game.

Selection
    From the root, take at each node the move with the largest ``Q + U``:
    ``Q = W / n`` (mean value for the node's side to move; ``W``, ``n`` include virtual
    loss) and ``U = c_puct * P * sqrt(max(N, 1)) / (1 + n)``, ``N`` the sum of the
    node's move visits.  ``max(N, 1)`` lets the priors order the moves of a node that
    has no visits yet, where AlphaGo Zero's ``sqrt(N) = 0`` would leave only ties.
    A move not visited yet gets the *first-play value*
    ``Q = Q(node) - fpu_reduction * sqrt(prior mass of the node's visited moves)``: a
    little worse than the node itself, so that the moves already read are preferred to
    moves the network rates lower.  The reduction grows with the prior mass already
    explored (Leela Zero's idea): while only unlikely moves have been tried, as under a
    flat prior, untried moves stay nearly as good as the node and the search widens.

Batches and virtual loss
    A batch collects up to ``batch_size`` leaves before one evaluator call.  Each path
    taken gets a virtual loss (``virtual_loss`` visits of value -1 on every move of the
    path) until its leaf is evaluated, so the next walk prefers other leaves.  A walk
    that ends on a leaf already in the batch ends the batch early.

Backup
    A leaf's value is from its side to move; going up, it flips sign at every ply,
    since the side to move alternates (pass is a move).  A leaf after two passes is
    terminal: its value is the exact Tromp-Taylor result (+1 / -1 / 0), never the network's.

Budget
    ``playouts`` (new walks from the root, each adding one visit; visits already in a
    reused tree do not count)
    and/or ``seconds``.  The time check is predictive: no batch starts that the last
    batch's duration says would end after the deadline.  With ``early_stop`` the search
    ends as soon as the most visited move can no longer be overtaken by the playouts
    left (under a time budget: the playouts the current rate would still fit in).  A
    tree never grows past ``max_tree_visits`` root visits (at most one node per visit),
    which bounds its memory however long an analysis runs.

``SearchAgent`` is the Agent the front doors use; see its docstring for pass,
resignation, tree reuse and ``playouts 0``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from goengine.coords import EMPTY
from goengine.engine.agent import (
    AUTO,
    RESIGN,
    load_policy,
    most_probable,
    opponent_just_passed,
    require_size,
    score_for,
)
from goengine.engine.analysis import MoveInfo, PolicyAnalyzer, SearchAnalyzer
from goengine.engine.evaluator import NetworkEvaluator, has_value_head, terminal_value

LCB_Z = 1.96  # the lower confidence bound reported per move is winrate - LCB_Z * its standard error


@dataclass(frozen=True)
class SearchConfig:
    """The knobs of one search agent.

    ``playouts``: new playouts per move; 0 plays the raw network (see SearchAgent), None
    means no playout cap (then ``seconds`` must be given).  ``seconds``: thinking time per
    move, None for none.  ``max_tree_visits``: the search stops when the root has that many
    visits (~5 KB each on 19x19: the default bounds a tree near 2.5 GB).  ``resign_threshold``: resign when the root's winrate and the best
    move's both fall below it (None: never resign); not before ``resign_min_moves`` moves
    (``"auto"``: half the board's points).  ``temperature``: 0 plays the most visited move,
    otherwise moves are sampled with probability proportional to ``visits ** (1 / temperature)``.
    """

    playouts: int | None = 32
    seconds: float | None = None
    batch_size: int = 8
    c_puct: float = 1.5
    fpu_reduction: float = 0.25
    virtual_loss: float = 1.0
    early_stop: bool = True
    reuse_tree: bool = True
    max_tree_visits: int = 500_000
    resign_threshold: float | None = 0.05
    resign_min_moves: int | str = AUTO
    pass_when_winning: bool = True
    temperature: float = 0.0

    def __post_init__(self) -> None:
        if self.playouts is None and self.seconds is None:
            raise ValueError("a search needs a budget: playouts, seconds or both")
        if self.playouts is not None and self.playouts < 0:
            raise ValueError(f"playouts must be >= 0, got {self.playouts}")
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError(f"seconds must be > 0, got {self.seconds}")
        if self.batch_size < 1 or self.max_tree_visits < 1:
            raise ValueError("batch_size and max_tree_visits must be >= 1")
        if not self.c_puct > 0 or self.virtual_loss < 0 or self.temperature < 0:
            raise ValueError("c_puct must be > 0, virtual_loss and temperature >= 0")
        if self.resign_threshold is not None and not 0 <= self.resign_threshold < 1:
            raise ValueError(f"resign_threshold is a winrate in [0, 1), got {self.resign_threshold}")


# --------------------------------------------------------------------------- the tree


def own_eyes(board, color: int) -> np.ndarray:
    """bool [N*N]: the points that are true eyes of ``color`` (``Board.is_eye`` decides;
    a vectorised test of the four neighbours first spares it the points that cannot be)."""
    size = board.size
    grid = np.pad(board.stones.reshape(size, size), 1, constant_values=color)  # the edge counts as own
    walled = ((grid[1:-1, 1:-1] == EMPTY) & (grid[:-2, 1:-1] == color) & (grid[2:, 1:-1] == color)
              & (grid[1:-1, :-2] == color) & (grid[1:-1, 2:] == color)).reshape(-1)
    for point in np.flatnonzero(walled):
        walled[point] = board.is_eye(int(point), color)
    return walled


class Node:
    """One position of the tree; the per-move arrays exist once it is expanded.

    ``board`` is the position while the node needs it (the root always; a leaf until it
    is expanded), else None.  ``children`` maps a move's index to its node, for the moves
    the search has walked into.
    """

    __slots__ = ("board", "terminal", "pending", "visits", "value_sum",
                 "moves", "priors", "child_visits", "child_value", "children")

    def __init__(self, board):
        # exact result for the side to move after two passes, else None
        self.terminal: float | None = terminal_value(board) if board.consecutive_passes >= 2 else None
        self.board = board if self.terminal is None else None
        self.pending = False  # waiting in a batch for the evaluator
        self.visits = 0
        self.value_sum = 0.0  # from this node's side to move
        self.moves: np.ndarray | None = None

    @property
    def expanded(self) -> bool:
        return self.moves is not None

    def expand(self, priors: np.ndarray) -> None:
        """Make the candidate moves from the evaluator's priors (see the module docstring)."""
        board = self.board
        points = np.flatnonzero((priors[:-1] > 0) & ~own_eyes(board, board.to_play))
        self.moves = np.append(points, board.pass_point).astype(np.int16)
        chosen = priors[self.moves].astype(np.float32)
        self.priors = chosen / chosen.sum()
        self.child_visits = np.zeros(self.moves.size, np.float32)
        self.child_value = np.zeros(self.moves.size, np.float32)  # summed, from this node's side to move
        self.children: dict[int, Node] = {}

    def child_for(self, move: int) -> "Node | None":
        """The child node reached by ``move``, if the search has made it."""
        if not self.expanded:
            return None
        found = np.flatnonzero(self.moves == move)
        return self.children.get(int(found[0])) if found.size else None

    def ranked(self) -> np.ndarray:
        """Indices of the moves, most visited first, ties by prior."""
        return np.lexsort((-self.priors, -self.child_visits))


def puct_scores(node: Node, c_puct: float, fpu_reduction: float) -> np.ndarray:
    """``Q + U`` of each of the node's moves (the selection rule in the module docstring)."""
    visits = node.child_visits
    explored = math.sqrt(node.priors[visits > 0].sum())
    first_play = node.value_sum / max(node.visits, 1) - fpu_reduction * explored
    q = np.where(visits > 0, node.child_value / np.maximum(visits, 1e-9), first_play)
    u = c_puct * node.priors * math.sqrt(max(visits.sum(), 1.0)) / (1.0 + visits)
    return q + u


def winrate(value: float) -> float:
    """A value in [-1, 1] as a winrate in [0, 1]."""
    return float(value + 1.0) / 2.0


@dataclass(frozen=True)
class SearchResult:
    """The root after a search: its visited moves (best first; ``MoveInfo`` of
    ``goengine.engine.analysis``, winrates for the side to move at the root, ``lcb`` the
    winrate less LCB_Z standard errors), totals and the visits per move
    (``visit_counts`` int64 [N*N + 1], pass last) for self-play records."""

    to_play: int
    moves: tuple[MoveInfo, ...]
    root_visits: int
    root_winrate: float
    playouts: int
    seconds: float
    visit_counts: np.ndarray = field(repr=False)

    def visit_distribution(self) -> np.ndarray:
        """float32 [N*N + 1]: the root's visits as a distribution (all zeros without visits)."""
        total = self.visit_counts.sum()
        return (self.visit_counts / total if total else self.visit_counts).astype(np.float32)


class Search:
    """A PUCT tree over one game's positions (see the module docstring)."""

    def __init__(self, evaluator, config: SearchConfig):
        self.evaluator = evaluator
        self.config = config
        self.root: Node | None = None

    # -- the root ---------------------------------------------------------------------

    def set_root(self, board) -> Node:
        """Make ``board`` the root: the matching node of the current tree when the game
        went on from it along moves the tree holds (its visits are kept), else a new node."""
        node = self._follow(board) if self.config.reuse_tree else None
        if node is None:
            node = Node(board.copy())
        else:
            node.board = board.copy()
        self.root = node
        return node

    def _follow(self, board) -> Node | None:
        node = self.root
        if node is None:
            return None
        known = node.board.history
        if len(board.history) < len(known) or board.history[: len(known)] != known:
            return None
        replay = node.board.copy()
        for color, point in board.history[len(known):]:
            node = node.child_for(point) if color == replay.to_play else None
            if node is None:
                return None
            replay.play(point, color)
        return node if same_position(replay, board) else None

    # -- running --------------------------------------------------------------------------

    def run(self, playouts: int | None = None, seconds: float | None = None,
            stop: Callable[[], bool] | None = None, early_stop: bool = False,
            started: float | None = None) -> int:
        """Search from the root until a budget is spent (``playouts``, ``seconds`` counted
        from ``started``, default now), ``stop()`` says so, or (``early_stop``) the best
        move is settled.  Returns the playouts done."""
        if playouts is None and seconds is None and stop is None:
            raise ValueError("an unbounded search needs a stop() callback")
        started = time.monotonic() if started is None else started
        root = self.root
        if root.terminal is not None:
            return 0
        if not root.expanded:
            self._evaluate([([], root)])
        done, batch_time = 0, 0.0
        while True:
            now = time.monotonic()
            left = min(math.inf if playouts is None else playouts - done,
                       self.config.max_tree_visits - root.visits)
            settle_left = left  # the playouts that could still change the best move
            if seconds is not None:
                time_left = seconds - (now - started)
                if time_left <= batch_time:
                    break
                if done:
                    settle_left = min(left, done / max(now - started, 1e-9) * time_left)
            if left <= 0 or (stop is not None and stop()) or (early_stop and self._settled(settle_left)):
                break
            done += self._playout_batch(int(min(self.config.batch_size, left)))
            batch_time = time.monotonic() - now
        return done

    def _settled(self, playouts_left: float) -> bool:
        """True when no other root move can catch up with the most visited one."""
        visits = self.root.child_visits
        if visits.size < 2:
            return True
        second, best = np.partition(visits, visits.size - 2)[-2:]
        return best - second > playouts_left

    def _playout_batch(self, limit: int) -> int:
        leaves: list[tuple[list, Node]] = []
        done = 0
        for _ in range(limit):
            path, leaf = self._select()
            if leaf.terminal is not None:
                self._backup(path, leaf, leaf.terminal)
                done += 1
            elif leaf.pending:
                break
            else:
                leaf.pending = True
                self._virtual_loss(path, self.config.virtual_loss)
                leaves.append((path, leaf))
        if leaves:
            self._evaluate(leaves)
        return done + len(leaves)

    def _select(self) -> tuple[list, Node]:
        node, path = self.root, []
        c_puct, fpu = self.config.c_puct, self.config.fpu_reduction
        while node.expanded:
            index = int(np.argmax(puct_scores(node, c_puct, fpu)))
            path.append((node, index))
            child = node.children.get(index)
            if child is None:
                child = node.children[index] = Node(self._board_after(path))
            node = child
        return path, node

    def _board_after(self, path: list):
        """The root's board with the moves of ``path`` played."""
        board = self.root.board.copy()
        for node, index in path:
            board.play(int(node.moves[index]))
        return board

    def _evaluate(self, leaves: list[tuple[list, Node]]) -> None:
        priors, values = self.evaluator.evaluate([leaf.board for _, leaf in leaves])
        for (path, leaf), row, value in zip(leaves, priors, values):
            leaf.expand(row)
            leaf.pending = False
            if leaf is not self.root:
                leaf.board = None
            self._virtual_loss(path, -self.config.virtual_loss)
            self._backup(path, leaf, float(value))

    @staticmethod
    def _virtual_loss(path: list, amount: float) -> None:
        """Add (or, with a negative amount, take back) ``amount`` lost visits along ``path``."""
        for node, index in path:
            node.child_visits[index] += amount
            node.child_value[index] -= amount

    @staticmethod
    def _backup(path: list, leaf: Node, value: float) -> None:
        """``value`` (the leaf's side to move) up the path, flipping sign at every ply."""
        leaf.visits += 1
        leaf.value_sum += value
        for node, index in reversed(path):
            value = -value
            node.child_visits[index] += 1
            node.child_value[index] += value
            node.visits += 1
            node.value_sum += value

    # -- reading the tree -----------------------------------------------------------------

    def principal_variation(self, node: Node, length: int) -> list[int]:
        """The most visited line from ``node``, up to ``length`` moves."""
        line: list[int] = []
        while node is not None and node.expanded and len(line) < length:
            best = int(node.ranked()[0])
            if node.child_visits[best] <= 0:
                break
            line.append(int(node.moves[best]))
            node = node.children.get(best)
        return line

    def result(self, playouts: int = 0, seconds: float = 0.0, max_moves: int | None = None,
               pv_length: int = 10) -> SearchResult:
        """The root's visited moves, best first (at most ``max_moves``), and its totals."""
        root = self.root
        counts = np.zeros(root.board.pass_point + 1, dtype=np.int64)
        infos: list[MoveInfo] = []
        if root.expanded:
            counts[root.moves] = np.rint(root.child_visits).astype(np.int64)
            for index in root.ranked():
                visits = int(counts[root.moves[index]])
                if visits == 0 or (max_moves is not None and len(infos) >= max_moves):
                    break
                rate = winrate(root.child_value[index] / visits)
                spread = LCB_Z * math.sqrt(rate * (1.0 - rate) / visits)
                pv = [int(root.moves[index])] + self.principal_variation(root.children.get(int(index)), pv_length - 1)
                infos.append(MoveInfo(int(root.moves[index]), visits, rate, float(root.priors[index]),
                                      tuple(pv), len(infos), max(rate - spread, 0.0)))
        return SearchResult(
            to_play=root.board.to_play,
            moves=tuple(infos),
            root_visits=root.visits,
            root_winrate=winrate(root.value_sum / root.visits if root.visits else root.terminal or 0.0),
            playouts=playouts,
            seconds=seconds,
            visit_counts=counts,
        )


def same_position(a, b) -> bool:
    """True when two boards are the same position for the rules (stones, mover, ko, komi)."""
    return (a.size == b.size and a.komi == b.komi and a.superko == b.superko and a.to_play == b.to_play
            and a.ko_point == b.ko_point and a.zobrist == b.zobrist and np.array_equal(a.stones, b.stones))


def position_for(board, color: int):
    """``board`` with ``color`` to move: the board itself, or a copy where the other side
    moves out of turn (GTP allows ``genmove`` for either colour); the simple-ko point then
    lapses, since it binds only the player who would have moved next."""
    if color == board.to_play:
        return board
    other = board.copy()
    other.to_play = color
    other.ko_point = -1
    return other


# --------------------------------------------------------------------------- the agent


class SearchAgent:
    """Chooses moves by PUCT search; the same Agent protocol as PolicyAgent.

    * ``playouts 0`` hands the move to the network's own ``PolicyAgent`` (the evaluator's
      ``policy_agent``), so it is exactly the raw network's move, with that agent's pass
      and area-score resignation rules.  An evaluator without one plays its highest prior.
    * **Pass.**  Right after the opponent's pass, when the area score already wins, it
      passes without searching (passing ends the game with that result).  It never passes
      while the area score does not win and a candidate move exists (a pass the search
      prefers is replaced by its best other move); kgs-genmove_cleanup's
      ``allow_early_pass=False`` forbids passing while any candidate move exists.  Own true
      eyes are never candidates.
    * **Resignation** when the root's winrate and its most visited move's winrate both
      fall below ``resign_threshold`` after at least ``resign_min_moves`` moves.
    * **Tree reuse.**  The tree is kept between moves; the next search starts from the
      node of the new position when the moves played since (ours and the opponent's) are
      in the tree, and from a fresh tree otherwise (``reset`` drops it, e.g. for a new game).
    * ``last_result`` holds the last search's ``SearchResult`` (root visits for self-play
      records; None after a move made without search).
    """

    def __init__(self, evaluator, config: SearchConfig | None = None, *, name: str | None = None,
                 rng: np.random.Generator | int | None = None):
        self.evaluator = evaluator
        self.config = config or SearchConfig()
        self.search = Search(evaluator, self.config)
        self.raw_agent = getattr(evaluator, "policy_agent", None)
        self.name = name or getattr(evaluator, "name", "search")
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.last_result: SearchResult | None = None

    @classmethod
    def from_model(cls, path=None, device: str = "cpu", config: SearchConfig | None = None,
                   rng: np.random.Generator | int | None = None, **options) -> "SearchAgent":
        """A SearchAgent on the model file ``path`` (default: the shipped model);
        ``options`` are SearchConfig fields when no ``config`` is given."""
        model, info = load_policy(path, device=device)
        evaluator = NetworkEvaluator.from_model(model, info, device=device)
        return cls(evaluator, config or SearchConfig(**options), rng=rng)

    @property
    def board_size(self) -> int | None:
        return getattr(self.evaluator, "board_size", None)

    @property
    def info(self) -> dict:
        """The model file's description (as PolicyAgent.info); empty for a bare evaluator."""
        return getattr(self.raw_agent, "info", {})

    @property
    def feature_set(self):
        return getattr(self.evaluator, "feature_set", None)

    def supports_size(self, size: int) -> bool:
        return self.evaluator.supports_size(size)

    def reset(self) -> None:
        """Forget the tree (a new game)."""
        self.search.root = None

    # -- the network's view, without a search (hints, GoGui's policy boards, handicap) -----

    def probabilities(self, board, color: int | None = None) -> np.ndarray:
        """The evaluator's priors over the board points for ``color`` (default: side to
        move) without pass, renormalised: the policy network's probabilities, as
        PolicyAgent.probabilities gives them."""
        color = board.to_play if color is None else color
        require_size(self, board.size)
        priors, _ = self.evaluator.evaluate([position_for(board, color)])
        points = priors[0, :-1].astype(np.float64)
        total = points.sum()
        return points / total if total > 0 else points

    def top_moves(self, board, n: int = 5, color: int | None = None) -> list[tuple[int, float]]:
        """The ``n`` most probable legal points with their probabilities, best first."""
        return most_probable(self.probabilities(board, color), n)

    # -- searching ------------------------------------------------------------------------

    def analyze(self, board, color: int | None = None, *, playouts: int | None = None,
                seconds: float | None = None, stop: Callable[[], bool] | None = None,
                max_moves: int | None = None) -> SearchResult:
        """Search ``board`` for ``color`` (default: side to move) and report the root; the
        budgets default to the config's, and the search runs them out (no early stop)."""
        color = board.to_play if color is None else color
        if playouts is None and seconds is None and stop is None:
            playouts, seconds = self.config.playouts, self.config.seconds
        return self._search(position_for(board, color), playouts, seconds, stop, False, max_moves)

    def _search(self, board, playouts, seconds, stop, early_stop, max_moves=None) -> SearchResult:
        require_size(self, board.size)
        started = time.monotonic()
        self.search.set_root(board)
        done = self.search.run(playouts, seconds, stop, early_stop, started)
        self.last_result = self.search.result(done, time.monotonic() - started, max_moves)
        return self.last_result

    # -- move choice ----------------------------------------------------------------------

    def select_move(self, board, color: int | None = None, *, allow_resign: bool = True,
                    allow_early_pass: bool = True, temperature: float | None = None,
                    playouts: int | None = None, seconds: float | None = None) -> int:
        """A point, ``board.pass_point`` or ``RESIGN`` for ``color`` (default: side to move);
        ``playouts``/``seconds`` override the config's budget for this move (the GTP clock)."""
        color = board.to_play if color is None else color
        require_size(self, board.size)
        if playouts is None and seconds is None:
            playouts, seconds = self.config.playouts, self.config.seconds
        temperature = self.config.temperature if temperature is None else temperature
        if playouts == 0 and self.raw_agent is not None:
            self.last_result = None
            return self.raw_agent.select_move(board, color, allow_resign=allow_resign,
                                              allow_early_pass=allow_early_pass, temperature=temperature)
        winning = score_for(board, color) > 0
        if allow_early_pass and self.config.pass_when_winning and winning and opponent_just_passed(board, color):
            self.last_result = None
            return board.pass_point
        self._search(position_for(board, color), playouts, seconds, None, self.config.early_stop)
        root = self.search.root
        if root.terminal is not None:
            return board.pass_point
        if allow_resign and self._should_resign(root):
            return RESIGN
        ranked = root.ranked()
        index = self._sample(root, temperature) if temperature > 0 else int(ranked[0])
        if root.moves[index] == board.pass_point and (not allow_early_pass or not winning):
            others = ranked[root.moves[ranked] != board.pass_point]
            index = int(others[0]) if others.size else index
        return int(root.moves[index])

    def _sample(self, root: Node, temperature: float) -> int:
        weights = root.child_visits if root.child_visits.sum() > 0 else root.priors
        weights = weights ** (1.0 / temperature)
        return int(self.rng.choice(weights.size, p=weights / weights.sum()))

    def _should_resign(self, root: Node) -> bool:
        threshold = self.config.resign_threshold
        if threshold is None or root.visits == 0:
            return False
        board = root.board
        min_moves = (board.pass_point // 2 if self.config.resign_min_moves == AUTO
                     else int(self.config.resign_min_moves))
        best = int(root.ranked()[0])
        if board.move_number < min_moves or root.child_visits[best] < 1:
            return False
        best_rate = winrate(root.child_value[best] / root.child_visits[best])
        return winrate(root.value_sum / root.visits) < threshold and best_rate < threshold



def analyzer_for(agent, playouts: int | None = None, pv_length: int = 6):
    """The analyzer a GUI front door (GTP analysis commands, KataGo JSON) uses for ``agent``.

    A searching agent is analysed by its own tree.  An agent that plays the raw network
    but whose network has a value head is analysed by a tree search on that same
    network: analysis exists to show winrates, and the value head gives real ones even
    when moves are played without reading ahead.  Only a policy-only network falls back
    to the PolicyAnalyzer and its neutral 50%.  ``playouts`` caps each analysis call
    (KataGo's maxVisits); ``pv_length`` is the PolicyAnalyzer's variation length.
    """
    if isinstance(agent, SearchAgent):
        return SearchAnalyzer(agent, playouts=playouts)
    if has_value_head(getattr(agent, "model", None)):
        searcher = SearchAgent(NetworkEvaluator(agent), SearchConfig(playouts=playouts or SearchConfig.playouts))
        return SearchAnalyzer(searcher, playouts=playouts)
    return PolicyAnalyzer(agent, pv_length=pv_length, **({} if playouts is None else {"visits_scale": playouts}))

__all__ = [
    "analyzer_for",
    "Node",
    "Search",
    "SearchAgent",
    "SearchConfig",
    "SearchResult",
    "own_eyes",
    "position_for",
    "puct_scores",
    "same_position",
    "winrate",
]
