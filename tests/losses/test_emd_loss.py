"""EMDLoss: equals the metric, stays near the exact EMD, trains, builds from a config."""

from __future__ import annotations

import pytest
import torch

from pointrecon.losses import EMDLoss
from pointrecon.metrics import emd, emd_exact
from pointrecon.utils.instantiate import instantiate

CHEAP = dict(blur=0.01, level_iters=2, iters=20)


def test_equals_metric_and_near_exact():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 64, 3, generator=g), torch.rand(2, 64, 3, generator=g)
    got = EMDLoss("none", **CHEAP)(x, y)
    torch.testing.assert_close(got, emd(x, y, **CHEAP))
    rel = (got - emd_exact(x, y)) / emd_exact(x, y)
    assert float(rel.abs().max()) < 0.1  # the cheap settings: a loose bound
    torch.testing.assert_close(EMDLoss("mean", **CHEAP)(x, y), got.mean())


def test_gradient_descent_lowers_exact_emd():
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(1, 32, 3, generator=g), torch.rand(1, 32, 3, generator=g) + 0.5
    pred = torch.nn.Parameter(x.clone())
    loss_fn = EMDLoss(blur=0.05, level_iters=1, iters=10)
    opt = torch.optim.Adam([pred], lr=0.05)
    start = float(emd_exact(pred.detach(), y))
    for _ in range(15):
        opt.zero_grad()
        loss_fn(pred, y).backward()
        opt.step()
    assert float(emd_exact(pred.detach(), y)) < 0.5 * start


def test_from_config_and_errors():
    loss = instantiate({"_target_": "pointrecon.losses.EMDLoss", "reduction": "sum"})
    assert isinstance(loss, EMDLoss) and loss.reduction == "sum"
    with pytest.raises(ValueError, match="reduction must be one of"):
        EMDLoss("avg")
    with pytest.raises(ValueError, match="EMD needs clouds of equal sizes"):
        EMDLoss()(torch.rand(1, 4, 3), torch.rand(1, 5, 3))
