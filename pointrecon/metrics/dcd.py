"""Density-aware Chamfer distance (DCD; Wu et al., "Density-aware Chamfer Distance as a
Comprehensive Metric for Point Cloud Completion", NeurIPS 2021), with a naive twin.

For clouds S1 (prediction, n1 points) and S2 (ground truth, n2 points), with y_hat the nearest
point of S2 to x, and n_y_hat the number of points of S1 whose nearest point in S2 is y_hat:

    DCD = 1/2 * ( 1/n1 * sum_{x in S1} (1 - r12 / n_y_hat^lambda * exp(-alpha * |x - y_hat|^2))
                + 1/n2 * sum_{y in S2} (1 - r21 / n_x_hat^lambda * exp(-alpha * |y - x_hat|^2)) )

with ``alpha`` the temperature and ``lambda`` = ``n_lambda`` (the paper's default: alpha = 1000,
lambda = 1). As in the authors' released implementation (``calc_dcd``):

- the exponent takes the SQUARED Euclidean distance (the paper's formula writes the norm; the
  published numbers were computed with its square, in the data set's frame);
- each term is rescaled by the size ratio of the two clouds, ``r12 = n1 / n2`` for the S1 term
  and ``r21 = n2 / n1`` for the S2 term (the mean count of a uniform match), so that matching
  clouds of different sizes score near 0 (with ``clamp_ratio=True``, ``max(1, ratio)``: the
  authors' ``non_reg`` option);
- the counts ``n_y_hat`` are constants for the gradient (found without autograd).

DCD is 0 for identical clouds and tends to 1 for far-apart ones (a term can dip below 0 when a
point of the larger cloud has its neighbour to itself, as in the reference). It is bounded, so
outliers weigh less than in CD, and it penalises uneven density (many points of one
cloud sharing a nearest neighbour in the other). Reported raw (not x 1e3). The authors' code adds
1e-6 to the counts before dividing; counts are at least 1 here, so it is left out.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_reduction, valid_mask
from pointrecon.metrics._kernels import check_pair, masked_mean, reduce
from pointrecon.ops.knn import knn


def _check_params(alpha: float, n_lambda: float) -> None:
    for name, value in (("alpha", alpha), ("n_lambda", n_lambda)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name}: expected a float, got {type(value).__name__}")
        if not math.isfinite(value) or value < 0 or (name == "alpha" and value == 0):
            raise ValueError(f"{name}: expected a finite value > 0 (n_lambda >= 0), got {value}")


def _ratio(num: Tensor, den: Tensor, clamp: bool) -> Tensor:
    r = num.to(torch.float64) / den.to(torch.float64)
    return r.clamp(min=1.0) if clamp else r


def _directed(a: Tensor, b: Tensor, al: Tensor, bl: Tensor, alpha, n_lambda, ratio) -> Tensor:
    """Mean over valid a-points of 1 - ratio / count^lambda * exp(-alpha * d^2) -> (B,).

    ``count`` is the number of valid a-points sharing the point's nearest b-point."""
    res = knn(a, b, 1, x_lengths=al, y_lengths=bl)
    d2, idx = res.dists[..., 0], res.idx[..., 0]
    mask = valid_mask(al, a.shape[1])
    safe = idx.clamp(min=0)
    with torch.no_grad():
        counts = torch.zeros(b.shape[:2], dtype=d2.dtype, device=a.device)
        counts.scatter_add_(1, safe, mask.to(d2.dtype))
        weight = ratio.to(d2.dtype).unsqueeze(1) / counts.gather(1, safe).clamp(min=1) ** n_lambda
    term = 1.0 - weight * torch.exp(-alpha * d2.masked_fill(~mask, 0.0))
    return masked_mean(term.masked_fill(~mask, 0.0), mask)


@accepts_point_batch(pred="pred_lengths", gt="gt_lengths")
def density_aware_chamfer(
    pred: Tensor,
    gt: Tensor,
    *,
    alpha: float = 1000.0,
    n_lambda: float = 1.0,
    clamp_ratio: bool = False,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Density-aware Chamfer distance (see the module docstring); differentiable.

    Args:
        pred, gt: the two clouds (S1, S2).
        alpha: temperature of the exponential (1000 as published, for unit-scale shapes).
        n_lambda: exponent of the neighbour counts (1 as published).
        clamp_ratio: use ``max(1, size ratio)`` (the authors' ``non_reg``) instead of the ratio.
        pred_lengths, gt_lengths: valid counts of ragged batches.
        reduction: ``"none"``, ``"mean"`` or ``"sum"`` over the batch.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional, each >= 1
        returns: (B,) for reduction="none", else a scalar
    """
    check_reduction(reduction)
    _check_params(alpha, n_lambda)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    t1 = _directed(pred, gt, pl, gl, alpha, n_lambda, _ratio(pl, gl, clamp_ratio))
    t2 = _directed(gt, pred, gl, pl, alpha, n_lambda, _ratio(gl, pl, clamp_ratio))
    return reduce(0.5 * (t1 + t2), reduction)


def density_aware_chamfer_naive(
    pred: Tensor,
    gt: Tensor,
    *,
    alpha: float = 1000.0,
    n_lambda: float = 1.0,
    clamp_ratio: bool = False,
    pred_lengths: Tensor | None = None,
    gt_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Reference twin of :func:`density_aware_chamfer`: full distance matrix and ``bincount``
    per sample, as the authors' implementation does.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        returns: (B,) or a scalar
    """
    check_reduction(reduction)
    _check_params(alpha, n_lambda)
    pl, gl = check_pair(pred, gt, pred_lengths, gt_lengths)
    values = []
    for b in range(pred.shape[0]):
        x, y = pred[b, : pl[b]], gt[b, : gl[b]]
        n1, n2 = len(x), len(y)
        r12, r21 = n1 / n2, n2 / n1
        if clamp_ratio:
            r12, r21 = max(1.0, r12), max(1.0, r21)
        d2 = torch.cdist(x, y) ** 2  # (n1, n2)
        d_xy, i_xy = d2.min(1)  # each x: nearest y
        d_yx, i_yx = d2.min(0)  # each y: nearest x
        c_y = torch.bincount(i_xy, minlength=n2).to(x.dtype).detach()
        c_x = torch.bincount(i_yx, minlength=n1).to(x.dtype).detach()
        t1 = (1 - r12 / c_y[i_xy] ** n_lambda * torch.exp(-alpha * d_xy)).mean()
        t2 = (1 - r21 / c_x[i_yx] ** n_lambda * torch.exp(-alpha * d_yx)).mean()
        values.append(0.5 * (t1 + t2))
    return reduce(torch.stack(values), reduction)


__all__ = ["density_aware_chamfer", "density_aware_chamfer_naive"]
