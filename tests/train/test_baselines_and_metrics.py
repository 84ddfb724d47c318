"""The trivial baselines, the per-category summary and the multi-stage loss against references."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from pointrecon.models.outputs import ReconOutput
from pointrecon.train.baselines import (
    best_mirror_plane,
    hemisphere_normals,
    input_baseline,
    mirror_baseline,
    reflect,
)
from pointrecon.train.evaluation import batch_metrics, summarize
from pointrecon.train.multistage_loss import MultiStageLoss


def test_hemisphere_normals_are_unit_and_spread():
    n = hemisphere_normals(200)
    assert torch.allclose(n.norm(dim=1), torch.ones(200), atol=1e-6)
    assert (n[:, 2] >= 0).all()
    # every direction of the upper hemisphere is within ~15 degrees of a candidate
    probe = torch.nn.functional.normalize(torch.randn(500, 3), dim=1)
    probe[:, 2] = probe[:, 2].abs()
    assert (probe @ n.T).max(1).values.min() > math.cos(math.radians(15))


def test_reflect_is_an_involution_and_keeps_the_plane_fixed():
    pts = torch.randn(50, 3)
    c, n = torch.tensor([0.1, -0.2, 0.3]), torch.nn.functional.normalize(torch.randn(1, 3))
    once = reflect(pts, c, n)[0]
    assert torch.allclose(reflect(once, c, n)[0], pts, atol=1e-5)
    on_plane = pts - ((pts - c) @ n[0])[:, None] * n[0]
    assert torch.allclose(reflect(on_plane, c, n)[0], on_plane, atol=1e-5)


def test_best_mirror_plane_recovers_a_known_symmetry():
    g = torch.Generator().manual_seed(0)
    half = torch.rand(200, 3, generator=g) * torch.tensor([1.0, 0.6, 0.3]) + torch.tensor(
        [0.05, 0, 0]
    )
    normal = torch.nn.functional.normalize(torch.tensor([1.0, 0.3, 0.2]), dim=0)
    # rotate the x-mirror-symmetric cloud so the plane normal is `normal`
    q, _ = torch.linalg.qr(
        torch.stack([normal, torch.randn(3, generator=g), torch.randn(3, generator=g)]).T
    )
    rot = q * torch.sign(q[:, :1].T @ normal)[None]  # first column = +normal
    sym = torch.cat([half, half * torch.tensor([-1.0, 1, 1])]) @ rot.T + torch.tensor([0.2, 0.1, 0])
    _, found, score = best_mirror_plane(sym, num_normals=256)
    assert abs(float(found @ normal)) > 0.999  # found via the PCA/grid candidates
    assert score < 1e-4  # 400 points: no subsampling, the mirror image is the cloud itself


def test_baselines_keep_the_input_and_resample():
    g = torch.Generator().manual_seed(0)
    pts = torch.randn(2, 100, 3)
    lengths = torch.tensor([100, 60])
    out = input_baseline(pts, lengths, 150, g)
    assert out.shape == (2, 150, 3)
    for b in range(2):  # every output point is an input point, every input point is used
        src = pts[b, : lengths[b]]
        d = torch.cdist(out[b], src, compute_mode="donot_use_mm_for_euclid_dist")
        assert d.min(1).values.max() == 0 and (d.min(0).values == 0).all()
    mir = mirror_baseline(pts, lengths, 400, g)
    assert mir.shape == (2, 400, 3)
    src = pts[1, :60]
    assert (
        torch.cdist(src, mir[1], compute_mode="donot_use_mm_for_euclid_dist").min(1).values < 1e-6
    ).float().mean() > 0.9


def _reference_metrics(pred, gt, tau=0.01):
    d1 = cKDTree(gt).query(pred)[0]
    d2 = cKDTree(pred).query(gt)[0]
    p, r = (d1 < tau).mean(), (d2 < tau).mean()
    f = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return 1e3 * 0.5 * (d1.mean() + d2.mean()), 1e3 * ((d1**2).mean() + (d2**2).mean()), f


def test_batch_metrics_match_a_kdtree_reference():
    rng = np.random.default_rng(0)
    gt = rng.random((3, 300, 3)).astype(np.float32)
    pred = (gt[:, :200] + rng.normal(0, 0.005, (3, 200, 3))).astype(np.float32)
    m = batch_metrics(torch.from_numpy(pred), torch.from_numpy(gt))
    for b in range(3):
        l1, l2, f = _reference_metrics(pred[b], gt[b])
        assert m["cd_l1"][b] == pytest.approx(l1, rel=1e-4)
        assert m["cd_l2"][b] == pytest.approx(l2, rel=1e-3)
        assert m["fscore"][b] == pytest.approx(f, abs=1e-6)


def test_summarize_averages_per_category_then_over_categories():
    recs = [
        {"category": "b", "cd_l1": 1.0, "fscore": 0.5},
        {"category": "a", "cd_l1": 2.0, "fscore": 0.1},
        {"category": "a", "cd_l1": 4.0, "fscore": 0.3},
    ]
    t = summarize(recs)
    assert list(t) == ["a", "b", "mean"]
    assert t["a"] == {"cd_l1": 3.0, "fscore": pytest.approx(0.2), "n": 2}
    assert t["mean"]["cd_l1"] == 2.0 and t["mean"]["n"] == 3
    with pytest.raises(ValueError, match="no records"):
        summarize([])


class _L1Mean(torch.nn.Module):
    def forward(self, pred, gt, pred_lengths=None, gt_lengths=None):
        return (pred.mean() - gt.mean()).abs()


def test_multistage_loss_counts_each_stage_once():
    gt = torch.zeros(2, 10, 3)
    coarse, s0, s1 = (
        torch.full((2, 4, 3), 1.0),
        torch.full((2, 8, 3), 2.0),
        torch.full((2, 8, 3), 3.0),
    )
    loss = MultiStageLoss(_L1Mean(), coarse_weight=1.0, step_weight=0.5, fine_weight=2.0)
    with_steps = ReconOutput(coarse=coarse, fine=s1, steps=[s0, s1])
    assert float(loss(with_steps, gt)) == pytest.approx(1 + 0.5 * (2 + 3))
    two_stage = ReconOutput(coarse=coarse, fine=s0, steps=[])
    assert float(loss(two_stage, gt)) == pytest.approx(1 + 2.0 * 2)
    single = ReconOutput(coarse=coarse, fine=coarse, steps=[])
    assert float(loss(single, gt)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="coarse_weight"):
        MultiStageLoss(_L1Mean(), coarse_weight=-1)


def test_densify_adds_midpoints_to_nearest_neighbours():
    """Every output row is an input point or the midpoint of an input point and one of its
    k nearest other points (reference: scipy's kd-tree), each pair once. Here k = 8 gives
    fewer than 350 distinct pairs, so densify doubles it to 16."""
    from scipy.spatial import cKDTree

    from pointrecon.train.baselines import densify

    rng = np.random.default_rng(0)
    pts = torch.from_numpy(rng.random((50, 3)).astype(np.float32))
    out = densify(pts, 400, torch.Generator().manual_seed(0)).numpy()
    assert out.shape == (400, 3)
    assert len(np.unique(out, axis=0)) == 400
    k = 16
    _, nn = cKDTree(pts.numpy()).query(pts.numpy(), k + 1)
    allowed = [pts.numpy()] + [0.5 * (pts.numpy() + pts.numpy()[nn[:, j]]) for j in range(1, k + 1)]
    d, _ = cKDTree(np.concatenate(allowed)).query(out)
    assert d.max() < 1e-6
    # a cloud denser than asked is only subsampled
    few = densify(pts, 20, torch.Generator().manual_seed(0)).numpy()
    assert cKDTree(pts.numpy()).query(few)[0].max() == 0


def test_dense_baselines_match_the_prediction_size_and_score_better_f():
    from pointrecon.metrics import f_score
    from pointrecon.train.baselines import dense_baseline, input_baseline

    g = torch.Generator().manual_seed(0)
    sphere = torch.randn(1, 20000, 3, generator=g)
    sphere = sphere / sphere.norm(dim=-1, keepdim=True)
    partial = sphere[:, :1000][:, sphere[0, :1000, 2] > 0]  # the upper half, about 500 points
    dense = dense_baseline(partial, None, 4000, g)
    assert dense.shape == (1, 4000, 3)
    plain = input_baseline(partial, None, 4000, g)
    tau = 0.03
    assert f_score(dense, sphere, tau).fscore > 1.2 * f_score(plain, sphere, tau).fscore
    mirrored = dense_baseline(partial, None, 4000, g, mirror=True)
    assert mirrored.shape == (1, 4000, 3)
    assert torch.isfinite(mirrored).all()
