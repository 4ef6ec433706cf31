"""PolicyNet architecture and the safetensors model files."""

import json
import struct

import numpy as np
import pytest
import torch
from torch import nn

from goengine.nn.model import (
    PRESETS,
    Architecture,
    PolicyNet,
    count_parameters,
    forward_flops,
    resolve_architecture,
)
from goengine.nn.modelfile import POLICY_ONLY_VERSION, ModelFileError, load_model, read_metadata, save_model


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def tiny(in_planes=6, size=19, seed=0):
    torch.manual_seed(seed)
    return PolicyNet(resolve_architecture("tiny", in_planes=in_planes, board_size=size))


def random_planes(batch, planes=6, size=19, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (batch, planes, size, size), generator=gen, dtype=torch.uint8)


def test_layout_follows_alphago():
    net = PolicyNet(resolve_architecture("alphago", in_planes=48))
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13  # 5x5 + 11 x 3x3 + 1x1 head, AlphaGo's "13 layers"
    assert convs[0].kernel_size == (5, 5) and convs[0].padding == (2, 2) and convs[0].in_channels == 48
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs[1:-1])
    assert convs[-1].kernel_size == (1, 1) and convs[-1].out_channels == 1
    assert all(c.bias is None for c in convs)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 12  # not after the head
    assert not any(isinstance(m, (nn.Linear, nn.MaxPool2d, nn.AvgPool2d)) for m in net.modules())
    assert net.point_bias.shape == (361,)
    assert 3.8e6 < count_parameters(net) < 4.0e6
    assert forward_flops(net.arch) == pytest.approx(2.8e9, rel=0.01)


def test_presets_and_overrides():
    assert PRESETS["alphago"] == (13, 192) and PRESETS["tiny"][0] >= 2
    arch = resolve_architecture("cpu", layers=4, filters=16, in_planes=12, board_size=9)
    assert arch == Architecture(layers=4, filters=16, in_planes=12, board_size=9)
    assert Architecture.from_dict(arch.to_dict()) == arch
    with pytest.raises(ValueError, match="unknown preset"):
        resolve_architecture("huge")
    with pytest.raises(ValueError):
        Architecture(layers=1)


def test_output_shape_and_input_types():
    net = tiny().eval()
    x = random_planes(5)
    with torch.no_grad():
        from_uint8 = net(x)
        from_float = net(x.float())
        channels_last = net(x.contiguous(memory_format=torch.channels_last))
    assert from_uint8.shape == (5, 361) and from_uint8.dtype == torch.float32
    assert torch.equal(from_uint8, from_float)
    assert torch.allclose(from_uint8, channels_last, atol=1e-5)
    with pytest.raises(ValueError, match="batch"):
        net(x[0])


def test_untrained_policy_is_near_uniform():
    net = PolicyNet(resolve_architecture("cpu", in_planes=6)).eval()
    with torch.no_grad():
        loss = nn.functional.cross_entropy(net(random_planes(8)), torch.arange(8) * 40)
    assert abs(loss.item() - np.log(361)) < 1.5


def test_eval_mode_single_position_equals_batch():
    net = tiny()
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for i in range(3):  # move the BN running statistics away from their initial values
        loss = nn.functional.cross_entropy(net(random_planes(16, seed=i)), torch.randint(0, 361, (16,)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    batch = random_planes(12, seed=7)
    with torch.no_grad():
        together = net(batch)
        alone = torch.cat([net(batch[i : i + 1]) for i in range(12)])
    assert torch.allclose(together, alone, atol=1e-5)


def test_model_file_round_trip(tmp_path):
    net = tiny(in_planes=12).eval()
    with torch.no_grad():  # non-trivial BN statistics and bias must survive the trip
        net.point_bias.uniform_(-1, 1)
        net.body[1].running_mean.uniform_(-1, 1)
    path = save_model(net, tmp_path / "m.safetensors", "simple", {"steps": 10, "note": "x"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]  # no temp file left
    loaded, info = load_model(path)
    assert not loaded.training
    assert info["feature_set"] == "simple" and info["format_version"] == POLICY_ONLY_VERSION
    assert info["architecture"] == {"layers": 3, "filters": 8, "in_planes": 12, "board_size": 19}
    assert info["training"] == {"steps": 10, "note": "x"}
    x = random_planes(3, planes=12)
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))
    assert read_metadata(path)["in_planes"] == 12


def _rewrite_metadata(path, **changes):
    """Edit a safetensors header in place (same tensors)."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header["__metadata__"].update(changes)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + data[8 + length :])


def test_model_file_errors(tmp_path):
    net = tiny()
    good = save_model(net, tmp_path / "good.safetensors", "alphago48")

    pickled = tmp_path / "pickled.safetensors"
    torch.save(net.state_dict(), pickled)
    with pytest.raises(ModelFileError, match="torch.save"):
        load_model(pickled)

    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(ModelFileError, match="safetensors"):
        load_model(corrupt)

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(ModelFileError):
        load_model(truncated)

    future = tmp_path / "future.safetensors"
    future.write_bytes(good.read_bytes())
    _rewrite_metadata(future, format_version="99")
    with pytest.raises(ModelFileError, match="format_version"):
        load_model(future)

    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
