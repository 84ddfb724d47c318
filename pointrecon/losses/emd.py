"""EMD loss: an nn.Module over the approximate (Sinkhorn) EMD metric."""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.checks import check_reduction
from pointrecon.metrics.emd import emd


class EMDLoss(nn.Module):
    """Approximate earth mover's distance as a training loss (equal-size clouds; docs/conventions.md).

    Calls :func:`pointrecon.metrics.emd` (log-domain Sinkhorn, linear memory); see it for the
    accuracy/time knobs ``blur``, ``scaling``, ``level_iters``, ``iters``.

    Shapes:
        pred: (B, N, 3)
        gt: (B, N, 3)
        pred_lengths, gt_lengths: (B,) int64, optional, equal
        returns: a scalar for reduction "mean"/"sum", (B,) for "none"
    """

    def __init__(
        self,
        reduction: str = "mean",
        blur: float = 2e-3,
        scaling: float = 0.8,
        level_iters: int = 1,
        iters: int = 50,
    ) -> None:
        super().__init__()
        self.reduction = check_reduction(reduction)
        self.blur, self.scaling, self.level_iters, self.iters = blur, scaling, level_iters, iters

    def forward(
        self,
        pred: Tensor,
        gt: Tensor,
        pred_lengths: Tensor | None = None,
        gt_lengths: Tensor | None = None,
    ) -> Tensor:
        return emd(
            pred,
            gt,
            pred_lengths=pred_lengths,
            gt_lengths=gt_lengths,
            reduction=self.reduction,
            blur=self.blur,
            scaling=self.scaling,
            level_iters=self.level_iters,
            iters=self.iters,
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, blur={self.blur}, iters={self.iters}"
