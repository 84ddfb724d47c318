"""Density-aware Chamfer loss: an nn.Module over :func:`pointrecon.metrics.density_aware_chamfer`."""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.checks import check_reduction
from pointrecon.metrics.dcd import density_aware_chamfer


class DCDLoss(nn.Module):
    """Density-aware Chamfer distance (Wu et al., 2021) as a training loss.

    The same function the ``dcd`` metric reports (raw, in [0, 1]); ``alpha`` and ``n_lambda`` as
    published (1000 and 1). ``alpha`` assumes unit-scale shapes: scale it by ``1 / s^2`` for
    clouds ``s`` times larger.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional
        returns: a scalar for reduction "mean"/"sum", (B,) for "none"
    """

    def __init__(
        self,
        alpha: float = 1000.0,
        n_lambda: float = 1.0,
        clamp_ratio: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self.n_lambda = float(n_lambda)
        self.clamp_ratio = bool(clamp_ratio)
        self.reduction = check_reduction(reduction)

    def forward(
        self,
        pred: Tensor,
        gt: Tensor,
        pred_lengths: Tensor | None = None,
        gt_lengths: Tensor | None = None,
    ) -> Tensor:
        return density_aware_chamfer(
            pred,
            gt,
            alpha=self.alpha,
            n_lambda=self.n_lambda,
            clamp_ratio=self.clamp_ratio,
            pred_lengths=pred_lengths,
            gt_lengths=gt_lengths,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, n_lambda={self.n_lambda}, reduction={self.reduction!r}"
