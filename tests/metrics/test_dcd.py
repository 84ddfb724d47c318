"""Density-aware Chamfer distance: hand-computed cases, the naive twin, gradients, the loss."""

from __future__ import annotations

import math

import pytest
import torch

from pointrecon.losses import DCDLoss
from pointrecon.metrics import density_aware_chamfer, density_aware_chamfer_naive
from pointrecon.utils.instantiate import instantiate

FNS = [density_aware_chamfer, density_aware_chamfer_naive]


def t(rows):
    return torch.tensor([rows], dtype=torch.float64)


@pytest.mark.parametrize("fn", FNS)
def test_identical_clouds_score_zero(fn):
    p = t([[0, 0, 0], [1, 0, 0], [0, 1, 0]])
    assert fn(p, p).item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("fn", FNS)
def test_one_point_against_two(fn):
    # P = {0}, G = {0, (0.1,0,0)}, alpha 1000: d^2 = 0.01 -> exp(-10)
    # over P: count 1, ratio n1/n2 = 1/2: 1 - 0.5 = 0.5
    # over G: both share x0 (count 2), ratio 2: (1 - 1) and (1 - exp(-10)), mean (1 - e^-10) / 2
    p, g = t([[0, 0, 0]]), t([[0, 0, 0], [0.1, 0, 0]])
    want = 0.5 * (0.5 + (1 - math.exp(-10)) / 2)
    assert fn(p, g).item() == pytest.approx(want, rel=1e-12)
    # symmetric in its arguments
    assert fn(g, p).item() == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("n_lambda", [1.0, 2.0])
def test_counts_with_lambda(fn, n_lambda):
    # P (3 points): x0, x1 share g0 (count 2), x2 alone on g1; ratio 3/2
    # G (2 points): g0 -> x0, g1 -> x2, counts 1; ratio 2/3
    p = t([[0, 0, 0], [0.01, 0, 0], [1, 0, 0]])
    g = t([[0, 0, 0], [1, 0, 0]])
    w = 1.5 / 2**n_lambda
    over_p = ((1 - w) + (1 - w * math.exp(-1000 * 1e-4)) + (1 - 1.5)) / 3
    over_g = 1 - 2 / 3
    want = 0.5 * (over_p + over_g)
    assert fn(p, g, n_lambda=n_lambda).item() == pytest.approx(want, rel=1e-12)
    # alpha scales the exponent: alpha 10 -> exp(-10 * 1e-4)
    over_p10 = ((1 - w) + (1 - w * math.exp(-10 * 1e-4)) + (1 - 1.5)) / 3
    got = fn(p, g, alpha=10.0, n_lambda=n_lambda).item()
    assert got == pytest.approx(0.5 * (over_p10 + over_g), rel=1e-12)
    # clamp_ratio: max(1, ratio) -> 1.5 and 1
    wc = 1.5 / 2**n_lambda
    over_pc = ((1 - wc) + (1 - wc * math.exp(-0.1)) + (1 - 1.5)) / 3
    got = fn(p, g, n_lambda=n_lambda, clamp_ratio=True).item()
    assert got == pytest.approx(0.5 * (over_pc + 0.0), rel=1e-12)


@pytest.mark.parametrize("fn", FNS)
def test_far_apart_clouds_score_near_one(fn):
    p = t([[0, 0, 0], [0, 0.1, 0]])
    assert fn(p, p + 5.0).item() == pytest.approx(1.0, abs=1e-9)


def test_matches_naive_twin_on_ragged_batches_forward_and_backward():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(3, 50, 3, generator=g) * 0.2).requires_grad_(True)
    y = torch.rand(3, 70, 3, generator=g) * 0.2
    xl, yl = torch.tensor([50, 17, 3]), torch.tensor([70, 70, 9])
    for kw in ({}, {"n_lambda": 0.5, "alpha": 200.0}, {"clamp_ratio": True}):
        a = density_aware_chamfer(x, y, pred_lengths=xl, gt_lengths=yl, **kw)
        b = density_aware_chamfer_naive(x, y, pred_lengths=xl, gt_lengths=yl, **kw)
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
        (ga,) = torch.autograd.grad(a.sum(), x)
        (gb,) = torch.autograd.grad(b.sum(), x)
        torch.testing.assert_close(ga, gb, atol=1e-5, rtol=1e-4)
        assert torch.all(ga[1, 17:] == 0) and torch.all(ga[2, 3:] == 0)


def test_bad_parameters():
    p = torch.rand(1, 5, 3)
    with pytest.raises(ValueError, match="alpha"):
        density_aware_chamfer(p, p, alpha=0.0)
    with pytest.raises(ValueError, match="n_lambda"):
        density_aware_chamfer(p, p, n_lambda=-1.0)
    with pytest.raises(ValueError, match="reduction"):
        density_aware_chamfer(p, p, reduction="avg")


def test_loss_reduces_trains_and_builds_from_config():
    g = torch.Generator().manual_seed(1)
    y = torch.rand(2, 64, 3, generator=g) * 0.1
    pred = torch.nn.Parameter(y + 0.01 * torch.randn(2, 64, 3, generator=g))
    loss_fn = DCDLoss()
    want = density_aware_chamfer(pred, y).mean()
    torch.testing.assert_close(loss_fn(pred, y), want)
    opt = torch.optim.Adam([pred], lr=0.002)
    start = loss_fn(pred, y).item()
    for _ in range(30):
        opt.zero_grad()
        loss_fn(pred, y).backward()
        opt.step()
    assert loss_fn(pred, y).item() < 0.7 * start
    from omegaconf import OmegaConf

    from pointrecon.cli._paths import conf_dir

    cfg = OmegaConf.load(f"{conf_dir()}/loss/dcd.yaml")
    built = instantiate(cfg)
    assert isinstance(built.criterion, DCDLoss) and built.criterion.alpha == 1000.0


def test_evaluation_column_is_the_metric():
    from pointrecon.train.evaluation import METRICS, batch_metrics, summarize

    g = torch.Generator().manual_seed(3)
    pred, gt = torch.rand(2, 30, 3, generator=g), torch.rand(2, 50, 3, generator=g)
    lengths = torch.tensor([50, 20])
    rows = batch_metrics(pred, gt, lengths, with_dcd=True)
    want = density_aware_chamfer_naive(pred, gt, gt_lengths=lengths)
    torch.testing.assert_close(torch.tensor(rows["dcd"]), want.float(), atol=1e-6, rtol=1e-5)
    assert "dcd" not in batch_metrics(pred, gt, lengths)
    assert METRICS["dcd"][1]  # lower is better
    table = summarize([{"category": "a", "dcd": 0.2, "cd_l1": 1.0}])
    assert table["mean"]["dcd"] == pytest.approx(0.2)
