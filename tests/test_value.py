"""The value head: the network, model files, value targets and their sampling, the loss,
dual-head and frozen-trunk training, --init-from between heads, and evaluate."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from goengine.coords import BLACK, WHITE
from goengine.dataset.torch_data import DataError, FixedBatches, PreparedData, TrainBatches, value_positions
from goengine.features import get_feature_set
from goengine.nn.checkpoint import CHECKPOINT_NAME, load_checkpoint
from goengine.nn.evaluate import evaluate_model, format_report, game_winner
from goengine.nn.model import Architecture, PolicyNet, ValueHead, resolve_architecture
from goengine.nn.modelfile import POLICY_ONLY_VERSION, VALUE_HEAD_VERSION, ModelFileError, load_model, save_model
from goengine.nn.runlog import read_log
from goengine.nn.step import value_loss
from goengine.nn.train import TrainConfig, TrainError, train
from goengine.sgf import GameRecord

from benchmarks.synthetic import STANDIN, write_synthetic_data

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def dual(in_planes=5, size=9, seed=0, hidden=16) -> PolicyNet:
    torch.manual_seed(seed)
    return PolicyNet(resolve_architecture("tiny", in_planes=in_planes, board_size=size,
                                          value_head=ValueHead(channels=2, hidden=hidden)))


def planes(batch, channels=5, size=9, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (batch, channels, size, size), generator=gen, dtype=torch.uint8)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """9x9 synthetic games of 10 positions; a fifth of the games have no known winner."""
    return write_synthetic_data(tmp_path_factory.mktemp("data"), train=1200, val=300, size=9, shard_size=500,
                                game_length=10)


def config(data_dir, out, **overrides):
    values = dict(data=str(data_dir), out=str(out), preset="tiny", batch_size=32, steps=12, eval_every=6,
                  checkpoint_every=6, val_positions=300, workers=0, lr=0.05, progress=False,
                  value_channels=2, value_hidden=16)
    values.update(overrides)
    return TrainConfig(**values)


# --------------------------------------------------------------------------- the network


def test_dual_head_shapes_and_policy_only_calls():
    net = dual().eval()
    x = planes(6)
    with torch.no_grad():
        logits, value = net(x, with_value=True)
        alone = net(x)
    assert logits.shape == (6, 81) and value.shape == (6,)
    assert torch.equal(alone, logits)  # a caller that only plays moves sees the policy, as before
    assert torch.all(value == 0)  # a fresh value head has no opinion yet
    with torch.no_grad():
        net.value_head.fc2.weight.normal_()
        value = net(x, with_value=True)[1]
    assert torch.all(value.abs() < 1) and value.std() > 0
    assert net.arch.heads == ("policy", "value") and net.has_value_head
    policy_only = PolicyNet(resolve_architecture("tiny", in_planes=5, board_size=9))
    assert policy_only.arch.heads == ("policy",) and "value_head" not in policy_only.arch.to_dict()
    with pytest.raises(ValueError, match="no value head"):
        policy_only(x, with_value=True)


def test_architecture_round_trip_with_a_value_head():
    arch = dual().arch
    assert arch.to_dict()["value_head"] == {"channels": 2, "hidden": 16}
    assert Architecture.from_dict(arch.to_dict()) == arch
    assert arch.trunk == resolve_architecture("tiny", in_planes=5, board_size=9)
    with pytest.raises(ValueError):
        ValueHead(channels=0)


def test_freeze_trunk_keeps_the_trunk_and_its_statistics():
    net = dual()
    net.freeze_trunk()
    trainable = {name for name, p in net.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith("value_head.") for name in trainable)
    net.train()
    assert not net.body[1].training and net.value_head.bn.training
    before = {k: v.clone() for k, v in net.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    for seed in range(3):
        logits, value = net(planes(16, seed=seed), with_value=True)
        loss = value_loss(value, torch.ones(16))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = net.state_dict()
    for name, tensor in before.items():
        if name.startswith("value_head."):
            continue
        assert torch.equal(tensor, after[name]), name  # weights and BN running statistics
    assert not torch.equal(before["value_head.fc1.weight"], after["value_head.fc1.weight"])
    with pytest.raises(ValueError, match="nothing to train"):
        PolicyNet(resolve_architecture("tiny", in_planes=5, board_size=9)).freeze_trunk()


# --------------------------------------------------------------------------- model files


def _write_the_old_way(net: PolicyNet, path: Path, feature_set: str) -> None:
    """A policy-only model file exactly as goengine wrote them before value heads existed."""
    tensors = {name: t.detach().float().contiguous() for name, t in net.state_dict().items()
               if t.is_floating_point()}
    tensors.update({name: t for name, t in net.state_dict().items() if not t.is_floating_point()})
    save_file(tensors, str(path), metadata={
        "format_version": "1",
        "architecture": json.dumps({"board_size": net.arch.board_size, "filters": net.arch.filters,
                                    "in_planes": net.arch.in_planes, "layers": net.arch.layers}, sort_keys=True),
        "feature_set": feature_set,
        "training": "{}",
    })


def _genmove(model: Path) -> str:
    answer = subprocess.run([sys.executable, str(REPO / "play.py"), "gtp", "--model", str(model), "--threads", "1"],
                            input="boardsize 9\ngenmove b\nquit\n", capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert answer.returncode == 0, answer.stderr[-2000:]
    return answer.stdout.split("\n\n")[1]


def test_model_files_say_which_heads_they_have_and_old_files_still_play(tmp_path):
    simple = get_feature_set("simple").num_planes
    net = dual(in_planes=simple).eval()
    with torch.no_grad():
        net.value_head.fc2.weight.normal_()
    path = save_model(net, tmp_path / "dual.safetensors", "simple")
    loaded, info = load_model(path)
    assert info["format_version"] == VALUE_HEAD_VERSION and info["heads"] == ["policy", "value"]
    assert info["architecture"]["value_head"] == {"channels": 2, "hidden": 16}
    x = planes(4, channels=simple)
    with torch.no_grad():
        for mine, theirs in zip(net(x, with_value=True), loaded(x, with_value=True)):
            assert torch.equal(mine, theirs)

    torch.manual_seed(1)
    policy_only = PolicyNet(resolve_architecture("tiny", in_planes=simple, board_size=9)).eval()
    old = tmp_path / "old.safetensors"
    _write_the_old_way(policy_only, old, "simple")
    model, old_info = load_model(old)
    assert old_info["format_version"] == POLICY_ONLY_VERSION and old_info["heads"] == ["policy"]
    assert not model.has_value_head
    with torch.no_grad():
        assert torch.equal(model(x), policy_only(x))
    # written again today, a policy-only network is still a version-1 file
    assert load_model(save_model(model, tmp_path / "again.safetensors", "simple"))[1]["format_version"] == 1
    # both play through a front door
    assert _genmove(old).startswith("= ") and _genmove(path).startswith("= ")


def test_a_version_that_contradicts_the_heads_is_refused(tmp_path):
    net = dual()
    path = tmp_path / "liar.safetensors"
    tensors = {name: t.contiguous() for name, t in net.state_dict().items()}
    save_file(tensors, str(path), metadata={"format_version": "1", "feature_set": "standin5", "training": "{}",
                                            "architecture": json.dumps(net.arch.to_dict())})
    with pytest.raises(ModelFileError, match="format_version 1 with heads policy, value"):
        load_model(path)


# --------------------------------------------------------------------------- value targets


def test_value_targets_are_the_result_for_the_side_to_move(data_dir):
    data = PreparedData(data_dir, "val")
    assert data.has_winner
    records = data.gather(np.arange(len(data)))
    batch = FixedBatches(data, STANDIN, np.arange(len(data)), batch_size=len(data))[0]
    winner, to_play = records["winner"], records["to_play"]
    expected = np.where(winner == 0, 0.0, np.where(winner == to_play, 1.0, -1.0))
    assert np.array_equal(batch.z.numpy(), expected)
    assert {0.0, 1.0, -1.0} == set(batch.z.tolist())


def test_value_positions_sample_games_not_positions(data_dir):
    data = PreparedData(data_dir, "train")
    records = data.gather(np.arange(len(data)))
    every = value_positions(data, None)
    assert np.array_equal(every, np.flatnonzero(records["winner"] != 0))
    two = value_positions(data, 2, seed=1)
    assert np.all(np.diff(two) > 0) and np.all(records["winner"][two] != 0)
    games, per_game = np.unique(records["game"][two], return_counts=True)
    assert np.all(per_game == 2) and set(games) == set(records["game"][every])  # every game with a result, twice
    assert np.array_equal(two, value_positions(data, 2, seed=1))  # fixed for the run
    assert not np.array_equal(two, value_positions(data, 2, seed=2))


def test_batches_keep_value_targets_of_the_picked_positions_only(data_dir):
    data = PreparedData(data_dir, "train")
    picked = value_positions(data, 1, seed=0)
    dual_stream = TrainBatches(data, STANDIN, 64, seed=3, value_positions=picked)
    for step in range(4):
        indices = dual_stream.batch_indices(step)
        z = dual_stream[step].z
        assert torch.all((z != 0) == torch.from_numpy(np.isin(indices, picked)))
    value_only = TrainBatches(data, STANDIN, 16, seed=3, positions=picked, value_positions=picked)
    assert value_only.steps_per_epoch == len(picked) // 16
    assert set(value_only.batch_indices(0)) <= set(picked.tolist())
    assert torch.all(value_only[0].z != 0)


def test_value_loss_ignores_positions_without_a_result():
    value = torch.tensor([0.5, -0.5, 0.9, 0.0], requires_grad=True)
    z = torch.tensor([1.0, 1.0, 0.0, -1.0])
    loss = value_loss(value, z)
    assert loss.item() == pytest.approx((0.25 + 2.25 + 1.0) / 3)
    loss.backward()
    assert value.grad[2] == 0 and torch.all(value.grad[[0, 1, 3]] != 0)
    nothing = value_loss(torch.tensor([0.3], requires_grad=True), torch.zeros(1))
    assert nothing.item() == 0 and nothing.requires_grad


def test_old_data_without_results_trains_the_policy_but_not_the_value(tmp_path):
    old = write_synthetic_data(tmp_path / "old", train=256, val=64, size=9, winners=False)
    data = PreparedData(old, "train")
    assert not data.has_winner
    assert torch.all(TrainBatches(data, STANDIN, 32)[0].z == 0)
    with pytest.raises(DataError, match="run `prepare` again"):
        value_positions(data, None)
    assert train(config(old, tmp_path / "policy", steps=2), features=STANDIN)["finished"]
    with pytest.raises(TrainError, match="run `prepare` again"):
        train(config(old, tmp_path / "value", value_weight=1.0), features=STANDIN)


# --------------------------------------------------------------------------- training


def test_dual_head_training_learns_the_results_and_logs_value_curves(data_dir, tmp_path):
    out = tmp_path / "dual"
    summary = train(config(data_dir, out, steps=60, eval_every=20, value_weight=1.0, lr=0.02, optimizer="adamw",
                           value_positions_per_game=5), features=STANDIN)
    assert summary["finished"]
    records = PreparedData(data_dir, "train").gather(np.arange(1200))
    with_result = len(np.unique(records["game"][records["winner"] != 0]))
    assert 80 < with_result < 110  # of 120 games, about a fifth without a result
    log = read_log(out / "log.jsonl")
    assert log[0]["train_value_positions"] == with_result * 5
    evals = [r for r in log if "event" not in r]
    for record in evals:
        assert {"train_value_mse", "train_value_accuracy", "val_value_mse", "val_value_accuracy"} <= set(record)
    assert evals[-1]["val_value_mse"] < evals[0]["val_value_mse"] < 1.0
    assert evals[-1]["val_value_accuracy"] > 0.75  # the winner's stones are denser: a learnable result
    model, info = load_model(out / "model.safetensors")
    assert info["heads"] == ["policy", "value"] and info["format_version"] == VALUE_HEAD_VERSION
    assert info["training"]["value"] == {"weight": 1.0, "positions_per_game": 5, "train_positions": with_result * 5,
                                         "freeze_trunk": False}
    assert "val_value_accuracy" in info["training"] and (out / "curves.png").exists()
    # the best model is judged by the loss training minimises, value included
    best = min(evals, key=lambda r: r["val_loss"] + r["val_value_mse"])
    assert summary["best"]["step"] == best["step"]


def test_freeze_trunk_trains_only_a_fresh_value_head_on_a_policy_model(data_dir, tmp_path):
    policy_run = tmp_path / "policy"
    train(config(data_dir, policy_run, steps=6), features=STANDIN)
    donor, donor_info = load_model(policy_run / "model.safetensors")
    assert donor_info["heads"] == ["policy"]
    out = tmp_path / "frozen"
    summary = train(config(data_dir, out, steps=12, value_weight=1.0, freeze_trunk=True, value_positions_per_game=2,
                           init_from=str(policy_run / "model.safetensors")), features=STANDIN)
    frozen = summary["model"].state_dict()
    for name, tensor in donor.state_dict().items():  # the weights and the BN statistics of trunk and policy
        assert torch.equal(frozen[name], tensor), name
    log = read_log(out / "log.jsonl")
    value_parameters = sum(p.numel() for p in summary["model"].value_head.parameters())
    assert log[0]["trainable_parameters"] == value_parameters
    evals = [r for r in log if "event" not in r]
    assert evals[0]["val_loss"] == evals[-1]["val_loss"]  # the policy did not move
    _, info = load_model(out / "model.safetensors")
    assert info["heads"] == ["policy", "value"] and info["training"]["value"]["freeze_trunk"]
    # resuming keeps the trunk frozen
    train(config(data_dir, out, steps=18, resume=True), features=STANDIN)
    resumed, _ = load_model(out / "model.safetensors")
    for name, tensor in donor.state_dict().items():
        assert torch.equal(resumed.state_dict()[name], tensor), name
    assert load_checkpoint(out / CHECKPOINT_NAME)["step"] == 18


def test_value_options_and_init_from_between_heads(data_dir, tmp_path):
    with pytest.raises(ValueError, match="--init-from"):
        train(config(data_dir, tmp_path / "a", value_weight=1.0, freeze_trunk=True), features=STANDIN)
    with pytest.raises(ValueError, match="--value-weight"):
        train(config(data_dir, tmp_path / "b", freeze_trunk=True, init_from="x"), features=STANDIN)
    dual_run = tmp_path / "dual"
    train(config(data_dir, dual_run, steps=2, value_weight=0.5), features=STANDIN)
    dual_model = str(dual_run / "model.safetensors")
    with pytest.raises(TrainError, match="value head of 2 channels and 16 hidden.*--value-hidden 16"):
        train(config(data_dir, tmp_path / "c", value_weight=0.5, value_hidden=32, init_from=dual_model),
              features=STANDIN)
    # a policy-only run from a dual-head model keeps the policy and leaves the value head out
    policy = tmp_path / "policy"
    summary = train(config(data_dir, policy, steps=2, lr=1e-12, init_from=dual_model), features=STANDIN)
    source, _ = load_model(dual_model)
    assert torch.allclose(summary["model"].state_dict()["body.0.weight"], source.state_dict()["body.0.weight"])
    _, info = load_model(policy / "model.safetensors")
    assert info["heads"] == ["policy"] and info["format_version"] == POLICY_ONLY_VERSION


# --------------------------------------------------------------------------- evaluate


def test_game_winner_reads_sgf_results():
    assert [game_winner(r) for r in ("B+R", "W+12.5", "b+t", " W+ ", "0", "Draw", "Void", "?", "")] == \
        [BLACK, WHITE, BLACK, WHITE, 0, 0, 0, 0, 0]


def test_evaluate_reports_value_accuracy_by_phase(tmp_path):
    size = 9
    moves = [(BLACK if i % 2 == 0 else WHITE, p) for i, p in enumerate([0, 80, 10, 70, 20, 60, 30, 50])]
    games = [GameRecord(size=size, moves=moves, result="B+R"), GameRecord(size=size, moves=moves, result="W+3.5"),
             GameRecord(size=size, moves=moves, result="Void")]
    net = dual(in_planes=get_feature_set("simple").num_planes, size=size).eval()
    with torch.no_grad():  # a value head that always says "the side to move wins"
        net.value_head.fc2.bias.fill_(1.0)
    info = {"board_size": size, "feature_set": "simple"}
    result = evaluate_model(net, info, [], games=games)
    assert result["value_head"] and result["games"]["with_winner"] == 2
    assert result["positions"] == 24 and result["value_positions"] == 16
    # black moves first: in each decided game the side to move won at half the positions
    assert result["value_accuracy"] == pytest.approx(0.5)
    assert result["phases"]["1-50"]["value_accuracy"] == pytest.approx(0.5)
    assert result["phases"]["151+"]["value_accuracy"] is None
    assert "value" in format_report(result).splitlines()[0]
    policy_only = PolicyNet(resolve_architecture("tiny", in_planes=net.arch.in_planes, board_size=size)).eval()
    plain = evaluate_model(policy_only, info, [], games=games)
    assert not plain["value_head"] and plain["value_accuracy"] is None and plain["value_positions"] == 0
    assert "value" not in format_report(plain).splitlines()[0]
