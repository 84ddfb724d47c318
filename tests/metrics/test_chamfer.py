"""Chamfer L1/L2 vs the torch.cdist twins, scipy cKDTree, hand-computed cases and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from pointrecon.metrics import chamfer_l1, chamfer_l1_naive, chamfer_l2, chamfer_l2_naive

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
PAIRS = [(chamfer_l1, chamfer_l1_naive), (chamfer_l2, chamfer_l2_naive)]
SHAPES = [(1, 1, 1, False), (2, 50, 70, False), (3, 64, 33, True), (2, 200, 300, True)]


def _data(B, N, M, ragged, dtype=torch.float32, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(B, N, 3, generator=g, dtype=dtype).to(device)
    y = torch.rand(B, M, 3, generator=g, dtype=dtype).to(device)
    if not ragged:
        return x, y, None, None
    xl = torch.randint(1, N + 1, (B,), generator=g).to(device)
    yl = torch.randint(1, M + 1, (B,), generator=g).to(device)
    return x, y, xl, yl


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fn, naive", PAIRS)
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_gradient_match_naive(device, fn, naive, shape):
    B, N, M, ragged = shape
    x, y, xl, yl = _data(B, N, M, ragged, dtype=torch.float64, device=device)
    res = []
    for f in (fn, naive):
        a, b = x.clone().requires_grad_(), y.clone().requires_grad_()
        v = f(a, b, pred_lengths=xl, gt_lengths=yl)
        assert v.shape == (B,)
        (v * torch.arange(1, B + 1, device=device)).sum().backward()
        res.append((v.detach(), a.grad, b.grad))
    for got, want in zip(res[0], res[1]):
        torch.testing.assert_close(got, want, atol=1e-10, rtol=1e-8)
    v32 = fn(x.float(), y.float(), pred_lengths=xl, gt_lengths=yl)
    torch.testing.assert_close(v32, res[1][0].float(), atol=1e-6, rtol=1e-5)


def test_matches_scipy_ckdtree():
    x, y, _, _ = _data(2, 600, 500, False, seed=1)
    l1, l2 = chamfer_l1(x, y), chamfer_l2(x, y)
    for b in range(2):
        dxy, _ = cKDTree(y[b].double().numpy()).query(x[b].double().numpy())
        dyx, _ = cKDTree(x[b].double().numpy()).query(y[b].double().numpy())
        np.testing.assert_allclose(float(l1[b]), 0.5 * (dxy.mean() + dyx.mean()), rtol=1e-5)
        np.testing.assert_allclose(float(l2[b]), (dxy**2).mean() + (dyx**2).mean(), rtol=1e-5)


def test_hand_computed_clouds_one_unit_apart():
    grid = torch.stack(torch.meshgrid(*[torch.arange(3.0)] * 3, indexing="ij"), -1).reshape(
        1, -1, 3
    )
    gt = grid * 10  # spacing 10: the nearest neighbour of each shifted point is its own source
    pred = gt + torch.tensor([0.0, 0.0, 1.0])
    assert chamfer_l1(pred, gt).tolist() == [1.0]  # 0.5 * (1 + 1)
    assert chamfer_l2(pred, gt).tolist() == [2.0]  # 1 + 1, summed not halved
    # one-sided: a point far from a cloud counts only in its direction
    pred2 = torch.cat(
        [gt, torch.tensor([[[0.0, 0.0, -4.0]]])], 1
    )  # 28 points, 1 extra at distance 4
    torch.testing.assert_close(chamfer_l1(pred2, gt), torch.tensor([0.5 * 4 / 28]))
    torch.testing.assert_close(chamfer_l2(pred2, gt), torch.tensor([16 / 28]))


def test_zero_distance_gives_zero_not_nan_gradient():
    x = torch.rand(2, 30, 3, requires_grad=True)
    for fn in (chamfer_l1, chamfer_l2):
        v = fn(x, x.detach().clone())
        (g,) = torch.autograd.grad(v.sum(), x)
        assert torch.equal(v, torch.zeros(2))
        assert torch.isfinite(g).all() and torch.equal(g, torch.zeros_like(g))


@pytest.mark.parametrize("fn", [chamfer_l1, chamfer_l2])
def test_gradcheck(fn):
    x, y, _, _ = _data(2, 7, 5, False, dtype=torch.float64, seed=3)
    x.requires_grad_()
    y.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: fn(a, b), (x, y))


def test_reduction_and_ragged_equals_sliced():
    x, y, xl, yl = _data(3, 40, 30, True, seed=4)
    v = chamfer_l1(x, y, pred_lengths=xl, gt_lengths=yl)
    for b in range(3):
        single = chamfer_l1(x[b : b + 1, : xl[b]], y[b : b + 1, : yl[b]])
        torch.testing.assert_close(v[b : b + 1], single)
    torch.testing.assert_close(
        chamfer_l1(x, y, pred_lengths=xl, gt_lengths=yl, reduction="mean"), v.mean()
    )
    torch.testing.assert_close(
        chamfer_l1(x, y, pred_lengths=xl, gt_lengths=yl, reduction="sum"), v.sum()
    )


def test_backward_memory_is_linear():
    B, N = 2, 1024
    x, y, _, _ = _data(B, N, N, False, seed=5)
    x.requires_grad_()
    saved: list[int] = []
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: saved.append(t.numel()) or t, lambda t: t
    ):
        chamfer_l1(x, y).sum()
        chamfer_l2(x, y).sum()
    assert max(saved) <= B * N * 3


def test_bad_input():
    x = torch.rand(2, 5, 3)
    with pytest.raises(ValueError, match="pred_lengths must lie in"):
        chamfer_l1(x, x, pred_lengths=torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        chamfer_l2(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"gt must have shape \(B, N, 3\)"):
        chamfer_l1(x, x[..., :2])
    with pytest.raises(ValueError, match="same batch size"):
        chamfer_l1(x, x[:1])
    with pytest.raises(ValueError, match="gt has no points"):
        chamfer_l1(x, torch.rand(2, 0, 3))
