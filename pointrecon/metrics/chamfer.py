"""Chamfer distances (defined in docs/conventions.md), memory-bounded, with ``torch.cdist``
reference twins.

With d(x, S) = min over s in S of ||x - s||_2 (Euclidean, unsquared):

- CD-L1 = 0.5 * (mean_{p in P} d(p, G) + mean_{g in G} d(g, P))
- CD-L2 = mean_{p in P} d(p, G)^2 + mean_{g in G} d(g, P)^2   (summed, not halved)

Values are raw (the literature reports them x 1e3). Nearest neighbours come from
:func:`pointrecon.metrics._kernels.directed_sqdist` (kd-tree on CPU; on CUDA the fused Triton
forward and backward kernels when triton imports, else chunked brute force; no B x N x M tensor
kept for backward, or with Triton ever written). CD-L1 takes a safe square root: the gradient of a
zero distance is 0, never NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_reduction
from pointrecon.metrics._kernels import (
    check_pair,
    directed_sqdist,
    masked_mean,
    reduce,
    safe_sqrt,
)


def _chamfer(pred, gt, pred_lengths, gt_lengths, reduction, squared: bool, backend) -> Tensor:
    check_reduction(reduction)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    d_pg, m_p = directed_sqdist(pred, gt, pl, gl, backend)
    d_gp, m_g = directed_sqdist(gt, pred, gl, pl, backend)
    if squared:
        value = masked_mean(d_pg, m_p) + masked_mean(d_gp, m_g)
    else:
        value = 0.5 * (masked_mean(safe_sqrt(d_pg), m_p) + masked_mean(safe_sqrt(d_gp), m_g))
    return reduce(value, reduction)


@accepts_point_batch(pred="pred_lengths", gt="gt_lengths")
def chamfer_l1(
    pred: Tensor,
    gt: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
    backend: str = "auto",
) -> Tensor:
    """CD-L1 = 0.5 * (mean_p d(p, G) + mean_g d(g, P)), unsquared distances; differentiable.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional, each >= 1
        returns: (B,) for reduction="none", else a scalar

    ``backend`` picks the nearest-neighbour kernel, as in :func:`pointrecon.ops.nearest_sqdist`.
    """
    return _chamfer(pred, gt, pred_lengths, gt_lengths, reduction, squared=False, backend=backend)


@accepts_point_batch(pred="pred_lengths", gt="gt_lengths")
def chamfer_l2(
    pred: Tensor,
    gt: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
    backend: str = "auto",
) -> Tensor:
    """CD-L2 = mean_p d(p, G)^2 + mean_g d(g, P)^2 (summed, not halved); differentiable.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional, each >= 1
        returns: (B,) for reduction="none", else a scalar

    ``backend`` picks the nearest-neighbour kernel, as in :func:`pointrecon.ops.nearest_sqdist`.
    """
    return _chamfer(pred, gt, pred_lengths, gt_lengths, reduction, squared=True, backend=backend)


def _chamfer_naive(pred, gt, pred_lengths, gt_lengths, reduction, squared: bool) -> Tensor:
    check_reduction(reduction)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    values = []
    for b in range(pred.shape[0]):
        d = torch.cdist(pred[b, : pl[b]], gt[b, : gl[b]])  # full (n, m) matrix, kept for backward
        if squared:
            d = d**2
            values.append(d.min(1).values.mean() + d.min(0).values.mean())
        else:
            values.append(0.5 * (d.min(1).values.mean() + d.min(0).values.mean()))
    return reduce(torch.stack(values), reduction)


def chamfer_l1_naive(
    pred: Tensor,
    gt: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Reference twin of :func:`chamfer_l1`: full ``torch.cdist`` matrix per sample, then min.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        returns: (B,) or a scalar
    """
    return _chamfer_naive(pred, gt, pred_lengths, gt_lengths, reduction, squared=False)


def chamfer_l2_naive(
    pred: Tensor,
    gt: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Reference twin of :func:`chamfer_l2`: full ``torch.cdist`` matrix per sample, squared.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        returns: (B,) or a scalar
    """
    return _chamfer_naive(pred, gt, pred_lengths, gt_lengths, reduction, squared=True)


__all__ = ["chamfer_l1", "chamfer_l1_naive", "chamfer_l2", "chamfer_l2_naive"]
