"""knn vs its naive twin, scipy cKDTree, gradcheck and the memory bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from pointrecon.ops import knn, knn_naive
from pointrecon.ops.knn import _has_torch_cluster

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
BACKENDS = ["kdtree", "brute"]
# (B, N, M, K, ragged)
SHAPES = [
    (1, 1, 1, 1, False),
    (2, 37, 53, 1, False),
    (3, 64, 40, 8, True),
    (2, 20, 5, 16, True),
    (1, 300, 200, 4, False),
]
ATOL = 1e-5  # float32 squared distances of points in [-1, 1]^3


def _data(B, N, M, ragged, dtype=torch.float32, device="cpu", seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(B, N, 3, generator=g, dtype=dtype) * 2 - 1).to(device)
    y = (torch.rand(B, M, 3, generator=g, dtype=dtype) * 2 - 1).to(device)
    if not ragged:
        return x, y, None, None
    xl = torch.randint(0, N + 1, (B,), generator=g)
    yl = torch.randint(1, M + 1, (B,), generator=g)
    xl[0], yl[-1] = N, M
    return x, y, xl.to(device), yl.to(device)


def _backends(device):
    return BACKENDS if device == "cpu" else ["brute"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_matches_naive(device, shape):
    B, N, M, K, ragged = shape
    x, y, xl, yl = _data(B, N, M, ragged, device=device)
    ref = knn_naive(x, y, K, x_lengths=xl, y_lengths=yl)
    x64, y64 = x.double(), y.double()
    ref64 = knn_naive(x64, y64, K, x_lengths=xl, y_lengths=yl)
    for backend in _backends(device):
        out = knn(x, y, K, x_lengths=xl, y_lengths=yl, backend=backend)
        assert out.dists.shape == out.idx.shape == (B, N, K)
        torch.testing.assert_close(out.dists, ref.dists, atol=ATOL, rtol=1e-5)
        # exact indices in float64 (float32 near-ties may legitimately swap)
        out64 = knn(x64, y64, K, x_lengths=xl, y_lengths=yl, backend=backend)
        assert torch.equal(out64.idx, ref64.idx), backend
        finite = torch.isfinite(out.dists)
        assert torch.equal(finite, out.idx >= 0)
        d = out.dists.nan_to_num(posinf=0.0)
        assert bool((d[..., 1:] >= d[..., :-1] - 1e-7)[finite[..., 1:]].all())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", SHAPES[1:4])
def test_gradient_matches_naive(backend, shape):
    B, N, M, K, ragged = shape
    x, y, xl, yl = _data(B, N, M, ragged, dtype=torch.float64, seed=1)
    w = torch.rand(B, N, K, dtype=torch.float64)
    grads = []
    for fn in (
        lambda a, b: knn(a, b, K, x_lengths=xl, y_lengths=yl, backend=backend),
        lambda a, b: knn_naive(a, b, K, x_lengths=xl, y_lengths=yl),
    ):
        a, b = x.clone().requires_grad_(), y.clone().requires_grad_()
        d = fn(a, b).dists
        (d.masked_fill(torch.isinf(d), 0) * w).sum().backward()
        grads.append((a.grad, b.grad))
    torch.testing.assert_close(grads[0][0], grads[1][0], atol=1e-10, rtol=1e-8)
    torch.testing.assert_close(grads[0][1], grads[1][1], atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradcheck(backend):
    x, y, _, _ = _data(2, 6, 7, False, dtype=torch.float64, seed=2)
    x.requires_grad_()
    y.requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: knn(a, b, 3, backend=backend).dists, (x, y))


@pytest.mark.parametrize("k", [1, 8])
def test_distances_match_scipy_ckdtree(k):
    x, y, _, _ = _data(2, 500, 700, False, seed=3)
    out = knn(x, y, k)
    for b in range(2):
        dd, ii = cKDTree(y[b].double().numpy()).query(x[b].double().numpy(), k=k)
        dd = np.asarray(dd).reshape(500, k) ** 2
        np.testing.assert_allclose(out.dists[b].numpy(), dd, atol=1e-5, rtol=1e-5)


def test_hand_computed_and_missing_slots():
    x = torch.tensor([[[0.0, 0, 0], [5, 0, 0]]])
    y = torch.tensor([[[1.0, 0, 0], [0, 2, 0], [9, 9, 9]]])
    out = knn(x, y, 4, y_lengths=torch.tensor([2]), backend="brute")
    assert out.idx.tolist() == [[[0, 1, -1, -1], [0, 1, -1, -1]]]
    assert out.dists[0, 0, :2].tolist() == [1.0, 4.0]
    assert out.dists[0, 1, :2].tolist() == [16.0, 29.0]
    assert math.isinf(out.dists[0, 0, 2]) and math.isinf(out.dists[0, 1, 3])
    padded = knn(x, y, 1, x_lengths=torch.tensor([1]))
    assert padded.idx[0, 1, 0] == -1 and math.isinf(padded.dists[0, 1, 0])


def test_backward_memory_is_linear():
    """Autograd keeps O(B*N*K) values, never the B*N*M distance matrix."""
    B, N, M, K = 2, 256, 512, 4
    x, y, _, _ = _data(B, N, M, False, seed=4)
    x.requires_grad_()
    y.requires_grad_()
    saved: list[int] = []
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: saved.append(t.numel()) or t, lambda t: t
    ):
        for backend in BACKENDS:
            knn(x, y, K, backend=backend).dists.sum()
    assert max(saved) <= B * N * K * 3
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(
        lambda t: saved.append(t.numel()) or t, lambda t: t
    ):
        knn_naive(x, y, K).dists.sum()
    assert max(saved) >= N * M  # the hook does see the naive full matrix


def test_chunked_brute_force_matches_unchunked():
    x, y, xl, yl = _data(3, 97, 61, True, seed=5)
    a = knn(x, y, 5, x_lengths=xl, y_lengths=yl, backend="brute", chunk_size=7)
    b = knn(x, y, 5, x_lengths=xl, y_lengths=yl, backend="brute")
    assert torch.equal(a.idx, b.idx) and torch.equal(a.dists, b.dists)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x, y: knn(x[0], y, 1), ValueError, r"x must have shape \(B, N, D\)"),
        (lambda x, y: knn(x, y[:1], 1), ValueError, "same batch size"),
        (lambda x, y: knn(x, y, 0), ValueError, "k must be >= 1"),
        (lambda x, y: knn(x, y, 1.5), TypeError, "k must be an int"),
        (lambda x, y: knn(x.long(), y, 1), TypeError, "x must be a floating-point"),
        (lambda x, y: knn(x, y.double(), 1), TypeError, "dtype"),
        (
            lambda x, y: knn(x, y, 1, y_lengths=torch.tensor([9, 1])),
            ValueError,
            "y_lengths must lie",
        ),
        (lambda x, y: knn(x, y, 1, x_lengths=[1, 2]), TypeError, "x_lengths must be"),
        (lambda x, y: knn(x, y, 1, backend="faiss"), ValueError, "backend must be one of"),
        (lambda x, y: knn(x.tolist(), y, 1), TypeError, "x must be a torch.Tensor"),
    ],
)
def test_bad_input_raises_clear_error(call, exc, match):
    x, y, _, _ = _data(2, 4, 5, False)
    with pytest.raises(exc, match=match):
        call(x, y)


@pytest.mark.skipif(not _has_torch_cluster(), reason="torch_cluster not installed")
def test_pyg_backend_agrees():
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    x, y, xl, yl = _data(3, 64, 80, True, dtype=torch.float64, device=dev, seed=6)
    a = knn(x, y, 6, x_lengths=xl, y_lengths=yl, backend="pyg")
    b = knn_naive(x, y, 6, x_lengths=xl, y_lengths=yl)
    assert torch.equal(a.idx, b.idx)
    torch.testing.assert_close(a.dists, b.dists)


@pytest.mark.parametrize("backend", ["auto", "kdtree", "brute"])
def test_feature_space_dimensions(backend):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2, 150, 8, generator=g, dtype=torch.float64)
    y = torch.randn(2, 130, 8, generator=g, dtype=torch.float64)
    ln = torch.tensor([150, 40])
    a = knn(x, y, 5, x_lengths=ln, backend=backend)
    b = knn_naive(x, y, 5, x_lengths=ln)
    assert torch.equal(a.idx, b.idx)
    torch.testing.assert_close(a.dists, b.dists)
    with pytest.raises(ValueError, match="same last size D"):
        knn(x, y[..., :3], 1)


def test_pyg_path_conversion_with_a_stand_in_torch_cluster(monkeypatch):
    """The packed-edge -> dense conversion of the torch_cluster path, against a stand-in module
    with torch_cluster.knn's contract (edges (query row, reference col), packed, any order)."""
    import sys
    import types

    def fake_knn(x, y, k, batch_x, batch_y):
        rows, cols = [], []
        for q in range(len(y)):
            cand = (batch_x == batch_y[q]).nonzero().view(-1)
            d = ((x[cand] - y[q]) ** 2).sum(-1)
            near = cand[d.argsort()[:k]]
            rows += [q] * len(near)
            cols += near.tolist()
        edge = torch.tensor([rows, cols], dtype=torch.int64)
        perm = torch.randperm(edge.shape[1], generator=torch.Generator().manual_seed(0))
        return edge[:, perm]

    monkeypatch.setitem(sys.modules, "torch_cluster", types.SimpleNamespace(knn=fake_knn))
    assert _has_torch_cluster()
    x, y, xl, yl = _data(3, 30, 20, True, dtype=torch.float64, seed=8)
    yl[1] = 3  # fewer than k points: missing slots
    a = knn(x, y, 6, x_lengths=xl, y_lengths=yl, backend="pyg")
    b = knn_naive(x, y, 6, x_lengths=xl, y_lengths=yl)
    assert torch.equal(a.idx, b.idx)
    torch.testing.assert_close(a.dists, b.dists)
