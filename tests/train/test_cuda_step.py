"""The GPU path end to end (marked ``cuda``; skipped without CUDA): model forward+backward on CUDA
against the CPU result, and training steps with bf16 autocast and with ``torch.compile``, whose
Chamfer losses go through the fused Triton kernels when triton imports."""

from __future__ import annotations

import contextlib

import pytest
import torch

from pointrecon.metrics import chamfer_l1
from pointrecon.models import CompletionNet, LocalPointNet, SequenceRefiner

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def _completion() -> CompletionNet:
    torch.manual_seed(0)
    enc = LocalPointNet(point_channels=16, out_channels=32, k=4, hidden=8)
    return CompletionNet(
        enc, seeds_fc=16, seeds_partial=16, up_factors=[2, 4], hidden=16, window=16,
        local_k=4, feat_channels=16,
    )  # fmt: skip


def _clouds(seed: int, device: str = "cuda"):
    g = torch.Generator().manual_seed(seed)
    partial = torch.rand(4, 256, 3, generator=g) * 2 - 1
    gt = torch.rand(4, 1024, 3, generator=g) * 2 - 1
    return partial.to(device), gt.to(device)


def test_completion_forward_backward_on_cuda_matches_cpu():
    model = _completion().eval()
    partial, _ = _clouds(0, "cpu")
    ref = model(partial).fine
    got = model.cuda()(partial.cuda()).fine
    torch.testing.assert_close(got.cpu(), ref, atol=1e-4, rtol=1e-4)
    chamfer_l1(got, partial.cuda().repeat(1, 2, 1), reduction="mean").backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_sequence_refiner_on_cuda_matches_cpu():
    torch.manual_seed(0)
    model = SequenceRefiner(32, hidden=16, feat_channels=16, window=16, steps=2).eval()
    pts, code = torch.rand(2, 300, 3), torch.randn(2, 32)
    ref = model(pts, code)[-1]
    got = model.cuda()(pts.cuda(), code.cuda())[-1]
    torch.testing.assert_close(got.cpu(), ref, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("mode", ["float32", "bfloat16", "compile"])
def test_training_steps_on_cuda_reduce_the_loss(mode):
    model = _completion().cuda().train()
    fwd = torch.compile(model) if mode == "compile" else model
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    partial, gt = _clouds(1)
    losses = []
    for _ in range(15):
        opt.zero_grad(set_to_none=True)
        ctx = (
            torch.autocast("cuda", dtype=torch.bfloat16)
            if mode == "bfloat16"
            else contextlib.nullcontext()
        )
        with ctx:
            out = fwd(partial)
        loss = sum(chamfer_l1(s.float(), gt, reduction="mean") for s in out.steps)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]
