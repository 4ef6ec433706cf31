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
    ``result`` (SGF style, e.g. ``"B+3.5"``, ``"W+R"``), ``score`` (Tromp-Taylor area
    score, black minus white minus komi) and ``winner`` (1 black, 2 white, 0 draw).

Opponents (``opponent=``)
    ``"random"``   uniform among legal moves that do not fill its own eye (seeded by reset)
    ``"policy"``   the policy network in ``opponent_model`` (default: the shipped model),
                   greedy or sampled with ``opponent_temperature``; it may resign
    ``"self"``     self-play: the agent chooses the moves of both colours; every
                   observation is from the side to move
    any other string: a GTP engine command line, e.g. ``"gnugo --mode gtp --level 1"``
                   (engines that know ``set_random_seed``, like GNU Go, get a seed
                   from the env's generator at each reset, so seeded resets replay)
    an object with ``select_move(board)`` is used as it is.

Episode
    The agent plays ``agent_color`` (``"black"``, ``"white"`` or ``"random"``; reset
    ``options={"agent_color": ...}`` overrides it per episode).  The episode terminates
    after two passes in a row or a resignation; it is truncated (reward 0) after
    ``max_moves`` moves (default ``2 * N * N``).

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

ENV_ID = "goengine/Go-v0"
DEFAULT_FEATURE_SET = "alphago48"


def register_envs() -> None:
    """Register ``goengine/Go-v0`` with gymnasium (safe to call more than once)."""
    from gymnasium.envs.registration import registry

    if ENV_ID not in registry:
        gym.register(id=ENV_ID, entry_point="goengine.play.env:GoEnv", disable_env_checker=False)


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
            from goengine.play.agent import RandomAgent

            self.opponent = RandomAgent()
        elif isinstance(opponent, str) and opponent.strip().lower() == "policy":
            from goengine.play.agent import load_agent

            self.opponent = load_agent(opponent_model, device=device, temperature=opponent_temperature)
            if not self.opponent.supports_size(self.size):
                raise ValueError(
                    f"the opponent model plays {self.opponent.board_size}x{self.opponent.board_size} only, "
                    f"not {self.size}x{self.size}"
                )
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

        from goengine.board import Board

        self.board = Board(self.size, self.komi, superko=self.superko)
        self.agent_color = BLACK
        self.done = True
        self.result = ""
        self.winner = None

    # -- helpers ----------------------------------------------------------------------

    def _obs(self) -> np.ndarray:
        return np.array(self.features.encode_board(self.board), dtype=np.uint8, copy=True)

    def action_mask(self) -> np.ndarray:
        mask = np.ones(self.size * self.size + 1, dtype=np.int8)
        mask[:-1] = self.board.legal_mask()
        return mask

    def _info(self) -> dict:
        info = {
            "action_mask": self.action_mask(),
            "to_play": int(self.board.to_play),
            "move_number": int(self.board.move_number),
        }
        if self.done and self.result:
            info["result"] = self.result
            info["score"] = float(self.board.area_score())
            info["winner"] = int(self.winner or 0)
        return info

    def _end_by_score(self) -> None:
        score = self.board.area_score()
        self.winner = BLACK if score > 0 else WHITE if score < 0 else 0
        self.result = self.board.result()
        self.done = True

    def _end_by_resignation(self, loser: int, why: str = "R") -> None:
        self.winner = opponent(loser)
        self.result = f"{'B' if self.winner == BLACK else 'W'}+{why}"
        self.done = True

    def _reward_for(self, color: int) -> float:
        if not self.winner:
            return 0.0
        return 1.0 if self.winner == color else -1.0

    def _opponent_move(self) -> None:
        """Let the opponent move for board.to_play (not in self-play)."""
        color = self.board.to_play
        if self.gtp is not None:
            from goengine.play.gtp_client import GtpEngineError, GtpError

            try:
                move = self.gtp.genmove(color, self.size)
            except (GtpError, GtpEngineError):
                self._end_by_resignation(color, "F")  # forfeit: the engine failed
                return
            if move == "resign":
                self._end_by_resignation(color)
                return
        else:
            from goengine.play.agent import RESIGN

            move = self.opponent.select_move(self.board)
            if move == RESIGN:
                self._end_by_resignation(color)
                return
        if not self.board.is_legal(move):
            self._end_by_resignation(color, "F")  # an opponent's illegal move forfeits
            return
        self.board.play(move)
        if self.board.consecutive_passes >= 2:
            self._end_by_score()

    def _tell_engine(self, point: int, color: int) -> bool:
        """Forward our move to the GTP opponent; False (and forfeit) if it fails."""
        if self.gtp is None:
            return True
        from goengine.play.gtp_client import GtpEngineError, GtpError

        try:
            self.gtp.play(color, point, self.size)
        except (GtpError, GtpEngineError):
            self._end_by_resignation(opponent(color), "F")
            return False
        return True

    # -- gymnasium API ------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        from goengine.board import Board

        options = options or {}
        color = _parse_color(options.get("agent_color", self.agent_color_option))
        if color == "random":
            color = BLACK if self.np_random.integers(2) == 0 else WHITE
        self.agent_color = color
        self.board = Board(self.size, self.komi, superko=self.superko)
        self.done = False
        self.result = ""
        self.winner = None
        if self.opponent is not None and hasattr(self.opponent, "rng"):
            self.opponent.rng = self.np_random  # reproducible under reset(seed=...)
        if self.gtp is not None:
            self.gtp.send("clear_board")
            if self._gtp_seeds:  # e.g. GNU Go: reproducible under reset(seed=...)
                self.gtp.send(f"set_random_seed {int(self.np_random.integers(1, 2**31))}")
        if not self.self_play and self.agent_color != self.board.to_play:
            self._opponent_move()
        if self.render_mode == "human":
            self.render()
        return self._obs(), self._info()

    def step(self, action):
        if self.done and self.result:
            raise RuntimeError("the game is over: call reset() before step()")
        if self.done:
            raise RuntimeError("call reset() before step()")
        action = int(action)
        points = self.size * self.size
        if not 0 <= action <= points:
            raise ValueError(f"action {action} is outside 0..{points}")
        mover = self.board.to_play
        illegal = action < points and not self.board.is_legal(action)
        if illegal and self.illegal_action == "raise":
            raise ValueError(
                f"illegal action {action} ({to_gtp(action, self.size)}: {self.board.illegal_reason(action)})"
            )
        if illegal and self.illegal_action == "lose":
            self._end_by_resignation(mover, "F")
            info = self._info()
            info["illegal_action"] = True
            return self._obs(), -1.0, True, False, info
        point = self.board.pass_point if illegal else action
        self.board.play(point)
        if self._tell_engine(point, mover) and self.board.consecutive_passes >= 2:
            self._end_by_score()
        if not self.done and not self.self_play:
            self._opponent_move()
        truncated = False
        if not self.done and self.board.move_number >= self.max_moves:
            truncated = True
            self.done = True
        me = mover if self.self_play else self.agent_color
        reward = self._reward_for(me) if self.result else 0.0
        terminated = bool(self.result)
        if self.render_mode == "human":
            self.render()
        info = self._info()
        if illegal:
            info["illegal_action"] = True
        if truncated:
            info["score"] = float(self.board.area_score())
        return self._obs(), reward, terminated, truncated, info

    def render(self):
        from goengine.render import render_board

        text = render_board(self.board)
        if self.result:
            text += f"\nResult: {self.result}"
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self):
        if self.gtp is not None:
            self.gtp.close()
            self.gtp = None

    # -- records --------------------------------------------------------------------------

    def game_record(self, black: str = "", white: str = ""):
        """The current game as a ``goengine.sgf.GameRecord``."""
        from goengine.play.records import game_record

        return game_record(self.board, black=black, white=white, result=self.result)
