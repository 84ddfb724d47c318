"""Fidelity: how well a completion keeps the observed points (PCN's metric on real scans).

Fidelity = mean over the input points x of d(x, P), the (unsquared) distance to the nearest
point of the output P. It needs no ground truth, so it is reported (with MMD,
:mod:`pointrecon.metrics.mmd`) for completion of real scans such as the KITTI cars; lower is
better, 0 when every input point is in the output. Raw values (report x 1e3).
"""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_reduction
from pointrecon.metrics._kernels import check_pair, directed_sqdist, masked_mean, reduce, safe_sqrt


@accepts_point_batch(inputs="input_lengths", pred="pred_lengths")
def fidelity(
    inputs: Tensor,
    pred: Tensor,
    *,
    input_lengths: Tensor | None = None,
    pred_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Mean distance from each input point to its nearest output point.

    Shapes:
        inputs: (B, N, 3) the observed (partial) points
        pred: (B, M, 3) the completion
        input_lengths, pred_lengths: (B,) int64, optional, each >= 1
        returns: (B,) for reduction="none", else a scalar
    """
    check_reduction(reduction)
    il, pl = check_pair(inputs, pred, input_lengths, pred_lengths)
    d, mask = directed_sqdist(inputs, pred, il, pl)
    return reduce(masked_mean(safe_sqrt(d), mask), reduction)


def fidelity_naive(
    inputs: Tensor,
    pred: Tensor,
    *,
    input_lengths: Tensor | None = None,
    pred_lengths: Tensor | None = None,
    reduction: str = "none",
) -> Tensor:
    """Reference twin of :func:`fidelity`: the full ``torch.cdist`` matrix per sample.

    Shapes:
        inputs: (B, N, 3); pred: (B, M, 3); returns: (B,) or a scalar
    """
    check_reduction(reduction)
    il, pl = check_pair(inputs, pred, input_lengths, pred_lengths)
    values = [
        torch.cdist(inputs[b, : il[b]], pred[b, : pl[b]]).min(1).values.mean()
        for b in range(inputs.shape[0])
    ]
    return reduce(torch.stack(values), reduction)


__all__ = ["fidelity", "fidelity_naive"]
