"""SparseSliceNet: slices from z, RNN over slices, points filled between slices."""

from __future__ import annotations

import pytest
import torch

from pointrecon.models import SequenceRefiner, SparseSliceNet


def stacked_rings(B=2, T=4, per=32, gap=0.3, seed=0) -> torch.Tensor:
    """Contours of a cylinder of radius 0.6 on T slices, ``per`` points each (B, T*per, 3)."""
    g = torch.Generator().manual_seed(seed)
    ang = torch.rand(B, T, per, generator=g) * 6.283
    z = (torch.arange(T) * gap - gap * (T - 1) / 2)[None, :, None].expand(B, T, per)
    pts = torch.stack([0.6 * ang.cos(), 0.6 * ang.sin(), z], -1).reshape(B, T * per, 3)
    return pts[:, torch.randperm(T * per, generator=g)]


def test_shapes_observation_kept_and_coarse_interpolates():
    torch.manual_seed(0)
    m = SparseSliceNet(
        feat_channels=16, slice_channels=32, hidden=16, points_per_side=3, fill_points=0
    )
    x = stacked_rings()
    out = m(partial=x)
    assert out.fine.shape == (2, x.shape[1] * 7, 3) and out.coarse.shape == out.fine.shape
    torch.testing.assert_close(out.fine[:, : x.shape[1]], x)
    # interior coarse points lie between neighbouring slices, the outer ones one gap beyond
    z = out.coarse[..., 2]
    assert z.min() >= -0.45 - 0.3 - 1e-5 and z.max() <= 0.45 + 0.3 + 1e-5
    # the offsets start near zero: fine close to coarse
    assert (out.fine - out.coarse).abs().max() < 0.05


def test_fill_points_start_between_each_point_and_its_slice_centroid():
    torch.manual_seed(0)
    m = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16, fill_points=3)
    x = stacked_rings(B=1, T=3)
    out = m(partial=x)
    n = x.shape[1]
    assert out.fine.shape == (1, n * 8, 3)
    fill = out.coarse[0, n * 5 :].reshape(n, 3, 3)  # (point, fraction, xyz)
    r = fill[..., :2].norm(dim=-1)
    # the rings are centred on the z axis: the centroid is near it, so radii shrink 3/4, 1/2, 1/4
    torch.testing.assert_close(r.mean(0), torch.tensor([0.45, 0.3, 0.15]), atol=0.03, rtol=0)
    torch.testing.assert_close(fill[..., 2], x[0, :, None, 2].expand(n, 3))  # in the slice plane


def test_point_order_does_not_matter():
    torch.manual_seed(0)
    m = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16).eval()
    x = stacked_rings(B=1)
    perm = torch.randperm(x.shape[1])
    a = m(partial=x).fine[0]
    b = m(partial=x[:, perm]).fine[0]
    d = torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
    assert d.max() < 1e-5


def test_padded_batches_match_unpadded():
    torch.manual_seed(0)
    m = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16, cell="lstm").eval()
    x = stacked_rings(B=2, T=5)
    short = x[1:, :100]
    padded = x.clone()
    padded[1, 100:] = 9.0  # garbage in the padding
    out = m(partial=padded, lengths=torch.tensor([x.shape[1], 100]))
    ref = m(partial=short).fine[0]
    got = out.fine[1]
    d = (
        torch.cdist(ref, got, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values
    )  # every unpadded output is produced
    assert d.max() < 1e-5
    assert got.abs().max() < 3.0  # nothing from the padding


@pytest.mark.parametrize("bidirectional", [True, False])
def test_gradients_reach_every_part(bidirectional):
    torch.manual_seed(0)
    m = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16, bidirectional=bidirectional)
    # the attention query starts at zero (uniform attention), which leaves the key without a
    # gradient at the very first step; move it as one optimizer step would
    torch.nn.init.normal_(m.att_q.weight, std=0.1)
    out = m(partial=stacked_rings())
    out.fine.square().sum().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_refiner_follows():
    torch.manual_seed(0)
    ref = SequenceRefiner(code_channels=32, hidden=16, window=32, steps=2, feat_channels=16)
    m = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16, refiner=ref)
    out = m(partial=stacked_rings())
    assert len(out.steps) == 2 and out.fine is out.steps[-1]


def test_bad_arguments():
    with pytest.raises(ValueError, match="cell"):
        SparseSliceNet(cell="rnn")
    with pytest.raises(ValueError, match="points_per_side"):
        SparseSliceNet(points_per_side=0)
    with pytest.raises(ValueError, match="partial"):
        SparseSliceNet()(partial=torch.zeros(2, 5))
