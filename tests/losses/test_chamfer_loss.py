"""ChamferLoss: equals the metric kernels, reduces, trains, builds from a config."""

from __future__ import annotations

import pytest
import torch

from pointrecon.losses import ChamferLoss
from pointrecon.metrics import chamfer_l1_naive, chamfer_l2_naive
from pointrecon.utils.instantiate import instantiate


def _data(seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(3, 40, 3, generator=g), torch.rand(3, 60, 3, generator=g)


@pytest.mark.parametrize("kind, naive", [("l1", chamfer_l1_naive), ("l2", chamfer_l2_naive)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_equals_naive_metric(kind, naive, reduction):
    x, y = _data()
    xl, yl = torch.tensor([40, 10, 3]), torch.tensor([60, 60, 5])
    got = ChamferLoss(kind, reduction)(x, y, xl, yl)
    want = naive(x, y, pred_lengths=xl, gt_lengths=yl, reduction=reduction)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_gradient_descent_fits_target():
    x, y = _data(1)
    pred = torch.nn.Parameter(x.clone())
    loss_fn = ChamferLoss("l2")
    opt = torch.optim.Adam([pred], lr=0.05)
    start = loss_fn(pred, y).item()
    for _ in range(25):
        opt.zero_grad()
        loss = loss_fn(pred, y)
        loss.backward()
        opt.step()
    assert loss_fn(pred, y).item() < 0.3 * start


def test_from_config_and_bad_kind():
    loss = instantiate(
        {"_target_": "pointrecon.losses.ChamferLoss", "kind": "l2", "reduction": "sum"}
    )
    assert isinstance(loss, ChamferLoss) and loss.kind == "l2" and loss.reduction == "sum"
    with pytest.raises(ValueError, match="kind must be one of"):
        ChamferLoss("l3")
    with pytest.raises(ValueError, match="reduction must be one of"):
        ChamferLoss("l1", "avg")
