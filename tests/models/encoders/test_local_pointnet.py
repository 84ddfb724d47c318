"""LocalPointNet: permutation equivariance of the point features, invariance of the code."""

from __future__ import annotations

import math

import torch

from pointrecon.models import LocalPointNet


def test_local_pointnet_features_are_permutation_equivariant():
    enc = LocalPointNet(point_channels=16, out_channels=32, k=4, hidden=8).eval()
    x = torch.rand(1, 30, 3)
    perm = torch.randperm(30)
    a, b = enc(x), enc(x[:, perm])
    torch.testing.assert_close(a.code, b.code, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(a.point_feats[:, perm], b.point_feats, rtol=1e-5, atol=1e-5)
    assert math.prod(a.point_feats.shape) == 30 * 16
