"""F-Score vs its naive twin, Open3D's point-cloud distance, and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pointrecon.metrics import f_score, f_score_naive


def _data(B, N, M, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(B, N, 3, generator=g)
    return x, x[:, :M] + 0.02 * torch.randn(B, M, 3, generator=g)


@pytest.mark.parametrize("tau", [0.01, 0.03, 0.1])
@pytest.mark.parametrize("ragged", [False, True])
def test_matches_naive(tau, ragged):
    x, y = _data(3, 300, 200)
    xl = torch.tensor([300, 100, 7]) if ragged else None
    yl = torch.tensor([50, 200, 1]) if ragged else None
    a = f_score(x, y, tau, pred_lengths=xl, gt_lengths=yl)
    b = f_score_naive(x, y, tau, pred_lengths=xl, gt_lengths=yl)
    for got, want in zip(a, b):
        assert got.shape == (3,)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=0)


def test_matches_open3d_by_hand():
    o3d = pytest.importorskip("open3d")
    x, y = _data(2, 500, 400, seed=1)
    tau = 0.02
    out = f_score(x, y, tau)
    for b in range(2):
        pc_p = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(x[b].double().numpy()))
        pc_g = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(y[b].double().numpy()))
        d_pg = np.asarray(pc_p.compute_point_cloud_distance(pc_g))
        d_gp = np.asarray(pc_g.compute_point_cloud_distance(pc_p))
        p, r = (d_pg < tau).mean(), (d_gp < tau).mean()
        f = 2 * p * r / (p + r) if p + r > 0 else 0.0
        assert abs(float(out.precision[b]) - p) < 1e-6
        assert abs(float(out.recall[b]) - r) < 1e-6
        assert abs(float(out.fscore[b]) - f) < 1e-6


def test_hand_computed_strict_threshold_and_zero():
    gt = torch.tensor([[[0.0, 0, 0], [10, 0, 0]]])
    pred = torch.tensor([[[0.5, 0, 0], [0, 0.25, 0], [5, 5, 5]]])
    out = f_score(pred, gt, tau=0.5)
    # precision: 0.5 is not < 0.5, 0.25 is, far point is not -> 1/3; recall: origin hit only -> 1/2
    assert out.precision.tolist() == pytest.approx([1 / 3])
    assert out.recall.tolist() == [0.5]
    assert out.fscore.tolist() == pytest.approx([2 * (1 / 3) * 0.5 / (1 / 3 + 0.5)])
    far = f_score(pred + 100, gt)
    assert far.fscore.tolist() == [0.0] and far.precision.tolist() == [0.0]


def test_reduction_and_errors():
    x, y = _data(4, 50, 50, seed=2)
    v = f_score(x, y, 0.05)
    m = f_score(x, y, 0.05, reduction="mean")
    torch.testing.assert_close(m.fscore, v.fscore.mean())
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        f_score(x, y, tau=0.0)
    with pytest.raises(TypeError, match="tau must be a float"):
        f_score(x, y, tau="1")
