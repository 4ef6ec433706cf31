"""The gymnasium environment ``goengine/Go-v0``: Go against an opponent, or self-play.

>>> import gymnasium as gym, goengine            # importing goengine registers the id
>>> env = gym.make("goengine/Go-v0", size=9, opponent="random", feature_set="simple")
>>> obs, info = env.reset(seed=0)

Spaces
    observation: the feature set's planes for the player to move, ``Box(0, 1, (C, N, N),
    uint8)`` (every goengine plane is 0/1); action: ``Discrete(N*N + 1)``, a board
    point ``row * N + col`` (row 0 at the top) or ``N*N`` for pass.
    ``info["action_mask"]`` (int8, N*N + 1) marks the legal actions; pass is always
    legal.  ``info`` also carries ``to_play``, ``move_number`` and, at the end,
    ``result`` (SGF style, e.g. ``"B+3.5"``, ``"W+R"``, ``"Void"`` at the move cap),
    ``end_reason`` (``goengine.game``'s words), ``score`` (Tromp-Taylor area score,
    black minus white minus komi) and ``winner`` (1 black, 2 white, 0 draw or none).

Opponents (``opponent=``)
    ``"random"``   uniform among legal moves that do not fill its own eye (seeded by reset)
    ``"policy"``   the policy network in ``opponent_model`` (default: the shipped model),
                   greedy or sampled with ``opponent_temperature``; it may resign
    ``"search"``   the same network with the PUCT tree search (``goengine.engine.search``):
                   ``opponent_playouts`` playouts (default 32) and/or ``opponent_seconds``
                   per move, moves sampled by visits with ``opponent_temperature``; it
                   may resign.  Its tree follows the episode and is dropped at reset
    ``"self"``     self-play: the agent chooses the moves of both colours; every
                   observation is from the side to move
    any other string: a GTP engine command line, e.g. ``"gnugo --mode gtp --level 1"``
                   (engines that know ``set_random_seed``, like GNU Go, get a seed
                   from the env's generator at each reset, so seeded resets replay)
    an object with ``select_move(board)`` is used as it is (a ``SearchAgent`` with the
                   options you want, for instance); one with ``reset()`` is reset at
                   every episode's start.

Episode
    The agent plays ``agent_color`` (``"black"``, ``"white"`` or ``"random"``; reset
    ``options={"agent_color": ...}`` overrides it per episode).  Each episode is one
    ``goengine.game.Game`` (``env.game``), which decides when it ends: it terminates
    after two passes in a row, a resignation or a forfeit; it is truncated (reward 0,
    result ``Void``) after ``max_moves`` moves (default ``2 * N * N``).

Rewards
    +1 / -1 / 0 at the end by area scoring with komi, from the agent's side.  In
    self-play the reward of the final step belongs to the player who made that final
    move (the side that observed the previous observation).  Everything else is 0.

Illegal actions (``illegal_action=``)
    ``"lose"`` (default): the episode terminates at once with reward -1 for the player
    who tried it, ``info["illegal_action"] = True``, and the board is unchanged;
    ``"pass"``: the action is played as a pass; ``"raise"``: ValueError.

Render modes: ``"ansi"`` returns the board as text, ``"human"`` prints it.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from goengine.coords import BLACK, WHITE, check_size, opponent, to_gtp
from goengine.game import MOVE_CAP, Game

DEFAULT_FEATURE_SET = "alphago48"


def _parse_color(value) -> int | str:
    if value in (BLACK, WHITE):
        return int(value)
    text = str(value).strip().lower()
    if text in ("b", "black"):
        return BLACK
    if text in ("w", "white"):
        return WHITE
    if text == "random":
        return "random"
    raise ValueError(f"agent_color must be 'black', 'white' or 'random', not {value!r}")


class GoEnv(gym.Env):
    """See the module docstring."""

    metadata = {"render_modes": ["ansi", "human"], "render_fps": 4}

    def __init__(
        self,
        size: int = 19,
        komi: float = 7.5,
        feature_set: str = DEFAULT_FEATURE_SET,
        opponent="random",
        agent_color="black",
        opponent_model: str | None = None,
        opponent_temperature: float = 0.0,
        opponent_playouts: int | None = 32,
        opponent_seconds: float | None = None,
        max_moves: int | None = None,
        illegal_action: str = "lose",
        superko: bool = False,
        render_mode: str | None = None,
        gtp_timeout: float = 60.0,
        device: str = "cpu",
    ):
        from goengine.features import get_feature_set

        self.size = check_size(int(size))
        self.komi = float(komi)
        self.superko = superko
        self.features = get_feature_set(feature_set)
        self.agent_color_option = _parse_color(agent_color)
        self.max_moves = int(max_moves) if max_moves is not None else 2 * self.size * self.size
        if illegal_action not in ("lose", "pass", "raise"):
            raise ValueError("illegal_action must be 'lose', 'pass' or 'raise'")
        self.illegal_action = illegal_action
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        self.render_mode = render_mode
        points = self.size * self.size
        self.observation_space = spaces.Box(0, 1, (self.features.num_planes, self.size, self.size), np.uint8)
        self.action_space = spaces.Discrete(points + 1)

        self.self_play = False
        self.gtp = None
        self.opponent = None
        if isinstance(opponent, str) and opponent.strip().lower() == "self":
            self.self_play = True
        elif isinstance(opponent, str) and opponent.strip().lower() == "random":
            from goengine.engine.agent import RandomAgent

            self.opponent = RandomAgent()
        elif isinstance(opponent, str) and opponent.strip().lower() in ("policy", "search"):
            from goengine.engine.agent import load_agent, require_size
            from goengine.engine.search import SearchAgent, SearchConfig

            if opponent.strip().lower() == "policy":
                self.opponent = load_agent(opponent_model, device=device, temperature=opponent_temperature)
            else:
                config = SearchConfig(playouts=opponent_playouts, seconds=opponent_seconds,
                                      temperature=opponent_temperature)
                self.opponent = SearchAgent.from_model(opponent_model, device=device, config=config)
            require_size(self.opponent, self.size)
        elif isinstance(opponent, str):
            from goengine.play.gtp_client import GtpClient

            self.gtp = GtpClient(opponent, timeout=gtp_timeout)
            self.gtp.send(f"boardsize {self.size}")
            self.gtp.send(f"komi {self.komi:g}")
            self._gtp_seeds = self.gtp.known_command("set_random_seed")
        elif hasattr(opponent, "select_move"):
            self.opponent = opponent
        else:
            raise ValueError(f"unknown opponent {opponent!r}")

        self.game = self._new_game()
        self.agent_color = BLACK
        self.started = False  # step() needs a reset() first

    # -- helpers ----------------------------------------------------------------------

    def _new_game(self) -> Game:
        return Game(self.size, self.komi, superko=self.superko, max_moves=self.max_moves)

    @property
    def board(self):
        """The board of the current episode's game."""
        return self.game.board

    def _obs(self) -> np.ndarray:
        return np.array(self.features.encode_board(self.board), dtype=np.uint8, copy=True)

    def action_mask(self) -> np.ndarray:
        mask = np.ones(self.size * self.size + 1, dtype=np.int8)
        mask[:-1] = self.board.legal_mask()
        return mask

    def _info(self) -> dict:
        info = {
            "action_mask": self.action_mask(),
            "to_play": int(self.game.to_play),
            "move_number": int(self.game.move_number),
        }
        if self.game.over:
            info["result"] = self.game.result
            info["end_reason"] = self.game.end_reason
            info["score"] = float(self.game.score())
            info["winner"] = int(self.game.winner or 0)
        return info

    def _reward_for(self, color: int) -> float:
        winner = self.game.winner
        if winner is None:
            return 0.0
        return 1.0 if winner == color else -1.0

    def _opponent_move(self) -> None:
        """Let the opponent move for the side to play (not in self-play)."""
        color = self.game.to_play
        if self.gtp is not None:
            from goengine.play.gtp_client import GtpEngineError, GtpError

            try:
                move = self.gtp.genmove(color, self.size)
            except (GtpError, GtpEngineError) as exc:
                self.game.forfeit(color, str(exc))
                return
            if move == "resign":
                self.game.resign(color)
                return
        else:
            from goengine.engine.agent import RESIGN

            move = self.opponent.select_move(self.board)
            if move == RESIGN:
                self.game.resign(color)
                return
        reason = self.board.illegal_reason(move)
        if reason is not None:
            self.game.forfeit(color, f"illegal move {to_gtp(move, self.size)} ({reason})")
            return
        self.game.play(move)

    def _tell_engine(self, point: int, color: int) -> None:
        """Forward our move to the GTP opponent; if that fails, the engine forfeits."""
        if self.gtp is None or self.game.over:
            return
        from goengine.play.gtp_client import GtpEngineError, GtpError

        try:
            self.gtp.play(color, point, self.size)
        except (GtpError, GtpEngineError) as exc:
            self.game.forfeit(opponent(color), str(exc))

    # -- gymnasium API ------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        color = _parse_color(options.get("agent_color", self.agent_color_option))
        if color == "random":
            color = BLACK if self.np_random.integers(2) == 0 else WHITE
        self.agent_color = color
        self.game = self._new_game()
        self.started = True
        if self.opponent is not None and hasattr(self.opponent, "rng"):
            self.opponent.rng = self.np_random  # reproducible under reset(seed=...)
        if self.opponent is not None and hasattr(self.opponent, "reset"):
            self.opponent.reset()  # a new game: a search's tree of the last one is no use
        if self.gtp is not None:
            self.gtp.send("clear_board")
            if self._gtp_seeds:  # e.g. GNU Go: reproducible under reset(seed=...)
                self.gtp.send(f"set_random_seed {int(self.np_random.integers(1, 2**31))}")
        if not self.self_play and self.agent_color != self.game.to_play:
            self._opponent_move()
        if self.render_mode == "human":
            self.render()
        return self._obs(), self._info()

    def step(self, action):
        if not self.started:
            raise RuntimeError("call reset() before step()")
        if self.game.over:
            raise RuntimeError("the game is over: call reset() before step()")
        action = int(action)
        points = self.size * self.size
        if not 0 <= action <= points:
            raise ValueError(f"action {action} is outside 0..{points}")
        mover = self.game.to_play
        illegal = action < points and not self.board.is_legal(action)
        if illegal and self.illegal_action == "raise":
            raise ValueError(
                f"illegal action {action} ({to_gtp(action, self.size)}: {self.board.illegal_reason(action)})"
            )
        if illegal and self.illegal_action == "lose":
            self.game.forfeit(mover, f"illegal action {to_gtp(action, self.size)}")
            info = self._info()
            info["illegal_action"] = True
            return self._obs(), -1.0, True, False, info
        point = self.board.pass_point if illegal else action
        self.game.play(point)
        self._tell_engine(point, mover)
        if not self.game.over and not self.self_play:
            self._opponent_move()
        truncated = self.game.end_reason == MOVE_CAP
        terminated = self.game.over and not truncated
        me = mover if self.self_play else self.agent_color
        reward = self._reward_for(me) if terminated else 0.0
        if self.render_mode == "human":
            self.render()
        info = self._info()
        if illegal:
            info["illegal_action"] = True
        return self._obs(), reward, terminated, truncated, info

    def render(self):
        from goengine.render import render_board

        text = render_board(self.board)
        if self.game.over:
            text += f"\nResult: {self.game.result}"
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self):
        if self.gtp is not None:
            self.gtp.close()
            self.gtp = None
