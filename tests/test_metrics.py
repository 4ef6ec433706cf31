"""The one top-1/top-5/NLL implementation and the one training step."""

import math

import pytest
import torch

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
    assert metrics.summarise(metrics.zeros()) == {"positions": 0, "nll": None, "top1": None, "top5": None}


def test_train_step_lowers_the_loss_of_its_batch():
    torch.manual_seed(0)
    device = torch.device("cpu")
    net = prepare_model(PolicyNet(resolve_architecture("tiny", in_planes=3, board_size=5)), device)
    optimizer = make_optimizer(net, "sgd", 0.1, 0.9, 0.0)
    planes, moves = to_device(torch.randint(0, 2, (16, 3, 5, 5), dtype=torch.uint8), torch.randint(0, 25, (16,)),
                              device)
    first, logits = train_step(net, optimizer, planes, moves)
    assert not logits.requires_grad and logits.shape == (16, 25)
    for _ in range(10):
        last, _ = train_step(net, optimizer, planes, moves)
    assert last < first
    with torch.no_grad():
        assert torch.allclose(forward(net, planes), net(planes))
