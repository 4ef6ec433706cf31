"""The model in data/ works out of the box: it loads safely, predicts expert moves far
better than chance, and every front door plays it with no --model argument."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from goengine.nn.evaluate import evaluate_model
from goengine.nn.modelfile import load_model
from goengine.paths import default_model_path
from goengine.play.cli import human
from goengine.sgf import read_game

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(autouse=True)
def shipped_model(monkeypatch):
    monkeypatch.delenv("GOENGINE_MODEL", raising=False)
    path = default_model_path()
    assert path == REPO / "data" / "policy.safetensors" and path.exists()
    return path


def test_shipped_model_describes_itself(shipped_model):
    model, info = load_model(shipped_model)
    assert info["board_size"] == 19 and info["feature_set"] == "alphago48"
    assert not model.training  # eval mode: batch-norm running statistics
    assert shipped_model.stat().st_size < 25e6


def test_shipped_model_predicts_held_out_expert_moves(shipped_model, shared_data):
    test_month = shared_data / "tygem-9d" / "tygem-9d-2015-06.tar.bz2"
    model, info = load_model(shipped_model)
    result = evaluate_model(model, info, [test_month], max_games=10)
    assert result["positions"] > 1500
    assert result["top1"] > 0.30  # chance is ~1/250; data/MODEL.md reports 39.7% on 300 games
    assert result["top5"] > 0.60


def test_terminal_game_needs_no_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv("GOENGINE_GAMES_DIR", str(tmp_path))  # games go to the games folder
    result = CliRunner().invoke(human, [], input="Q16\nquit\n")
    assert result.exit_code == 0, result.output
    assert "goengine (White) plays" in result.output
    saved = list(tmp_path.glob("*.sgf"))
    assert len(saved) == 1
    assert len(read_game(saved[0].read_bytes(), "game").moves) == 2


def test_gtp_engine_plays_the_shipped_model():
    answer = subprocess.run(
        [sys.executable, str(REPO / "play.py"), "gtp"],
        input="1 boardsize 19\n2 genmove b\n3 quit\n", capture_output=True, text=True, timeout=120,
    )
    lines = [line for line in answer.stdout.splitlines() if line]
    assert lines[0] == "=1" and lines[1].startswith("=2 ") and lines[2] == "=3"
    assert lines[1].split()[1] not in ("pass", "resign")
