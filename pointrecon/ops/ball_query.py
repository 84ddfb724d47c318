"""Ball query (PointNet++ grouping): up to K points within a radius of each centre."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pointrecon.checks import (
    accepts_point_batch,
    check_int,
    check_lengths,
    check_points,
    check_positive_float,
    check_same_batch,
    valid_mask,
)

_CHUNK_ELEMENTS = 1 << 23


def _check(centers, points, radius, k, points_lengths):
    check_points("centers", centers)
    check_points("points", points)
    check_same_batch("centers", centers, "points", points)
    check_positive_float("radius", radius)
    check_int("k", k, minimum=1)
    pl = check_lengths("points_lengths", points_lengths, points, allow_zero=False)
    return pl


@accepts_point_batch(points="points_lengths")
def ball_query(
    centers: Tensor,
    points: Tensor,
    radius: float,
    k: int,
    *,
    points_lengths: Tensor | None = None,
    chunk_size: int | None = None,
) -> Tensor:
    """Indices of up to ``k`` points with ``||p - c|| < radius`` for each centre, PointNet++ style.

    Hits are the first ``k`` in index order (as the PointNet++ CUDA kernel returns them). Slots
    left unfilled repeat the first hit; a centre with no hit gets its nearest valid point in every
    slot, so every index is valid (>= 0). Not differentiable (indices only); gather with
    :func:`~pointrecon.ops.gather_points`. Centres are processed in chunks of about 8M distances.

    Shapes:
        centers: (B, M, 3)
        points: (B, N, 3)
        points_lengths: (B,) int64, optional, each >= 1
        returns: idx (B, M, K) int64
    """
    pl = _check(centers, points, radius, k, points_lengths)
    if chunk_size is not None:
        check_int("chunk_size", chunk_size, minimum=1)
    B, M = centers.shape[:2]
    N = points.shape[1]
    out = torch.empty(B, M, k, dtype=torch.int64, device=centers.device)
    if B == 0 or M == 0:
        return out
    r2 = radius * radius
    pmask = valid_mask(pl, N).unsqueeze(1)  # (B, 1, N)
    ar = torch.arange(N, device=centers.device)
    kk = min(k, N)
    rows = chunk_size or max(1, _CHUNK_ELEMENTS // max(1, B * N))
    with torch.no_grad():
        c, p = centers.detach(), points.detach()
        for s in range(0, M, rows):
            cc = c[:, s : s + rows]
            d = ((cc.unsqueeze(2) - p.unsqueeze(1)) ** 2).sum(-1)  # (B, m, N)
            d = d.masked_fill(~pmask, math.inf)
            hit = d < r2
            key = torch.where(hit, ar, N)  # first hits in index order = smallest keys
            first = key.topk(kk, dim=-1, largest=False, sorted=True).values
            if kk < k:
                first = torch.cat([first, first.new_full((*first.shape[:2], k - kk), N)], -1)
            nearest = d.argmin(dim=-1, keepdim=True)
            head = torch.where(first[..., :1] < N, first[..., :1], nearest)
            out[:, s : s + rows] = torch.where(first < N, first, head)
    return out


def ball_query_naive(
    centers: Tensor,
    points: Tensor,
    radius: float,
    k: int,
    *,
    points_lengths: Tensor | None = None,
) -> Tensor:
    """Reference twin of :func:`ball_query`: Python loops over batch, centres and points.

    Shapes:
        centers: (B, M, 3)
        points: (B, N, 3)
        points_lengths: (B,) int64, optional
        returns: idx (B, M, K) int64
    """
    pl = _check(centers, points, radius, k, points_lengths)
    B, M = centers.shape[:2]
    out = torch.empty(B, M, k, dtype=torch.int64, device=centers.device)
    for b in range(B):
        n = int(pl[b])
        for m in range(M):
            d = ((points[b, :n] - centers[b, m]) ** 2).sum(-1)
            hits = [i for i in range(n) if float(d[i]) < radius * radius][:k]
            if not hits:
                hits = [int(d.argmin())]
            out[b, m] = torch.tensor(hits + [hits[0]] * (k - len(hits)))
    return out
