"""The nearest-neighbour kernel and helpers shared by every metric and loss (private).

``directed_sqdist`` is THE kernel: metrics (Chamfer, F-Score) and losses call it, so a training
loss and the reported number can never disagree. It finds nearest indices without autograd
(:func:`pointrecon.ops.nearest_sqdist`: a kd-tree on CPU; on CUDA the fused Triton kernels when
triton imports, else chunked brute force) and recomputes the distances by gather or in the fused
backward from the saved indices, so backward memory is O(B*N).
"""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import (
    check_lengths,
    check_points,
    check_reduction,
    check_same_batch,
    valid_mask,
)
from pointrecon.ops.nearest import nearest_sqdist


def check_pair(
    pred: Tensor, gt: Tensor, pred_lengths: Tensor | None, gt_lengths: Tensor | None
) -> tuple[Tensor, Tensor]:
    """Validate a (pred, gt) pair of clouds; return (B,) lengths, each >= 1."""
    check_points("pred", pred)
    check_points("gt", gt)
    check_same_batch("pred", pred, "gt", gt)
    pl = check_lengths("pred_lengths", pred_lengths, pred, allow_zero=False)
    gl = check_lengths("gt_lengths", gt_lengths, gt, allow_zero=False)
    return pl, gl


def safe_sqrt(x: Tensor) -> Tensor:
    """sqrt with a zero (not NaN/inf) gradient at 0.

    ``torch.sqrt`` has an infinite derivative at 0, which turns into NaN through the chain rule when
    a predicted point coincides with its nearest neighbour. Here the square root is only taken of
    positive values (a double ``where``), so the value is exact and the gradient at 0 is 0, the
    minimum-norm subgradient of ``|v|`` at 0.

    Shapes:
        x: any shape, >= 0
        returns: same shape
    """
    pos = x > 0
    root = torch.sqrt(torch.where(pos, x, torch.ones_like(x)))
    return torch.where(pos, root, torch.zeros_like(x))


def directed_sqdist(
    a: Tensor, b: Tensor, a_lengths: Tensor, b_lengths: Tensor, backend: str = "auto"
) -> tuple[Tensor, Tensor]:
    """Squared distance from each point of ``a`` to its nearest valid point of ``b``.

    ``backend`` as in :func:`pointrecon.ops.nearest_sqdist`.

    Shapes:
        a: (B, N, 3)
        b: (B, M, 3)
        returns: (sqdist (B, N) with 0 on padding, mask (B, N) bool of valid points)
    """
    d = nearest_sqdist(a, b, x_lengths=a_lengths, y_lengths=b_lengths, backend=backend)[0]
    mask = valid_mask(a_lengths, a.shape[1])
    return d.masked_fill(~mask, 0.0), mask


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` (B, N) over ``mask`` per sample -> (B,)."""
    return (values * mask).sum(1) / mask.sum(1).to(values.dtype)


def reduce(values: Tensor, reduction: str) -> Tensor:
    check_reduction(reduction)
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values
