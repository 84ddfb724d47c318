"""gather_points and group_points vs their naive twins, forward and gradient."""

from __future__ import annotations

import pytest
import torch

from pointrecon.ops import gather_points, gather_points_naive, group_points, group_points_naive

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(
    "B, N, C, idx_shape", [(1, 1, 3, (1,)), (2, 10, 3, (4, 5)), (3, 7, 6, (2, 3, 2))]
)
def test_gather_matches_naive_with_grad(device, B, N, C, idx_shape):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, N, C, generator=g, dtype=torch.float64).to(device)
    idx = torch.randint(-1, N, (B, *idx_shape), generator=g).to(device)
    grads = []
    for fn in (gather_points, gather_points_naive):
        xx = x.clone().requires_grad_()
        out = fn(xx, idx)
        assert out.shape == (B, *idx_shape, C)
        w = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        (out * w.to(device)).sum().backward()
        grads.append((out.detach(), xx.grad))
    assert torch.equal(grads[0][0], grads[1][0])
    torch.testing.assert_close(grads[0][1], grads[1][1], atol=1e-12, rtol=0)
    assert bool((grads[0][0][idx < 0] == 0).all())  # -1 gives zero rows


def test_gather_hand_computed_and_errors():
    x = torch.arange(12.0).view(2, 2, 3)
    assert gather_points(x, torch.tensor([[1, 0], [-1, 1]])).tolist() == [
        [[3.0, 4, 5], [0, 1, 2]],
        [[0, 0, 0], [9, 10, 11]],
    ]
    with pytest.raises(ValueError, match=r"idx values must lie in \[-1, N-1\]"):
        gather_points(x, torch.tensor([[2], [0]]))
    with pytest.raises(TypeError, match="idx must be an integer"):
        gather_points(x, torch.zeros(2, 1))
    with pytest.raises(ValueError, match="idx must have shape"):
        gather_points(x, torch.zeros(3, 1, dtype=torch.int64))


@pytest.mark.parametrize("with_centers", [False, True])
@pytest.mark.parametrize("with_feats", [False, True])
def test_group_matches_naive(with_centers, with_feats):
    g = torch.Generator().manual_seed(2)
    p = torch.randn(2, 9, 3, generator=g)
    idx = torch.randint(-1, 9, (2, 4, 3), generator=g)
    c = torch.randn(2, 4, 3, generator=g) if with_centers else None
    f = torch.randn(2, 9, 5, generator=g) if with_feats else None
    a = group_points(p, idx, centers=c, feats=f)
    b = group_points_naive(p, idx, centers=c, feats=f)
    assert a.shape == (2, 4, 3, 3 + (5 if with_feats else 0))
    torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
