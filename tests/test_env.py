"""The gymnasium environment goengine/Go-v0 and self-play to SGF."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from click.testing import CliRunner
from gymnasium.utils.env_checker import check_env

from goengine.board import Board
from goengine.coords import BLACK, WHITE
from goengine.nn.modelfile import load_model
from goengine.engine.agent import PolicyAgent
from goengine.play.env import GoEnv
from goengine.play.registration import ENV_ID, register_envs
from goengine.sgf import read_game

register_envs()  # `import goengine` does this too; calling it again is harmless

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def make(**kwargs):
    kwargs.setdefault("size", 9)
    kwargs.setdefault("feature_set", "simple")
    return gym.make(ENV_ID, **kwargs)


def random_legal(info, rng):
    return int(rng.choice(np.flatnonzero(info["action_mask"])))


def play_out(env, seed=0):
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    while True:
        obs, reward, terminated, truncated, info = env.step(random_legal(info, rng))
        assert obs in env.observation_space
        if terminated or truncated:
            return reward, terminated, truncated, info


def test_registered_and_spaces():
    env = make()
    assert env.observation_space.shape == (12, 9, 9) and env.observation_space.dtype == np.uint8
    assert env.action_space.n == 82
    obs, info = env.reset(seed=0)
    assert obs.shape == (12, 9, 9) and obs.dtype == np.uint8
    assert info["action_mask"].shape == (82,) and info["action_mask"].all()
    assert info["to_play"] == BLACK and info["move_number"] == 0
    env.close()


@pytest.mark.parametrize("opponent", ["random", "self"])
def test_check_env(opponent):
    env = make(opponent=opponent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped)
    env.close()


def test_random_opponent_game_reward_matches_result():
    env = make(opponent="random", agent_color="white")
    obs, info = env.reset(seed=3)
    assert info["move_number"] == 1  # the opponent (black) has moved
    reward, terminated, truncated, info = play_out(env, seed=3)
    assert terminated and not truncated
    winner = info["winner"]
    assert reward == (0.0 if winner == 0 else (1.0 if winner == WHITE else -1.0))
    assert info["result"][0] in "BW0"
    record = env.unwrapped.game.record()
    assert record.size == 9 and record.result == info["result"]
    env.close()


def test_self_play_reward_belongs_to_the_last_mover():
    env = make(opponent="self")
    obs, info = env.reset(seed=0)
    env.step(81)  # black passes
    obs, reward, terminated, truncated, info = env.step(81)  # white passes: white wins by komi
    assert terminated and info["result"] == "W+7.5" and reward == 1.0
    env.reset(seed=0)
    env.step(40)  # black E5 owns the board
    env.step(81)
    obs, reward, terminated, truncated, info = env.step(81)  # black's final pass: black wins
    assert terminated and info["winner"] == BLACK and reward == 1.0
    env.close()


def test_observation_is_from_the_side_to_move():
    env = make(opponent="self")
    obs, info = env.reset(seed=0)
    obs, *_ = env.step(40)
    assert info is not None
    assert obs[1].reshape(-1)[40] == 1 and obs[0].reshape(-1)[40] == 0  # white to play: E5 is the opponent's
    env.close()


def test_illegal_action_policies():
    env = make(opponent="self")
    env.reset(seed=0)
    env.step(40)
    obs, reward, terminated, truncated, info = env.step(40)  # occupied
    assert terminated and reward == -1.0 and info["illegal_action"] and info["result"] == "B+F"
    with pytest.raises(RuntimeError):
        env.step(0)
    env.close()
    env = make(opponent="self", illegal_action="raise")
    env.reset(seed=0)
    env.step(40)
    with pytest.raises(ValueError, match="illegal"):
        env.step(40)
    env.close()
    env = make(opponent="self", illegal_action="pass")
    env.reset(seed=0)
    env.step(40)
    obs, reward, terminated, truncated, info = env.step(40)
    assert not terminated and info["illegal_action"] and env.unwrapped.board.history[-1] == (WHITE, 81)
    env.close()


def test_truncation_at_move_cap():
    env = make(opponent="self", max_moves=3)
    obs, info = env.reset(seed=0)
    results = [env.step(a) for a in (0, 1, 2)]
    assert [r[3] for r in results] == [False, False, True]
    assert results[-1][1] == 0.0 and not results[-1][2]
    info = results[-1][4]
    assert info["result"] == "Void" and info["end_reason"] == "move cap" and info["winner"] == 0
    assert env.unwrapped.game.record().result == "Void"
    env.close()


class ResigningOpponent:
    """Resigns at its first turn."""

    def select_move(self, board):
        from goengine.engine.agent import RESIGN

        return RESIGN


def test_opponent_resignation_ends_the_episode_through_the_game():
    env = make(opponent=ResigningOpponent(), agent_color="black")
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(40)
    assert terminated and not truncated and reward == 1.0
    assert info["result"] == "B+R" and info["end_reason"] == "resignation" and info["winner"] == BLACK
    env.close()
    env = make(opponent=ResigningOpponent(), agent_color="white")
    obs, info = env.reset(seed=0)  # black resigns before the agent moves: the game is over at once
    assert env.unwrapped.game.over and info["result"] == "W+R"
    with pytest.raises(RuntimeError, match="over"):
        env.step(40)
    env.close()


def test_render_modes(capsys):
    env = make(opponent="self", render_mode="ansi")
    env.reset(seed=0)
    env.step(40)
    text = env.render()
    assert "A B C D E F G H J" in text and "(X)" in text
    env.close()
    env = make(opponent="self", render_mode="human")
    env.reset(seed=0)
    assert "A B C D E F G H J" in capsys.readouterr().out
    env.close()


def test_policy_opponent(model9):
    env = make(opponent="policy", opponent_model=str(model9), agent_color="white")
    obs, info = env.reset(seed=0)
    assert info["move_number"] == 1
    reward, terminated, truncated, info = play_out(env, seed=1)
    assert terminated or truncated
    env.close()
    with pytest.raises(ValueError, match="9x9"):
        make(size=13, opponent="policy", opponent_model=str(model9))


def test_sync_vector_env_self_play():
    n = 3
    vec = gym.vector.SyncVectorEnv([lambda: GoEnv(size=9, feature_set="simple", opponent="self", max_moves=60)
                                    for _ in range(n)])
    obs, infos = vec.reset(seed=5)
    assert obs.shape == (n, 12, 9, 9) and infos["action_mask"].shape == (n, 82)
    rng = np.random.default_rng(0)
    finished, steps = 0, 0
    while finished < n + 1 and steps < 500:
        actions = np.array([int(rng.choice(np.flatnonzero(m))) for m in infos["action_mask"]])
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        finished += int(np.sum(terminated | truncated))
        steps += 1
        assert obs.shape == (n, 12, 9, 9)
    assert finished >= n + 1  # at least one copy finished, was reset and played on
    vec.close()


def test_gtp_engine_opponent(gnugo_path):
    env = make(opponent=f"{gnugo_path} --mode gtp --level 1", max_moves=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_env(env.unwrapped, skip_render_check=True, skip_close_check=True)
    reward, terminated, truncated, info = play_out(env, seed=2)
    assert terminated or truncated
    assert env.unwrapped.board.move_number >= 1
    env.close()


def test_selfplay_writes_sgf_games(model9, tmp_path):
    from goengine.play.selfplay import run_selfplay

    model, info = load_model(model9)
    agent = PolicyAgent(model, info)
    paths = run_selfplay(agent, 3, tmp_path, temperature=1.0, max_moves=40, batch=2, seed=1, progress=False)
    assert len(paths) == 3 and all(p.exists() for p in paths)
    for path in paths:
        record = read_game(path.read_bytes(), path.name, allowed_sizes=(9,))
        assert record.size == 9 and record.result
        assert 1 <= len(record.moves) <= 40
        if record.result == "Void":  # stopped by the move cap
            assert len(record.moves) == 40
        else:  # two passes: the area score of the final position
            assert record.moves[-1][1] == record.moves[-2][1] == 81
            assert record.result == Board.from_record(record).result()


class PassingAgent:
    """Passes at every turn, so each self-play game ends after two passes: White by komi."""

    name = "passer"
    board_size = 9
    temperature = 0.0

    def __init__(self):
        from goengine.features import get_feature_set

        self.feature_set = get_feature_set("simple")

    def supports_size(self, size):
        return size == 9

    def select_moves(self, boards, planes=None):
        return [board.pass_point for board in boards]


def test_selfplay_games_end_through_the_game(tmp_path):
    from goengine.play.selfplay import run_selfplay

    paths = run_selfplay(PassingAgent(), 3, tmp_path, komi=5.5, batch=2, progress=False)
    records = [read_game(path.read_bytes(), path.name, allowed_sizes=(9,)) for path in paths]
    assert [r.result for r in records] == ["W+5.5"] * 3
    assert all(r.moves == [(BLACK, 81), (WHITE, 81)] for r in records)


def test_selfplay_cli(model9, tmp_path):
    from goengine.play.cli import selfplay

    out = tmp_path / "games"
    result = CliRunner().invoke(selfplay, ["--games", "2", "--out", str(out), "--model", str(model9),
                                           "--max-moves", "30", "--batch", "2", "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("selfplay-*.sgf"))) == 2
    result = CliRunner().invoke(selfplay, ["--games", "1", "--out", str(out), "--model", str(model9),
                                           "--size", "19"])
    assert result.exit_code != 0 and "9x9" in result.output
