"""evaluate_model and the evaluate command on small SGF sources."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from goengine.coords import BLACK, WHITE, to_sgf
from goengine.nn.model import PolicyNet, resolve_architecture
from goengine.nn.modelfile import save_model

from goengine import board as board_module
from goengine import sgf
from goengine.dataset.replay import game_positions
from goengine.features import get_feature_set
from goengine.nn.cli import evaluate as evaluate_command
from goengine.nn.evaluate import PHASES, evaluate_model, format_report
from goengine.nn.modelfile import load_model


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def sgf_text(moves, size=19, extra=""):
    nodes = "".join(f";{'B' if c == BLACK else 'W'}[{to_sgf(p, size)}]" for c, p in moves)
    return f"(;GM[1]FF[4]SZ[{size}]KM[7.5]{extra}{nodes})"


def long_game(count=170, size=19, seed=1):
    """``count`` legal alternating moves, found by trying points in a random order."""
    board = board_module.Board(size)
    rng = np.random.default_rng(seed)
    moves, color = [], BLACK
    while len(moves) < count:
        for point in rng.permutation(size * size):
            if board.is_legal(int(point), color):
                board.play(int(point), color)
                moves.append((color, int(point)))
                color = 3 - color
                break
    return moves


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("sgf")
    short = [(BLACK, 72), (WHITE, 288), (BLACK, 361), (WHITE, 60), (BLACK, 300)]  # a pass as move 3
    (root / "short.sgf").write_text(sgf_text(short))
    (root / "illegal.sgf").write_text(sgf_text([(BLACK, 72), (WHITE, 72), (BLACK, 100)]))  # W on B's stone
    (root / "long.sgf").write_text(sgf_text(long_game()))
    (root / "small.sgf").write_text(sgf_text([(BLACK, 10)], size=9))
    (root / "broken.sgf").write_text("(;GM[1]SZ[19];B[pd")
    return root


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    torch.manual_seed(0)
    net = PolicyNet(resolve_architecture("tiny", in_planes=get_feature_set("simple").num_planes))
    return save_model(net, tmp_path_factory.mktemp("model") / "m.safetensors", "simple")


def test_evaluate_counts_positions_phases_and_skips(sources, model_file):
    model, info = load_model(model_file)
    result = evaluate_model(model, info, [sources], batch_size=64)
    # short: 4 non-pass moves; illegal: 1 before the illegal move; long: 170
    assert result["positions"] == 4 + 1 + 170
    phases = result["phases"]
    assert list(phases) == [name for name, _, _ in PHASES]
    assert [phases[name]["positions"] for name in phases] == [50 + 5, 100, 20]
    assert 0 <= result["top1"] <= result["top5"] <= 1 and result["nll"] > 0
    games = result["games"]
    assert games["used"] == 3 and games["cut_at_illegal_move"] == 1
    assert sum(games["skipped"].values()) == 2  # the 9x9 game and the broken file
    assert "moves 151+" in format_report(result)
    limited = evaluate_model(model, info, [sources], max_games=1)
    assert limited["games"]["read"] == 1


def test_positions_match_encode_board(sources, model_file):
    """The replay gives each position exactly as a Board would present it."""
    model, info = load_model(model_file)
    fs = get_feature_set("simple")
    record = next(sgf.iter_games([sources / "short.sgf"]))
    positions = game_positions(record, 19)
    assert not positions.cut_at_illegal_move and positions.move.tolist() == [72, 288, 60, 300]
    assert positions.move_number.tolist() == [1, 2, 4, 5]
    board = board_module.Board(19)
    expected = []
    for color, point in record.moves:
        if point != 361:
            expected.append(fs.encode_board(board))
        board.play(point, color)
    planes = torch.from_numpy(np.stack(expected))
    with torch.no_grad():
        nll = torch.nn.functional.cross_entropy(model(planes), torch.tensor([72, 288, 60, 300]))
    result = evaluate_model(model, info, [], games=[record])
    assert result["nll"] == pytest.approx(nll.item(), rel=1e-5)


def test_evaluate_command_json(sources, model_file):
    result = CliRunner().invoke(evaluate_command, ["--model", str(model_file), str(sources), "--json",
                                                   "--device", "cpu"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # exactly one JSON object on stdout
    assert report["positions"] == 175 and set(report["phases"]) == {"1-50", "51-150", "151+"}
    text = CliRunner().invoke(evaluate_command, ["--model", str(model_file), str(sources / "short.sgf"),
                                                 "--no-progress"])
    assert text.exit_code == 0 and "top-1" in text.stdout


def test_evaluate_command_errors(tmp_path, sources):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model at all")
    result = CliRunner().invoke(evaluate_command, ["--model", str(bad), str(sources)])
    assert result.exit_code != 0 and "safetensors" in result.output
    missing = CliRunner().invoke(evaluate_command, ["--model", str(bad), str(tmp_path / "nowhere")])
    assert missing.exit_code != 0


def test_evaluate_command_reports_a_missing_gpu(sources, model_file):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = CliRunner().invoke(evaluate_command, ["--model", str(model_file), str(sources), "--device", "cuda"])
    assert result.exit_code != 0 and "CUDA is not available" in result.output


def test_evaluate_command_without_a_usable_game_fails_with_one_line(tmp_path, sources, model_file):
    only_small = tmp_path / "small"
    only_small.mkdir()
    (only_small / "small.sgf").write_text((sources / "small.sgf").read_text())
    (only_small / "broken.sgf").write_text((sources / "broken.sgf").read_text())
    result = CliRunner().invoke(evaluate_command, ["--model", str(model_file), str(only_small), "--json",
                                                   "--no-progress"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)  # the JSON report is still there
    assert report["positions"] == 0 and report["games"]["used"] == 0
    reason = result.stderr.strip()
    assert len(reason.splitlines()) == 1
    assert "no usable 19x19 game" in reason and "board size 9" in reason
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(evaluate_command, ["--model", str(model_file), str(empty), "--no-progress"])
    assert result.exit_code == 1 and "no SGF game found" in result.stderr
