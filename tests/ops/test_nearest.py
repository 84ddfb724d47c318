"""nearest_sqdist (the Chamfer / F-Score kernel) against its naive twin, every backend: values,
indices and gradients, ragged and empty clouds, float32 and bfloat16. The fused Triton forward and
backward run through the Triton interpreter on CPU when CUDA is absent."""

from __future__ import annotations

import pytest
import torch

from pointrecon.ops import nearest_sqdist, nearest_sqdist_naive

# (B, N, M, ragged, empty)
SHAPES = [(1, 1, 1, False, False), (2, 37, 70, True, False), (3, 20, 33, True, True)]


def _run(fn, x, y, xl, yl, w, **kw):
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    d, i = fn(x, y, x_lengths=xl, y_lengths=yl, **kw)
    (d.nan_to_num(posinf=0).float() * w).sum().backward()
    return d, i, x.grad, y.grad


def _check(got, ref, atol, grad_atol):
    d, i, gx, gy = got
    rd, ri, rgx, rgy = ref
    assert d.shape == rd.shape and i.dtype == torch.int64
    assert torch.equal(i, ri)
    assert torch.equal(torch.isinf(d), torch.isinf(rd))
    fin = torch.isfinite(rd)
    torch.testing.assert_close(d[fin].float(), rd[fin].float(), atol=atol, rtol=0)
    torch.testing.assert_close(gx.float(), rgx.float(), atol=grad_atol, rtol=0)
    torch.testing.assert_close(gy.float(), rgy.float(), atol=grad_atol, rtol=0)


@pytest.mark.parametrize("backend", ["kdtree", "brute"])
@pytest.mark.parametrize("B,N,M,ragged,empty", SHAPES)
def test_nearest_matches_naive(clouds, backend, B, N, M, ragged, empty):
    x, y, xl, yl = clouds(B, N, M, ragged, seed=N, empty=empty)
    w = torch.rand(B, N)
    got = _run(nearest_sqdist, x, y, xl, yl, w, backend=backend)
    _check(got, _run(nearest_sqdist_naive, x, y, xl, yl, w), 1e-6, 1e-5)


@pytest.mark.parametrize("B,N,M,ragged,empty", SHAPES)
def test_fused_triton_nearest_forward_and_backward(triton_device, clouds, B, N, M, ragged, empty):
    x, y, xl, yl = clouds(B, N, M, ragged, device=triton_device, seed=N, empty=empty)
    w = torch.rand(B, N).to(triton_device)
    got = _run(nearest_sqdist, x, y, xl, yl, w, backend="triton")
    _check(got, _run(nearest_sqdist_naive, x, y, xl, yl, w), 1e-6, 1e-5)


def test_fused_triton_nearest_bfloat16(triton_device, clouds):
    x, y, xl, yl = clouds(2, 30, 40, True, dtype=torch.bfloat16, device=triton_device, seed=9)
    w = torch.rand(2, 30).to(triton_device)
    d, i, gx, gy = _run(nearest_sqdist, x, y, xl, yl, w, backend="triton")
    assert d.dtype == gx.dtype == gy.dtype == torch.bfloat16
    # reference: float32 on the same (bf16-rounded) values, gathered at the kernel's indices
    rd, ri, rgx, rgy = _run(nearest_sqdist_naive, x.float(), y.float(), xl, yl, w)
    fin = torch.isfinite(rd)
    torch.testing.assert_close(d[fin].float(), rd[fin], atol=2e-2, rtol=2e-2)
    torch.testing.assert_close(gx.float(), rgx, atol=5e-2, rtol=2e-2)
    torch.testing.assert_close(gy.float(), rgy, atol=5e-2, rtol=2e-2)


def test_nearest_rejects_bad_backend():
    x = torch.rand(1, 4, 3)
    with pytest.raises(ValueError, match="backend"):
        nearest_sqdist(x, x, backend="magic")
