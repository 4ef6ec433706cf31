"""The one top-1/top-5/NLL implementation and the one training step."""

import math

import pytest
import torch

from goengine.dataset.torch_data import Batch
from goengine.nn import metrics
from goengine.nn.model import PolicyNet, resolve_architecture
from goengine.nn.step import forward, prepare_model, to_device, train_step
from goengine.nn.train import make_optimizer


def test_columns_score_each_position():
    logits = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0],   # target is the first choice
                           [5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0],   # fifth choice
                           [5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0]])  # sixth: outside the top five
    moves = torch.tensor([0, 4, 5])
    rows = metrics.columns(logits, moves)
    assert rows.dtype == torch.float64 and rows.shape == (3, len(metrics.COLUMNS))
    log_z = math.log(sum(math.exp(v) for v in logits[0].tolist()))
    assert rows[:, 0].tolist() == pytest.approx([log_z - 5.0, log_z - 1.0, log_z - 0.0], rel=1e-6)
    assert rows[:, 1].tolist() == [1, 0, 0] and rows[:, 2].tolist() == [1, 1, 0] and rows[:, 3].tolist() == [1, 1, 1]
    summary = metrics.summarise(rows.sum(dim=0))
    assert summary["positions"] == 3 and summary["top1"] == pytest.approx(1 / 3) and summary["top5"] == pytest.approx(2 / 3)
    assert summary["value_positions"] == 0 and summary["value_mse"] is None and summary["value_accuracy"] is None
    assert metrics.summarise(metrics.zeros()) == {"positions": 0, "nll": None, "top1": None, "top5": None,
                                                  "value_positions": 0, "value_mse": None, "value_accuracy": None}


def test_train_step_lowers_the_loss_of_its_batch():
    torch.manual_seed(0)
    device = torch.device("cpu")
    net = prepare_model(PolicyNet(resolve_architecture("tiny", in_planes=3, board_size=5)), device)
    optimizer = make_optimizer(net, "sgd", 0.1, 0.9, 0.0)
    batch = to_device(Batch(torch.randint(0, 2, (16, 3, 5, 5), dtype=torch.uint8), torch.randint(0, 25, (16,)),
                            torch.zeros(16)), device)
    first = train_step(net, optimizer, batch)
    assert not first.logits.requires_grad and first.logits.shape == (16, 25) and first.value is None
    for _ in range(10):
        last = train_step(net, optimizer, batch)
    assert last.loss < first.loss
    with torch.no_grad():
        assert torch.allclose(forward(net, batch.planes), net(batch.planes))
