"""Chamfer L1/L2 through the fused Triton kernels against the torch.cdist twins: values and
gradients, ragged lengths, float32 and bfloat16 (the Triton interpreter on CPU without CUDA)."""

from __future__ import annotations

import pytest
import torch

from pointrecon.metrics import chamfer_l1, chamfer_l1_naive, chamfer_l2, chamfer_l2_naive

PAIRS = {"l1": (chamfer_l1, chamfer_l1_naive), "l2": (chamfer_l2, chamfer_l2_naive)}


def _value_and_grads(fn, x, y, xl, yl, **kw):
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    v = fn(x, y, pred_lengths=xl, gt_lengths=yl, **kw)
    (v * torch.arange(1, v.numel() + 1, device=v.device, dtype=v.dtype)).sum().backward()
    return v, x.grad, y.grad


@pytest.mark.parametrize("kind", ["l1", "l2"])
@pytest.mark.parametrize("B,N,M,ragged", [(1, 1, 1, False), (2, 37, 50, True)])
def test_triton_chamfer_matches_naive(triton_device, clouds, kind, B, N, M, ragged):
    fast, naive = PAIRS[kind]
    x, y, xl, yl = clouds(B, N, M, ragged, device=triton_device, seed=N + M)
    v, gx, gy = _value_and_grads(fast, x, y, xl, yl, backend="triton")
    rv, rgx, rgy = _value_and_grads(naive, x, y, xl, yl)
    torch.testing.assert_close(v, rv, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(gx, rgx, atol=1e-6, rtol=1e-4)
    torch.testing.assert_close(gy, rgy, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_triton_chamfer_bfloat16(triton_device, clouds, kind):
    fast, naive = PAIRS[kind]
    x, y, xl, yl = clouds(2, 30, 40, True, dtype=torch.bfloat16, device=triton_device, seed=2)
    v, gx, gy = _value_and_grads(fast, x, y, xl, yl, backend="triton")
    rv, rgx, rgy = _value_and_grads(naive, x.float(), y.float(), xl, yl)
    assert v.dtype == gx.dtype == torch.bfloat16
    torch.testing.assert_close(v.float(), rv, atol=1e-3, rtol=2e-2)
    torch.testing.assert_close(gx.float(), rgx, atol=2e-3, rtol=5e-2)
    torch.testing.assert_close(gy.float(), rgy, atol=2e-3, rtol=5e-2)
