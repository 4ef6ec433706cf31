"""Data loading, the training loop, checkpoints and exact resume, the train command."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from goengine.dataset.torch_data import (
    Batch,
    FixedBatches,
    Permutation,
    PreparedData,
    TrainBatches,
    make_loader,
    validation_indices,
)
from goengine.features.symmetry import transform_batch_torch, transform_moves_torch
from goengine.nn.checkpoint import CHECKPOINT_NAME, load_checkpoint
from goengine.nn.cli import train as train_command
from goengine.nn.modelfile import load_model
from goengine.nn.runlog import read_log
from goengine.nn.schedule import LRSchedule
from goengine.nn.train import TrainConfig, TrainError, train

from benchmarks.synthetic import STANDIN, STANDIN_PLANES, write_synthetic_data

REPO = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_data(tmp_path_factory.mktemp("data"), train=700, val=100, shard_size=256)


def config(data_dir, out, **overrides):
    values = dict(data=str(data_dir), out=str(out), preset="tiny", batch_size=16, steps=12, eval_every=4,
                  checkpoint_every=4, val_positions=48, workers=0, lr=0.05, progress=False)
    values.update(overrides)
    return TrainConfig(**values)


# --------------------------------------------------------------------------- data


def test_permutation_is_a_bijection():
    for n in (1, 2, 5, 64, 1000):
        values = Permutation(n, seed=3, epoch=1)(np.arange(n))
        assert sorted(values.tolist()) == list(range(n))
    a, b = Permutation(1000, 0, 0)(np.arange(1000)), Permutation(1000, 0, 1)(np.arange(1000))
    assert not np.array_equal(a, b)  # a new order every epoch


def test_prepared_data_is_memory_mapped(data_dir):
    data = PreparedData(data_dir, "train")
    assert len(data) == 700 and data.size == 19 and len(data.paths) == 3
    assert all(isinstance(s, np.memmap) for s in data.shards)
    dataset = TrainBatches(data, STANDIN, batch_size=16)
    assert len(pickle.dumps(dataset)) < 20_000  # workers get paths, not the data
    picked = data.gather(np.array([699, 0, 300]))
    assert np.array_equal(picked, np.concatenate([data.shards[2][699 - 512 : 700 - 512], data.shards[0][:1],
                                                  data.shards[1][300 - 256 : 301 - 256]]))


def test_batches_are_a_function_of_step(data_dir):
    data = PreparedData(data_dir, "train")
    dataset = TrainBatches(data, STANDIN, batch_size=16, seed=5)
    planes, moves, z = batch = dataset[3]
    assert planes.dtype == torch.uint8 and planes.shape == (16, STANDIN_PLANES, 19, 19)
    assert moves.dtype == torch.int64 and moves.shape == (16,)
    assert z.dtype == torch.float32 and z.shape == (16,) and set(z.tolist()) <= {-1.0, 0.0, 1.0}
    again = TrainBatches(PreparedData(data_dir, "train"), STANDIN, batch_size=16, seed=5)[3]
    assert all(torch.equal(a, b) for a, b in zip(batch, again))
    # two DataLoader workers deliver exactly the batches of the steps asked for, in order
    loaded = list(make_loader(dataset, range(40, 46), workers=2))
    for step, got in zip(range(40, 46), loaded):
        assert type(got) is Batch and all(torch.equal(a, b) for a, b in zip(got, dataset[step]))
    # one epoch visits every position once
    seen = np.concatenate([dataset.batch_indices(s) for s in range(dataset.steps_per_epoch)])
    assert len(np.unique(seen)) == len(seen) == dataset.steps_per_epoch * 16


def test_ranks_read_disjoint_slices(data_dir):
    data = PreparedData(data_dir, "train")
    ranks = [TrainBatches(data, STANDIN, 16, seed=1, rank=r, world_size=2) for r in (0, 1)]
    assert ranks[0].steps_per_epoch == 700 // 32
    for step in range(3):
        assert not set(ranks[0].batch_indices(step)) & set(ranks[1].batch_indices(step))
    assert set(validation_indices(100, 48, 0, 2)).isdisjoint(validation_indices(100, 48, 1, 2))


def test_symmetry_moves_planes_and_targets_together(data_dir):
    moves = torch.tensor([0, 18, 20, 150, 360, 7, 299, 61])
    planes = torch.zeros(8, 1, 19, 19, dtype=torch.uint8)
    planes.view(8, -1)[torch.arange(8), moves] = 1
    ks = torch.arange(8)
    moved_planes = transform_batch_torch(planes, ks)
    moved = transform_moves_torch(moves, ks, 19)
    assert torch.equal(moved_planes.view(8, -1).argmax(1), moved)
    assert len({tuple(transform_moves_torch(torch.tensor([21]), torch.tensor([k]), 19).tolist()) for k in range(8)}) == 8
    # in a real batch the synthetic "last move" plane and the target stay neighbours
    planes, moves, _ = TrainBatches(PreparedData(data_dir), STANDIN, 64, seed=2)[0]
    last = planes[:, 3].reshape(64, -1).argmax(1)
    distance = (last // 19 - moves // 19).abs() + (last % 19 - moves % 19).abs()
    assert torch.all(distance == 1)


def test_validation_batches_are_fixed_and_cached(data_dir):
    data = PreparedData(data_dir, "val")
    fixed = FixedBatches(data, STANDIN, validation_indices(len(data), 40), 16, cache=True)
    assert len(fixed) == 3 and fixed[2][1].shape == (8,)
    assert fixed[0] is fixed[0]


def test_lr_schedule():
    schedule = LRSchedule("cosine", total_steps=100, warmup_steps=10)
    assert schedule(0) == pytest.approx(0.1) and schedule(9) == pytest.approx(1.0)
    assert schedule(10) == pytest.approx(1.0) and schedule(100) == pytest.approx(0.01)
    assert schedule(55) < schedule(30)
    step = LRSchedule("step", total_steps=100, warmup_steps=0)
    assert [step(10), step(60), step(90)] == [1.0, 0.1, 0.01]


# --------------------------------------------------------------------------- training


def test_training_learns_and_writes_its_outputs(data_dir, tmp_path):
    out = tmp_path / "run"
    summary = train(config(data_dir, out, steps=40, eval_every=20, lr=0.1, optimizer="adamw"),
                    features=STANDIN)
    assert summary["finished"] and summary["step"] == 40
    names = {p.name for p in out.iterdir()}
    assert {"checkpoint.pt", "log.jsonl", "curves.png", "model.safetensors", "best.safetensors"} <= names
    assert not [n for n in names if ".tmp" in n]
    log = read_log(out / "log.jsonl")
    assert log[0]["event"] == "start" and log[-1]["event"] == "finished"
    evals = [r for r in log if "event" not in r]
    assert [r["step"] for r in evals] == [20, 40]
    first, last = evals[0], evals[-1]
    assert last["train_loss"] < first["train_loss"] < np.log(361)
    assert {"val_loss", "val_top1", "val_top5", "lr", "positions_per_s"} <= set(last)
    model, info = load_model(out / "model.safetensors")
    assert info["feature_set"] == "standin5" and info["in_planes"] == STANDIN_PLANES
    assert info["training"]["step"] == 40
    best, best_info = load_model(out / "best.safetensors")
    assert best_info["training"]["val_loss"] == pytest.approx(min(r["val_loss"] for r in evals))
    # a finished run's checkpoint loads with weights_only=True
    state = torch.load(out / CHECKPOINT_NAME, weights_only=True)
    assert state["step"] == 40 and state["data"]["next_step"] == 40


def test_resume_is_exact(data_dir, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    train(config(data_dir, straight), features=STANDIN)
    first = train(config(data_dir, split, stop_at=6), features=STANDIN)
    assert not first["finished"] and load_checkpoint(split / CHECKPOINT_NAME)["step"] == 6
    assert not (split / "model.safetensors").exists()
    train(config(data_dir, split, resume=True), features=STANDIN)
    a, _ = load_model(straight / "model.safetensors")
    b, _ = load_model(split / "model.safetensors")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name
    metrics = ("train_loss", "train_top1", "val_loss", "lr")
    log_a = [{k: r[k] for k in metrics} for r in read_log(straight / "log.jsonl") if "event" not in r]
    log_b = [{k: r[k] for k in metrics} for r in read_log(split / "log.jsonl") if "event" not in r]
    assert log_a == log_b  # one clean history, the same numbers
    assert [r["event"] for r in read_log(split / "log.jsonl") if "event" in r] == ["start", "stopped", "resume", "finished"]


def test_existing_run_needs_resume(data_dir, tmp_path):
    out = tmp_path / "run"
    train(config(data_dir, out, steps=2), features=STANDIN)
    with pytest.raises(TrainError, match="--resume"):
        train(config(data_dir, out, steps=2), features=STANDIN)
    (out / CHECKPOINT_NAME).write_bytes(b"garbage")
    with pytest.raises(TrainError, match="checkpoint"):
        train(config(data_dir, out, steps=2, resume=True), features=STANDIN)


def test_init_from_starts_a_new_run_from_a_model_file(data_dir, tmp_path):
    first = tmp_path / "first"
    train(config(data_dir, first, steps=8), features=STANDIN)
    donor, _ = load_model(first / "model.safetensors")
    # a learning rate too small to move the weights shows what the run started from
    second = tmp_path / "second"
    summary = train(config(data_dir, second, steps=3, lr=1e-12, init_from=str(first / "model.safetensors")),
                    features=STANDIN)
    started = summary["model"].state_dict()
    for name, param in donor.named_parameters():
        assert torch.allclose(started[name], param, atol=1e-6), name
    fresh = train(config(data_dir, tmp_path / "fresh", steps=3, lr=1e-12), features=STANDIN)["model"]
    assert not torch.allclose(fresh.state_dict()["body.0.weight"], donor.state_dict()["body.0.weight"])
    # the optimizer and the schedule start afresh: the checkpoint knows only this run's steps
    state = load_checkpoint(second / CHECKPOINT_NAME)
    assert state["scheduler"]["last_epoch"] == 3
    _, info = load_model(second / "model.safetensors")
    assert info["training"]["init_from"]["file"] == "model.safetensors"
    assert len(info["training"]["init_from"]["sha256"]) == 16
    # the data set is named by its identity, not by this machine's path
    assert info["training"]["data"]["name"] == data_dir.name
    assert info["training"]["data"]["positions"] == {"train": 700, "val": 100}
    assert str(tmp_path) not in json.dumps(info["training"])


def test_init_from_refuses_another_architecture_or_feature_set(data_dir, tmp_path):
    run = tmp_path / "tiny"
    train(config(data_dir, run, steps=2), features=STANDIN)
    model = str(run / "model.safetensors")
    with pytest.raises(TrainError, match=r"layers 3 \(this run 4\).*--layers 3 --filters 8"):
        train(config(data_dir, tmp_path / "deeper", layers=4, init_from=model), features=STANDIN)
    with pytest.raises(TrainError, match=r"filters 8 \(this run 16\)"):
        train(config(data_dir, tmp_path / "wider", filters=16, init_from=model), features=STANDIN)
    with pytest.raises(TrainError, match="reads 'standin5' planes.*--features standin5"):
        train(config(data_dir, tmp_path / "simple", features="simple", init_from=model))
    small = write_synthetic_data(tmp_path / "data9", train=64, val=16, size=9)
    with pytest.raises(TrainError, match="plays 19x19; the data is 9x9"):
        train(config(small, tmp_path / "nine", init_from=model), features=STANDIN)
    not_a_model = tmp_path / "notes.safetensors"
    not_a_model.write_text("hello")
    with pytest.raises(TrainError, match="--init-from"):
        train(config(data_dir, tmp_path / "bad", init_from=str(not_a_model)), features=STANDIN)


KILLED_RUN = """
import sys
from benchmarks.synthetic import STANDIN
from goengine.nn.train import TrainConfig, train
train(TrainConfig(data=sys.argv[1], out=sys.argv[2], preset="tiny", batch_size=16, steps=100000,
                  eval_every=5, checkpoint_every=10, val_positions=16, workers=0, progress=False,
                  resume=sys.argv[3] == "resume"),
      features=STANDIN)
