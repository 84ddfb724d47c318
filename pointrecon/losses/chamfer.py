"""Chamfer loss: an nn.Module over the same kernels as the Chamfer metrics."""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.checks import check_choice, check_reduction
from pointrecon.metrics.chamfer import chamfer_l1, chamfer_l2

KINDS = ("l1", "l2")


class ChamferLoss(nn.Module):
    """Chamfer distance as a training loss (``kind="l1"``: CD-L1, ``"l2"``: CD-L2; defined in docs/conventions.md).

    Raw values (not x 1e3), the very numbers the metrics report. Memory O(B*N) for backward.

    Shapes:
        pred: (B, N, 3)
        gt: (B, M, 3)
        pred_lengths, gt_lengths: (B,) int64, optional
        returns: a scalar for reduction "mean"/"sum", (B,) for "none"
    """

    def __init__(self, kind: str = "l1", reduction: str = "mean") -> None:
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        self.reduction = check_reduction(reduction)
        self._fn = chamfer_l1 if kind == "l1" else chamfer_l2

    def forward(
        self,
        pred: Tensor,
        gt: Tensor,
        pred_lengths: Tensor | None = None,
        gt_lengths: Tensor | None = None,
    ) -> Tensor:
        return self._fn(
            pred, gt, pred_lengths=pred_lengths, gt_lengths=gt_lengths, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, reduction={self.reduction!r}"
