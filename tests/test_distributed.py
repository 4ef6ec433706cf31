"""DistributedDataParallel training: two CPU processes with gloo, launched by torchrun."""

import os
import subprocess
import sys
from pathlib import Path

import torch

from goengine.nn.runlog import read_log

from benchmarks.synthetic import write_synthetic_data

REPO = Path(__file__).resolve().parent.parent

RANK_SCRIPT = """
import os, sys
import torch
from benchmarks.synthetic import STANDIN
from goengine.nn.train import TrainConfig, train
torch.set_num_threads(1)
summary = train(TrainConfig(data=sys.argv[1], out=sys.argv[2], preset="tiny", batch_size=8, steps=6, eval_every=3,
                            checkpoint_every=3, val_positions=32, workers=0, device="cpu", progress=False, lr=0.1),
                features=STANDIN)
torch.save(summary["model"].state_dict(), os.path.join(sys.argv[3], f"rank{os.environ['RANK']}.pt"))
"""


def test_two_gloo_ranks_end_with_identical_weights(tmp_path):
    data = write_synthetic_data(tmp_path / "data", train=256, val=64, shard_size=128)
    out, states = tmp_path / "run", tmp_path / "states"
    states.mkdir()
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         str(script), str(data), str(out), str(states)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(states / "rank0.pt", weights_only=True)
    rank1 = torch.load(states / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    for name in rank0:  # parameters and BN running statistics
        assert torch.equal(rank0[name], rank1[name]), name
    # only rank 0 writes the run's files; the log knows the world size
    log = read_log(out / "log.jsonl")
    assert log[0]["world_size"] == 2 and log[-1]["event"] == "finished"
    assert (out / "model.safetensors").exists() and (out / "checkpoint.pt").exists()
    assert len([line for line in (out / "log.jsonl").read_text().splitlines() if '"event": "start"' in line]) == 1
    evals = [r for r in log if "event" not in r]
    assert [r["step"] for r in evals] == [3, 6]
