"""LocalSequenceRefiner: local conditioning on the partial and the windowed RNN."""

from __future__ import annotations

import torch

from pointrecon.models import LocalSequenceRefiner


def test_refiner_sees_the_partial_near_each_point():
    """Moving partial points next to a query point changes its move; the same change far from
    every point of the sequence's window changes nothing (local conditioning, k nearest)."""
    torch.manual_seed(1)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, up_factor=1,
                             window=0, local_k=2, feat_channels=8).eval()  # fmt: skip
    pts = torch.tensor([[[0.0, 0.0, 0.0]]])
    partial = torch.tensor([[[0.1, 0.0, 0.0], [0.0, 0.1, 0.0], [5.0, 5.0, 5.0]]])
    feats, code = torch.rand(1, 3, 5), torch.rand(1, 4)
    base = r(pts, partial, feats, code)[0]
    far = partial.clone()
    far[0, 2] = torch.tensor([6.0, 6.0, 6.0])  # not among the 2 nearest: no effect
    torch.testing.assert_close(r(pts, far, feats, code)[0], base)
    near = partial.clone()
    near[0, 0] = torch.tensor([0.05, 0.05, 0.0])
    assert (r(pts, near, feats, code)[0] - base).abs().max() > 1e-6


def test_windowed_rnn_equals_per_window_runs():
    torch.manual_seed(2)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, window=4,
                             order="none", local_k=2, feat_channels=8).eval()  # fmt: skip
    feats = torch.rand(1, 10, 35)  # 3 + 2 * 8 + hidden 8 + local 8
    points = torch.rand(1, 10, 3)
    out = r.run_sequence(feats, points)
    pad = torch.cat([feats, feats.new_zeros(1, 2, 35)], dim=1)
    ref = torch.cat([r.rnn(pad[:, i : i + 4])[0] for i in range(0, 12, 4)], dim=1)[:, :10]
    torch.testing.assert_close(out, ref)


def test_local_features_equal_the_mlp_on_gathered_neighbours():
    """The first layer applied per partial point and per point gives the MLP of every gathered
    ``[F_j, P_j - x]`` (up to float rounding), values and gradients."""
    torch.manual_seed(3)
    r = LocalSequenceRefiner(code_channels=4, point_channels=5, hidden=8, local_k=3,
                             feat_channels=8)  # fmt: skip
    pts = torch.rand(2, 40, 3, requires_grad=True)
    partial = torch.rand(2, 17, 3, requires_grad=True)
    feats = torch.randn(2, 17, 5, requires_grad=True)
    grads = []
    for fn in (r.local_features, r.local_features_reference):
        r.zero_grad(set_to_none=True)
        out = fn(pts, partial, feats)
        g = torch.autograd.grad(
            out.square().sum(), [pts, partial, feats, *r.local_mlp.parameters()]
        )
        grads.append((out, *g))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert grads[0][0].shape == (2, 40, 8)
