"""The 8 board symmetries: planes, points and torch batches agree with each other."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from goengine.features import get_feature_set
from goengine.features import symmetry as sym

KS = range(8)


def one_hot(point, size):
    plane = np.zeros(size * size, np.uint8)
    plane[point] = 1
    return plane.reshape(size, size)


def test_identity_and_definition():
    a = np.arange(2 * 3 * 16).reshape(2, 3, 4, 4)
    assert np.array_equal(sym.transform_planes(a, 0), a)
    assert np.array_equal(sym.transform_planes(a, 1), np.rot90(a, 1, axes=(-2, -1)))
    assert np.array_equal(sym.transform_planes(a, 4), a[..., ::-1])
    assert np.array_equal(sym.transform_planes(a, 6), np.rot90(a[..., ::-1], 2, axes=(-2, -1)))
    # rotation is counter-clockwise: the top-right corner goes to the top-left
    assert sym.transform_point(3, 1, 4) == 0
    assert sym.transform_planes(a, 3).flags.c_contiguous


@pytest.mark.parametrize("size", [2, 3, 5, 9, 19])
def test_all_eight_are_distinct_permutations(size):
    perms = [tuple(sym.point_permutation(k, size)) for k in KS]
    for perm in perms:
        assert sorted(perm) == list(range(size * size + 1))
        assert perm[size * size] == size * size          # PASS stays PASS
    if size > 1:
        assert len(set(perms)) == 8


@pytest.mark.parametrize("size", [5, 19])
@pytest.mark.parametrize("k", KS)
def test_planes_and_points_agree(size, k):
    for p in range(size * size):
        q = sym.transform_point(p, k, size)
        assert np.array_equal(sym.transform_planes(one_hot(p, size), k), one_hot(q, size))
    assert sym.transform_point(size * size, k, size) == size * size


@pytest.mark.parametrize("k", KS)
def test_inverse_round_trips(k):
    size = 7
    planes = np.random.default_rng(k).integers(0, 255, (3, size, size)).astype(np.uint8)
    inv = sym.inverse(k)
    assert np.array_equal(sym.transform_planes(sym.transform_planes(planes, k), inv), planes)
    assert np.array_equal(sym.transform_planes(sym.transform_planes(planes, inv), k), planes)
    for p in range(size * size + 1):
        assert sym.transform_point(sym.transform_point(p, k, size), inv, size) == p
    assert sym.compose(k, inv) == sym.compose(inv, k) == 0
    assert inv == ((4 - k) % 4 if k < 4 else k)


def test_group_property():
    size = 6
    planes = np.random.default_rng(1).integers(0, 9, (2, size, size))
    for a in KS:
        for b in KS:
            c = sym.compose(a, b)
            assert 0 <= c < 8
            twice = sym.transform_planes(sym.transform_planes(planes, b), a)
            assert np.array_equal(twice, sym.transform_planes(planes, c))
            for p in (0, 7, 20, size * size):
                assert sym.transform_point(sym.transform_point(p, b, size), a, size) == sym.transform_point(p, c, size)
    table = np.array([[sym.compose(a, b) for b in KS] for a in KS])
    for row in table:                                    # a Latin square: each row a permutation
        assert sorted(row) == list(KS)
    assert not np.array_equal(table, table.T)           # D4 is not commutative


def test_bad_indices():
    with pytest.raises(ValueError):
        sym.transform_planes(np.zeros((3, 3)), 8)
    with pytest.raises(ValueError):
        sym.transform_point(9 * 9 + 1, 0, 9)
    with pytest.raises(ValueError):
        sym.transform_planes(np.zeros((3, 4)), 1)


def test_torch_batch_matches_numpy():
    size, batch = 9, 16
    rng = np.random.default_rng(3)
    x = rng.random((batch, 5, size, size)).astype(np.float32)
    ks = rng.integers(0, 8, batch)
    ks[:8] = np.arange(8)
    out = sym.transform_batch_torch(torch.from_numpy(x), torch.from_numpy(ks))
    assert out.shape == (batch, 5, size, size) and out.dtype == torch.float32
    for b in range(batch):
        assert np.array_equal(out[b].numpy(), sym.transform_planes(x[b], ks[b]))
    # uint8 input, a plain list of ks, and one k for the whole batch
    xb = torch.from_numpy((x * 255).astype(np.uint8))
    expected = torch.from_numpy(sym.transform_planes(xb[3].numpy(), ks[3]))
    assert torch.equal(sym.transform_batch_torch(xb, list(ks))[3], expected)
    assert torch.equal(sym.transform_batch_torch(xb, 2), torch.rot90(xb, 2, dims=(-2, -1)))


def test_torch_moves_match_points_and_planes():
    size, batch = 19, 64
    rng = np.random.default_rng(4)
    moves = rng.integers(0, size * size + 1, batch)
    moves[:3] = size * size                               # PASS
    ks = rng.integers(0, 8, batch)
    got = sym.transform_moves_torch(torch.from_numpy(moves), torch.from_numpy(ks), size)
    assert got.dtype == torch.int64 and got.shape == (batch,)
    assert got.tolist() == [sym.transform_point(m, k, size) for m, k in zip(moves, ks)]
    # a one-hot plane of the move and the move itself move together
    on_board = moves < size * size
    planes = torch.zeros(batch, 1, size * size)
    planes[torch.arange(batch)[on_board], 0, torch.from_numpy(moves[on_board])] = 1
    turned = sym.transform_batch_torch(planes.reshape(batch, 1, size, size), torch.from_numpy(ks))
    flat = turned.reshape(batch, -1).argmax(1)
    assert torch.equal(flat[on_board], got[on_board])
    # inverse brings them back
    inv = torch.tensor([sym.inverse(k) for k in ks])
    assert torch.equal(sym.transform_moves_torch(got, inv, size), torch.from_numpy(moves))
    assert sym.transform_moves_torch(torch.tensor([5, 361], dtype=torch.int16), [1, 1], 19).dtype == torch.int16


def test_features_commute_with_symmetry():
    """Every plane is symmetric: features of a turned position == turned features."""
    from goengine.features import reference as ref

    size = 9
    rng = np.random.default_rng(8)
    fs = get_feature_set("alphago48")
    for trial in range(12):
        stones = [0] * (size * size)
        for p in rng.permutation(size * size):
            if rng.random() < 0.6:
                result = ref.play(stones, int(p), int(rng.integers(1, 3)), size)
                if result is not None:
                    stones = result[0]
        stones = np.array(stones, np.int8)
        recent = rng.integers(-1, size * size, 8).astype(np.int16)
        empties = np.flatnonzero(stones == 0)
        ko = int(empties[0]) if trial % 3 == 0 and len(empties) else -1
        planes = fs.encode(stones, 1 + trial % 2, ko, recent, size)
        k = trial % 8
        perm = sym.point_permutation(k, size)
        turned_stones = sym.transform_planes(stones.reshape(size, size), k).reshape(-1)
        turned_recent = np.array([perm[m] if m >= 0 else -1 for m in recent], np.int16)
        turned_ko = int(perm[ko]) if ko >= 0 else -1
        turned = fs.encode(turned_stones, 1 + trial % 2, turned_ko, turned_recent, size)
        assert np.array_equal(turned, sym.transform_planes(planes, k)), trial
