"""Group neighbourhoods: gather the K neighbours of each centre, optionally relative to it."""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import check_points
from pointrecon.ops.gather import gather_points


def group_points(
    points: Tensor,
    idx: Tensor,
    *,
    centers: Tensor | None = None,
    feats: Tensor | None = None,
) -> Tensor:
    """Gather neighbourhoods, as PointNet++ set abstraction and DGCNN edge features need them.

    Returns the neighbour coordinates ``points[b, idx[b, m, k]]``, minus ``centers[b, m]`` when
    ``centers`` is given (local coordinates), concatenated with the neighbour ``feats`` when given.
    Missing neighbours (idx -1) give zero rows (before subtracting the centre).

    Shapes:
        points: (B, N, 3)
        idx: (B, M, K) int64
        centers: (B, M, 3), optional
        feats: (B, N, C), optional
        returns: (B, M, K, 3) or (B, M, K, 3 + C)
    """
    check_points("points", points)
    if idx.dim() != 3:
        raise ValueError(f"idx must have shape (B, M, K), got {tuple(idx.shape)}")
    grouped = gather_points(points, idx)
    if centers is not None:
        check_points("centers", centers)
        if centers.shape[:2] != idx.shape[:2]:
            raise ValueError(
                f"centers must have shape (B, M, 3) = {tuple(idx.shape[:2]) + (3,)} to match idx, "
                f"got {tuple(centers.shape)}"
            )
        grouped = grouped - centers.unsqueeze(2)
    if feats is not None:
        if feats.dim() != 3 or feats.shape[:2] != points.shape[:2]:
            raise ValueError(
                f"feats must have shape (B, N, C) with (B, N) = {tuple(points.shape[:2])}, "
                f"got {tuple(feats.shape)}"
            )
        grouped = torch.cat([grouped, gather_points(feats, idx)], dim=-1)
    return grouped


def group_points_naive(
    points: Tensor,
    idx: Tensor,
    *,
    centers: Tensor | None = None,
    feats: Tensor | None = None,
) -> Tensor:
    """Reference twin of :func:`group_points`: explicit loops over batch, centres and neighbours.

    Shapes:
        points: (B, N, 3)
        idx: (B, M, K) int64
        centers: (B, M, 3), optional
        feats: (B, N, C), optional
        returns: (B, M, K, 3) or (B, M, K, 3 + C)
    """
    B, M, K = idx.shape
    C = 3 + (0 if feats is None else feats.shape[-1])
    out = points.new_zeros(B, M, K, C)
    for b in range(B):
        for m in range(M):
            for k in range(K):
                i = int(idx[b, m, k])
                row = points[b, i] if i >= 0 else points.new_zeros(3)
                if centers is not None:
                    row = row - centers[b, m]
                if feats is not None:
                    f = feats[b, i] if i >= 0 else feats.new_zeros(feats.shape[-1])
                    row = torch.cat([row, f])
                out[b, m, k] = row
    return out
