"""The fused Triton knn kernel against knn_naive: indices, distances, gradients, ragged and empty
clouds, K > M, float32 and bfloat16. Without CUDA it runs through the Triton interpreter on CPU;
sizes are small because the interpreter is slow, yet span several tiles (16 rows x 32 points)."""

from __future__ import annotations

import math

import pytest
import torch

from pointrecon.ops import knn, knn_naive

# (B, N, M, K, ragged, empty)
SHAPES = [
    (1, 1, 1, 1, False, False),
    (2, 37, 70, 1, True, False),
    (2, 33, 45, 8, True, True),
    (1, 20, 5, 16, False, False),  # K > M: missing slots
    (1, 18, 40, 32, False, False),  # the largest K the kernel keeps
]


def _masked_equal(a, b, atol):
    assert torch.equal(torch.isinf(a), torch.isinf(b))
    fin = torch.isfinite(a)
    torch.testing.assert_close(a[fin], b[fin], atol=atol, rtol=0)


@pytest.mark.parametrize("B,N,M,K,ragged,empty", SHAPES)
def test_triton_knn_matches_naive(triton_device, clouds, B, N, M, K, ragged, empty):
    x, y, xl, yl = clouds(B, N, M, ragged, device=triton_device, seed=N + K, empty=empty)
    got = knn(x, y, K, x_lengths=xl, y_lengths=yl, backend="triton")
    ref = knn_naive(x, y, K, x_lengths=xl, y_lengths=yl)
    assert got.idx.shape == (B, N, K) and got.idx.dtype == torch.int64
    assert torch.equal(got.idx, ref.idx)
    _masked_equal(got.dists, ref.dists, atol=1e-6)


def test_triton_knn_gradient_matches_naive(triton_device, clouds):
    x, y, xl, yl = clouds(2, 30, 40, True, device=triton_device, seed=3)
    x1, y1 = x.clone().requires_grad_(), y.clone().requires_grad_()
    x2, y2 = x.clone().requires_grad_(), y.clone().requires_grad_()
    w = torch.rand(2, 30, 4, generator=torch.Generator().manual_seed(1)).to(triton_device)
    d1 = knn(x1, y1, 4, x_lengths=xl, y_lengths=yl, backend="triton").dists
    d2 = knn_naive(x2, y2, 4, x_lengths=xl, y_lengths=yl).dists
    (d1.nan_to_num(posinf=0) * w).sum().backward()
    (d2.nan_to_num(posinf=0) * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, atol=1e-5, rtol=0)
    torch.testing.assert_close(y1.grad, y2.grad, atol=1e-5, rtol=0)


def test_triton_knn_bfloat16(triton_device, clouds):
    # bf16 inputs are widened to float32 inside the kernel; the neighbours are those of the
    # float32 values of the bf16 points (the naive twin in float32 on the same values).
    x, y, xl, yl = clouds(2, 24, 40, True, dtype=torch.bfloat16, device=triton_device, seed=5)
    got = knn(x, y, 4, x_lengths=xl, y_lengths=yl, backend="triton")
    ref = knn_naive(x.float(), y.float(), 4, x_lengths=xl, y_lengths=yl)
    assert got.dists.dtype == torch.bfloat16
    # bf16 has ties after rounding: compare distances (as bf16), not indices
    _masked_equal(got.dists.float(), ref.dists, atol=2e-2)
    valid = ref.idx >= 0
    assert torch.equal(got.idx >= 0, valid)


def test_triton_knn_empty_batch_and_points(triton_device):
    x = torch.zeros(0, 5, 3, device=triton_device)
    assert knn(x, x, 2, backend="triton").idx.shape == (0, 5, 2)
    x = torch.rand(2, 0, 3, device=triton_device)
    y = torch.rand(2, 4, 3, device=triton_device)
    assert knn(x, y, 2, backend="triton").idx.shape == (2, 0, 2)
    res = knn(y, x, 2, backend="triton")
    assert (res.idx == -1).all() and torch.isinf(res.dists).all()
    assert not math.isnan(float(res.dists.sum()))


def test_triton_backend_refuses_what_it_cannot_do():
    x = torch.rand(1, 4, 3)
    with pytest.raises(ValueError, match="k <= 32"):
        knn(x, x, 33, backend="triton")
    with pytest.raises(ValueError, match="3D points"):
        knn(torch.rand(1, 4, 5), torch.rand(1, 4, 5), 1, backend="triton")
