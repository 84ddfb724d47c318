"""F-Score@tau (defined in docs/conventions.md): precision, recall and their harmonic mean, per sample."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_positive_float, check_reduction
from pointrecon.metrics._kernels import (
    check_pair,
    directed_sqdist,
    masked_mean,
    reduce,
    safe_sqrt,
)


class FScore(NamedTuple):
    """F-Score and its two parts.

    Shapes:
        fscore, precision, recall: (B,) each (scalars after a "mean"/"sum" reduction)
    """

    fscore: Tensor
    precision: Tensor
    recall: Tensor


def _combine(precision: Tensor, recall: Tensor, reduction: str) -> FScore:
    denom = precision + recall
    f = torch.where(denom > 0, 2 * precision * recall / denom.clamp_min(1e-30), 0.0)
    return FScore(reduce(f, reduction), reduce(precision, reduction), reduce(recall, reduction))


@accepts_point_batch(pred="pred_lengths", gt="gt_lengths")
def f_score(
    pred: Tensor,
    gt: Tensor,
    tau: float = 0.01,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> FScore:
    """F-Score@tau: precision = share of p with d(p, G) < tau, recall = share of g with
    d(g, P) < tau (unsquared Euclidean, strict <), F = 2PR / (P + R), 0 when both are 0.

    Not differentiable (a count). Uses the same nearest-neighbour kernel as the Chamfer metrics.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional, each >= 1
        returns: FScore(fscore, precision, recall), each (B,) or a scalar after reduction
    """
    check_reduction(reduction)
    tau = check_positive_float("tau", tau)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    with torch.no_grad():
        d_pg, m_p = directed_sqdist(pred, gt, pl, gl)
        d_gp, m_g = directed_sqdist(gt, pred, gl, pl)
        precision = masked_mean((safe_sqrt(d_pg) < tau).to(pred.dtype), m_p)
        recall = masked_mean((safe_sqrt(d_gp) < tau).to(pred.dtype), m_g)
    return _combine(precision, recall, reduction)


def f_score_naive(
    pred: Tensor,
    gt: Tensor,
    tau: float = 0.01,
    *,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> FScore:
    """Reference twin of :func:`f_score`: the full ``torch.cdist`` matrix per sample.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        returns: FScore(fscore, precision, recall), each (B,) or a scalar
    """
    check_reduction(reduction)
    tau = check_positive_float("tau", tau)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    ps, rs = [], []
    for b in range(pred.shape[0]):
        d = torch.cdist(pred[b, : pl[b]].double(), gt[b, : gl[b]].double())
        ps.append((d.min(1).values < tau).double().mean())
        rs.append((d.min(0).values < tau).double().mean())
    return _combine(torch.stack(ps).to(pred.dtype), torch.stack(rs).to(pred.dtype), reduction)
