"""K nearest neighbours between two batches of point clouds, memory-bounded and differentiable.

How it works: the neighbour *indices* are searched without autograd, then the distances are
recomputed from the gathered neighbours, so backward holds O(B*N*K) memory, never B*N*M.
The index search picks a backend per device (``backend="auto"``):

- ``"kdtree"``: CPU tensors. ``scipy.spatial.cKDTree`` per sample, queried with all cores
  (``workers=-1``). Brute force does the same FLOPs as ``torch.cdist`` and cannot be much faster on
  a CPU; the tree is O(N log M) and is what makes Chamfer on 8192-point clouds fast there.
- ``"brute"``: any device (the CUDA path and the fallback). Rows of ``x`` are processed in chunks of
  at most ~8M distance entries: ``|y|^2 - 2 x.y`` by one ``baddbmm`` (``|x|^2`` does not change the
  ranking), then ``min``/``topk``.
- ``"triton"``: fused Triton kernel (3D points, K <= 32): query rows and reference points are tiled
  so that no B x N x M matrix is written; block sizes autotuned. ``auto`` picks it on CUDA when
  ``triton`` imports (float16/bfloat16/float32 inputs). It also runs on CPU tensors through the
  Triton interpreter (``TRITON_INTERPRET=1``), which is how it is tested without a GPU.
- ``"pyg"``: ``torch_cluster.knn`` when that package is importable (used by ``auto`` on CUDA
  when Triton is not usable).

All backends return the same result up to ties; distances always come from the exact recompute
``sum((x - y[idx])**2)`` in the input dtype.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from pointrecon.checks import (
    accepts_point_batch,
    check_choice,
    check_int,
    check_lengths,
    check_points,
    check_same_batch,
    valid_mask,
)
from pointrecon.ops import _triton
from pointrecon.ops.gather import gather_points

BACKENDS = ("auto", "kdtree", "brute", "pyg", "triton")
TRITON_DTYPES = (torch.float16, torch.bfloat16, torch.float32)
_CHUNK_ELEMENTS = 1 << 23
_KDTREE_MIN_WORK = 1 << 14  # N*M below which brute force beats building trees
_KDTREE_MAX_DIM = 8  # kd-trees lose to brute force in high dimensions


class KNN(NamedTuple):
    """Result of :func:`knn`: squared distances (ascending) and indices into ``y``.

    Shapes:
        dists: (B, N, K) float; inf where missing
        idx: (B, N, K) int64; -1 where missing
    """

    dists: Tensor
    idx: Tensor


def _has_torch_cluster() -> bool:
    try:
        import torch_cluster  # noqa: F401
    except Exception:
        return False
    return True


def _check(x, y, k, x_lengths, y_lengths):
    check_points("x", x, dims=None)
    check_points("y", y, dims=None)
    check_same_batch("x", x, "y", y)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"x and y must have the same last size D, got x {tuple(x.shape)} and y {tuple(y.shape)}"
        )
    check_int("k", k, minimum=1)
    xl = check_lengths("x_lengths", x_lengths, x)
    yl = check_lengths("y_lengths", y_lengths, y)
    return xl, yl


def _search_kdtree(x: Tensor, y: Tensor, k: int, xl: Tensor, yl: Tensor) -> Tensor:
    from scipy.spatial import cKDTree

    B, N = x.shape[:2]
    out = torch.full((B, N, k), -1, dtype=torch.int64)
    xs = x.detach().cpu().double().numpy()
    ys = y.detach().cpu().double().numpy()
    for b in range(B):
        nx, ny = int(xl[b]), int(yl[b])
        if nx == 0 or ny == 0:
            continue
        kk = min(k, ny)
        _, ii = cKDTree(ys[b, :ny]).query(xs[b, :nx], k=kk, workers=-1)
        ii = torch.from_numpy(ii.reshape(nx, kk).astype("int64", copy=False))
        out[b, :nx, :kk] = ii
    return out.to(x.device)


def _search_brute(
    x: Tensor, y: Tensor, k: int, xl: Tensor, yl: Tensor, chunk_size: int | None
) -> Tensor:
    B, N = x.shape[:2]
    M = y.shape[1]
    out = torch.full((B, N, k), -1, dtype=torch.int64, device=x.device)
    if N == 0 or M == 0:
        return out
    work_dtype = torch.promote_types(x.dtype, torch.float32)
    xw, yw = x.detach().to(work_dtype), y.detach().to(work_dtype)
    ymask = valid_mask(yl, M)  # (B, M)
    y2 = (yw * yw).sum(-1)  # (B, M)
    yt = yw.transpose(1, 2)
    kk = min(k, M)
    rows = chunk_size or max(1, _CHUNK_ELEMENTS // max(1, B * M))
    pad = ~ymask.unsqueeze(1)
    for s in range(0, N, rows):
        d = torch.baddbmm(y2.unsqueeze(1), xw[:, s : s + rows], yt, alpha=-2.0)
        d = d.masked_fill(pad, math.inf)
        if kk == 1:
            v, i = d.min(-1, keepdim=True)
        else:
            v, i = d.topk(kk, dim=-1, largest=False, sorted=True)
        out[:, s : s + rows, :kk] = torch.where(torch.isinf(v), -1, i)
    return out


def triton_why_not(x: Tensor, k: int) -> str | None:
    """None when the Triton kernel handles ``x`` with ``k`` neighbours, else the reason."""
    reason = _triton.why_not(x)
    if reason is not None:
        return reason
    if x.shape[-1] != 3:
        return f"the Triton kernel handles 3D points, got D={x.shape[-1]}"
    if k > _triton.MAX_K:
        return f"the Triton kernel handles k <= {_triton.MAX_K}, got k={k}"
    return None


@_triton.eager
def _search_triton(x: Tensor, y: Tensor, k: int, xl: Tensor, yl: Tensor) -> Tensor:
    from pointrecon.ops._triton_kernels import knn_search

    return knn_search(x, y, k, xl, yl)[1]


def _search_pyg(x: Tensor, y: Tensor, k: int, xl: Tensor, yl: Tensor) -> Tensor:
    import torch_cluster

    B, N = x.shape[:2]
    M = y.shape[1]
    xm, ym = valid_mask(xl, N), valid_mask(yl, M)
    bx = torch.arange(B, device=x.device).unsqueeze(1).expand(B, N)[xm]
    by = torch.arange(B, device=x.device).unsqueeze(1).expand(B, M)[ym]
    qpos = torch.arange(N, device=x.device).unsqueeze(0).expand(B, N)[xm]
    # torch_cluster.knn(x=reference, y=query): edges (query row, reference col), packed indices.
    edge = torch_cluster.knn(y.detach()[ym], x.detach()[xm], k, by, bx)
    q, r = edge[0], edge[1]
    q, perm = q.sort(stable=True)
    r = r[perm]
    y_start = torch.cumsum(yl, 0) - yl
    local_r = r - y_start[bx[q]]
    first = torch.searchsorted(q, q, right=False)
    slot = torch.arange(q.numel(), device=x.device) - first
    out = torch.full((B, N, k), -1, dtype=torch.int64, device=x.device)
    out[bx[q], qpos[q], slot] = local_r
    return out


@accepts_point_batch(x="x_lengths", y="y_lengths")
def knn(
    x: Tensor,
    y: Tensor,
    k: int,
    *,
    x_lengths: Tensor | None = None,
    y_lengths: Tensor | None = None,
    backend: str = "auto",
    chunk_size: int | None = None,
) -> KNN:
    """For each point of ``x``, its ``k`` nearest points of ``y`` (same batch element).

    Points are usually 3D; any dimension D works (feature-space graphs, as in DGCNN), and
    ``auto`` then uses the kd-tree only for D <= 8.

    Distances are SQUARED Euclidean, sorted ascending, and differentiable in ``x`` and ``y``
    (through the gathered neighbours; memory O(B*N*K)). Missing slots, where ``y`` has fewer than
    ``k`` valid points or the query row is padding (``i >= x_lengths[b]``), have ``idx`` -1 and
    ``dists`` inf (and zero gradient).

    Args:
        x: query points.
        y: reference points.
        k: number of neighbours, >= 1.
        x_lengths, y_lengths: valid counts for ragged batches (default: all N / all M).
        backend: ``"auto"`` (kdtree on CPU; on CUDA the Triton kernel when triton imports, 3D
            points, k <= 32 and float16/bfloat16/float32, else torch_cluster when installed,
            else brute), ``"kdtree"`` (CPU tensors only), ``"brute"``, ``"pyg"``, ``"triton"``.
        chunk_size: rows of ``x`` per brute-force chunk (default: about 8M distances per chunk).

    Shapes:
        x: (B, N, 3) (or (B, N, D))
        y: (B, M, 3) (or (B, M, D))
        x_lengths: (B,) int64, optional
        y_lengths: (B,) int64, optional
        returns: KNN(dists (B, N, K), idx (B, N, K) int64)
    """
    xl, yl = _check(x, y, k, x_lengths, y_lengths)
    check_choice("backend", backend, BACKENDS)
    if chunk_size is not None:
        check_int("chunk_size", chunk_size, minimum=1)
    B, N = x.shape[:2]
    M = y.shape[1]
    if backend == "auto":
        if x.device.type == "cpu" and N * M >= _KDTREE_MIN_WORK and x.shape[-1] <= _KDTREE_MAX_DIM:
            backend = "kdtree"
        elif x.device.type == "cuda" and x.dtype in TRITON_DTYPES and triton_why_not(x, k) is None:
            backend = "triton"
        elif x.device.type == "cuda" and _has_torch_cluster():
            backend = "pyg"
        else:
            backend = "brute"
    if backend == "kdtree" and x.device.type != "cpu":
        raise ValueError(f"backend='kdtree' needs CPU tensors, got x on {x.device}")
    if backend == "pyg" and not _has_torch_cluster():
        raise ValueError("backend='pyg' needs the torch_cluster package, which is not installed")
    if backend == "triton":
        reason = triton_why_not(x, k)
        if reason is not None:
            raise ValueError(f"backend='triton' cannot run here: {reason}")
    with torch.no_grad():
        if backend == "triton":
            idx = _search_triton(x, y, k, xl, yl)
        elif backend == "kdtree":
            idx = _search_kdtree(x, y, k, xl, yl)
        elif backend == "pyg":
            idx = _search_pyg(x, y, k, xl, yl)
        else:
            idx = _search_brute(x, y, k, xl, yl, chunk_size)
        idx = idx.masked_fill(~valid_mask(xl, N).unsqueeze(-1), -1)
    missing = idx < 0
    nbrs = gather_points(y, idx)  # (B, N, K, 3); zeros where missing
    dists = ((x.unsqueeze(2) - nbrs) ** 2).sum(-1).masked_fill(missing, math.inf)
    if k > 1:
        dists, perm = dists.sort(dim=-1, stable=True)
        idx = idx.gather(-1, perm)
    return KNN(dists, idx)


def knn_naive(
    x: Tensor,
    y: Tensor,
    k: int,
    *,
    x_lengths: Tensor | None = None,
    y_lengths: Tensor | None = None,
) -> KNN:
    """Reference twin of :func:`knn`: the full distance matrix per sample, then a sort.

    Memory O(N*M) per sample, kept for backward. Same conventions as :func:`knn`.

    Shapes:
        x: (B, N, 3)
        y: (B, M, 3)
        returns: KNN(dists (B, N, K), idx (B, N, K) int64)
    """
    xl, yl = _check(x, y, k, x_lengths, y_lengths)
    B, N = x.shape[:2]
    if B == 0:
        return KNN(x.new_zeros(0, N, k), torch.zeros(0, N, k, dtype=torch.int64, device=x.device))
    rows_d, rows_i = [], []
    for b in range(B):
        nx, ny = int(xl[b]), int(yl[b])
        d = ((x[b, :nx, None, :] - y[b, None, :ny, :]) ** 2).sum(-1)  # (nx, ny)
        v, i = d.sort(dim=-1, stable=True)
        kk = min(k, ny)
        db = torch.cat([v[:, :kk], x.new_full((nx, k - kk), math.inf)], 1)
        db = torch.cat([db, x.new_full((N - nx, k), math.inf)], 0)
        ib = torch.full((N, k), -1, dtype=torch.int64, device=x.device)
        ib[:nx, :kk] = i[:, :kk]
        rows_d.append(db)
        rows_i.append(ib)
    dists, idx = torch.stack(rows_d), torch.stack(rows_i)
    return KNN(dists, idx)
