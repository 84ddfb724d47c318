"""EMD: exact vs brute-force permutations; Sinkhorn vs exact; the custom backward."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from pointrecon.metrics import _sinkhorn, emd, emd_exact

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def test_exact_matches_brute_force_over_permutations():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 6, 3, generator=g, dtype=torch.float64)
    y = torch.rand(2, 6, 3, generator=g, dtype=torch.float64)
    got = emd_exact(x, y)
    for b in range(2):
        c = torch.cdist(x[b], y[b])
        best = min(float(c[range(6), list(p)].mean()) for p in itertools.permutations(range(6)))
        assert float(got[b]) == pytest.approx(best, rel=1e-12)


def test_hand_computed_shift():
    x = torch.rand(3, 64, 3, generator=torch.Generator().manual_seed(1)) * 0.1
    y = x + torch.tensor([1.0, 0.0, 0.0])  # far apart: the optimal bijection is the shift
    torch.testing.assert_close(emd_exact(x, y), torch.ones(3))
    torch.testing.assert_close(
        emd(x, y, blur=0.01, level_iters=2, iters=10), torch.ones(3), rtol=0.01, atol=0
    )
    assert emd_exact(x, x.flip(1)).tolist() == [0.0, 0.0, 0.0]  # a permutation of the same points


@pytest.mark.parametrize("device", DEVICES)
def test_sinkhorn_within_stated_error_of_exact(device):
    """Random 256-point clouds: each |relative error| < 3%, mean |relative error| < 1.5%."""
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 256, 3, generator=g).to(device)
    y = torch.rand(3, 256, 3, generator=g).to(device)
    rel = (emd(x, y) - emd_exact(x, y)) / emd_exact(x, y)
    assert float(rel.abs().max()) < 0.03, rel
    assert float(rel.abs().mean()) < 0.015, rel


def test_ragged_equals_sliced():
    g = torch.Generator().manual_seed(3)
    x, y = torch.rand(3, 40, 3, generator=g), torch.rand(3, 40, 3, generator=g)
    ln = torch.tensor([40, 17, 2])
    cheap = dict(blur=0.01, level_iters=2, iters=20)
    for fn in (emd_exact, lambda *a, **k: emd(*a, **k, **cheap)):
        v = fn(x, y, pred_lengths=ln, gt_lengths=ln)
        for b in range(3):
            single = fn(x[b : b + 1, : ln[b]], y[b : b + 1, : ln[b]])
            torch.testing.assert_close(v[b : b + 1], single, rtol=1e-4, atol=1e-6)


def test_plan_cost_backward_matches_dense_autograd():
    g = torch.Generator().manual_seed(4)
    B, N = 2, 30
    x = torch.rand(B, N, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.rand(B, N, 3, generator=g, dtype=torch.float64, requires_grad=True)
    la = torch.full((B, N), -math.log(N), dtype=torch.float64)
    diam = torch.ones(B, dtype=torch.float64)
    f, gg, eps = _sinkhorn.solve(x.detach(), y.detach(), la, la, diam, 0.01, 0.8, 2, 10)
    v = _sinkhorn.PlanCost.apply(x, y, f, gg, la, la, eps)
    gx, gy = torch.autograd.grad((v * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum(), (x, y))
    c = torch.cdist(x, y)
    plan = torch.exp(la[:, :, None] + la[:, None, :] + (f[:, :, None] + gg[:, None, :] - c) / eps)
    v2 = (plan.detach() * c).sum((1, 2))
    gx2, gy2 = torch.autograd.grad(
        (v2 * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum(), (x, y)
    )
    torch.testing.assert_close(v, v2, atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(gx, gx2, atol=1e-10, rtol=1e-8)
    torch.testing.assert_close(gy, gy2, atol=1e-10, rtol=1e-8)


def test_gradient_points_like_the_exact_gradient():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(2, 64, 3, generator=g, requires_grad=True)
    y = torch.rand(2, 64, 3, generator=g)
    (ga,) = torch.autograd.grad(emd(x, y).sum(), x)
    (gb,) = torch.autograd.grad(emd_exact(x, y).sum(), x)
    assert float(torch.nn.functional.cosine_similarity(ga.flatten(), gb.flatten(), dim=0)) > 0.9


def test_exact_gradcheck():
    g = torch.Generator().manual_seed(6)
    x = torch.rand(2, 5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.rand(2, 5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: emd_exact(a, b), (x, y))


def test_backward_memory_is_linear():
    B, N = 2, 512
    x = torch.rand(B, N, 3, requires_grad=True)
    y = torch.rand(B, N, 3)
    saved: list[int] = []
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: saved.append(t.numel()) or t, lambda t: t
    ):
        emd(x, y, iters=1, blur=0.5, level_iters=1)
    assert max(saved) <= B * N * 3


def test_bad_input():
    x = torch.rand(2, 5, 3)
    with pytest.raises(ValueError, match="EMD needs clouds of equal sizes"):
        emd(x, torch.rand(2, 6, 3))
    with pytest.raises(ValueError, match="EMD needs clouds of equal sizes"):
        emd_exact(x, x, pred_lengths=torch.tensor([5, 4]))
    with pytest.raises(ValueError, match="blur and scaling must lie in"):
        emd(x, x, blur=2.0)
    with pytest.raises(ValueError, match=r"relax must lie in \[1, 2\), got 2.5"):
        emd(x, x, relax=2.5)
    with pytest.raises(ValueError, match="tol must be a finite number > 0"):
        emd(x, x, tol=0.0)


def test_dense_and_chunked_paths_agree(monkeypatch):
    """Same iterations on both paths: values and gradients agree to float64 round-off."""
    monkeypatch.setattr(_sinkhorn, "_CHUNK_ELEMENTS", 2 * 40 * 7)  # 7-row blocks, ragged tail
    g = torch.Generator().manual_seed(8)
    x = torch.rand(2, 40, 3, generator=g, dtype=torch.float64, requires_grad=True)
    y = torch.rand(2, 40, 3, generator=g, dtype=torch.float64, requires_grad=True)
    ln = torch.tensor([40, 29])
    out = {}
    for dense in (True, False):
        v = emd(x, y, pred_lengths=ln, gt_lengths=ln, blur=0.01, dense=dense)
        out[dense] = (v, *torch.autograd.grad((v * torch.tensor([1.0, 3.0])).sum(), (x, y)))
    for a, b in zip(out[True], out[False]):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)
    assert float(out[True][1].abs().max()) > 0  # the gradients are not trivially zero


def test_over_relaxation_falls_back_when_it_diverges():
    """relax close to 2 diverges here; the solve then reruns plain Sinkhorn (relax=1)."""
    g = torch.Generator().manual_seed(2)
    x, y = torch.rand(2, 128, 3, generator=g), torch.rand(2, 128, 3, generator=g)
    plain = emd(x, y, relax=1.0)
    torch.testing.assert_close(emd(x, y, relax=1.99), plain, rtol=1e-6, atol=0)
    assert not torch.allclose(emd(x, y), plain, rtol=1e-3, atol=0)  # relax=1.8 did not fall back
    rel = (emd(x, y) - emd_exact(x, y)) / emd_exact(x, y)
    assert float(rel.abs().max()) < 0.03