"""


def _run_until(script, data_dir, out, mode, min_step, sig):
    """Start the endless run, wait until the log passes ``min_step``, send ``sig``."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""), OMP_NUM_THREADS="1")
    proc = subprocess.Popen([sys.executable, str(script), str(data_dir), str(out), mode], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            steps = [r["step"] for r in read_log(out / "log.jsonl") if "event" not in r]
            if steps and steps[-1] >= min_step:
                break
            time.sleep(0.1)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.decode()


def test_killed_run_resumes_from_its_last_checkpoint(data_dir, tmp_path):
    out = tmp_path / "run"
    script = tmp_path / "run_forever.py"
    script.write_text(KILLED_RUN)
    code, _ = _run_until(script, data_dir, out, "new", 25, signal.SIGKILL)
    assert code == -signal.SIGKILL
    logged = max(r["step"] for r in read_log(out / "log.jsonl") if "event" not in r)
    saved = load_checkpoint(out / CHECKPOINT_NAME)["step"]
    assert saved % 10 == 0 and logged - saved <= 10  # at most one checkpoint interval lost
    # resume, then stop it politely: SIGTERM finishes the step and checkpoints exactly there
    code, err = _run_until(script, data_dir, out, "resume", saved + 10, signal.SIGTERM)
    assert code == 0, err[-2000:]
    log = read_log(out / "log.jsonl")
    resumed = [r for r in log if r.get("event") == "resume"]
    assert len(resumed) == 1 and resumed[0]["step"] == saved
    stopped = log[-1]
    assert stopped["event"] == "stopped" and load_checkpoint(out / CHECKPOINT_NAME)["step"] == stopped["step"]
    steps = [r["step"] for r in log if "event" not in r]
    assert steps == sorted(set(steps)) and steps[-1] >= saved + 10  # one history, no repeated steps


# --------------------------------------------------------------------------- command line


def test_train_command_rejects_bad_arguments(data_dir, tmp_path):
    runner = CliRunner()
    missing = runner.invoke(train_command, ["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert missing.exit_code != 0 and "data directory not found" in missing.output
    not_prepared = runner.invoke(train_command, ["--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert not_prepared.exit_code != 0 and "meta.json" in not_prepared.output
    preset = runner.invoke(train_command, ["--data", str(data_dir), "--out", str(tmp_path / "o"), "--preset", "huge"])
    assert preset.exit_code != 0 and "huge" in preset.output
    both = runner.invoke(train_command, ["--data", str(data_dir), "--out", str(tmp_path / "o"), "--steps", "5",
                                         "--epochs", "1"])
    assert both.exit_code != 0 and "not both" in both.output
    assert not (tmp_path / "o").exists()


def test_train_command_with_a_real_feature_set(data_dir, tmp_path):
    pytest.importorskip("goengine.features")
    out = tmp_path / "run"
    result = CliRunner().invoke(train_command, [
        "--data", str(data_dir), "--out", str(out), "--preset", "tiny", "--features", "simple", "--steps", "4",
        "--batch-size", "8", "--eval-every", "2", "--val-positions", "16", "--workers", "0", "--no-progress"])
    assert result.exit_code == 0, result.output
    _, info = load_model(out / "model.safetensors")
    assert info["feature_set"] == "simple" and info["in_planes"] == 12
    again = CliRunner().invoke(train_command, ["--data", str(data_dir), "--out", str(out), "--preset", "tiny",
                                               "--features", "simple", "--steps", "4"])
    assert again.exit_code != 0 and "--resume" in again.output
    common = ["--data", str(data_dir), "--features", "simple", "--steps", "2", "--batch-size", "8",
              "--val-positions", "8", "--workers", "0", "--no-progress", "--init-from", str(out / "model.safetensors")]
    mismatch = CliRunner().invoke(train_command, ["--out", str(tmp_path / "cpu"), *common])
    assert mismatch.exit_code != 0 and "--layers 3 --filters 8" in mismatch.output
    continued = CliRunner().invoke(train_command, ["--out", str(tmp_path / "next"), "--preset", "tiny", *common])
    assert continued.exit_code == 0, continued.output
    _, info = load_model(tmp_path / "next" / "model.safetensors")
    assert info["training"]["init_from"]["file"] == "model.safetensors"


def test_a_used_feature_set_travels_to_workers_by_name(data_dir):
    """After its numba kernels are loaded a FeatureSet holds a module object; the batches
    still pickle (spawned DataLoader workers) and rebuild the same batches."""
    from goengine.features import get_feature_set

    simple = get_feature_set("simple")
    dataset = TrainBatches(PreparedData(data_dir, "train"), simple, batch_size=8, seed=4)
    batch = dataset[2]
    copy = pickle.loads(pickle.dumps(dataset))
    assert copy.features is simple
    assert all(torch.equal(a, b) for a, b in zip(batch, copy[2]))
