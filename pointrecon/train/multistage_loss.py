"""The completion training loss over every stage of a :class:`ReconOutput`."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class MultiStageLoss(nn.Module):
    """Weighted sum of ``criterion`` on the coarse output and on each refiner step.

    ``loss = coarse_weight * L(coarse, gt) + step_weight * sum_t L(steps[t], gt)``; when the model
    has no refiner steps and ``fine`` is a separate tensor (a coarse-to-fine decoder), the last
    term is ``fine_weight * L(fine, gt)`` instead. ``fine`` is never counted twice.

    Args:
        criterion: a module ``(pred, gt, pred_lengths=None, gt_lengths=None) -> scalar`` such as
            :class:`pointrecon.losses.ChamferLoss`.
        coarse_weight, step_weight, fine_weight: floats >= 0.

    Shapes:
        out.coarse (B, Mc, 3), out.fine and out.steps[t] (B, M, 3), gt (B, N, 3), gt_lengths (B,).
    """

    def __init__(
        self,
        criterion: nn.Module,
        coarse_weight: float = 1.0,
        step_weight: float = 1.0,
        fine_weight: float = 1.0,
    ) -> None:
        super().__init__()
        for name, w in (("coarse_weight", coarse_weight), ("step_weight", step_weight)):
            if float(w) < 0:
                raise ValueError(f"{name} must be >= 0, got {w!r}")
        if float(fine_weight) < 0:
            raise ValueError(f"fine_weight must be >= 0, got {fine_weight!r}")
        self.criterion = criterion
        self.coarse_weight = float(coarse_weight)
        self.step_weight = float(step_weight)
        self.fine_weight = float(fine_weight)

    def terms(
        self, out: Any, gt: torch.Tensor, gt_lengths: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """Each weighted term by name: ``coarse``, ``step0``, ``step1``, ... or ``fine``."""
        crit = self.criterion
        terms: dict[str, torch.Tensor] = {}
        if self.coarse_weight > 0:
            terms["coarse"] = self.coarse_weight * crit(out.coarse, gt, None, gt_lengths)
        steps = list(out.steps or [])
        if steps:
            for t, pts in enumerate(steps):
                terms[f"step{t}"] = self.step_weight * crit(pts, gt, None, gt_lengths)
        elif out.fine is not out.coarse and self.fine_weight > 0:
            terms["fine"] = self.fine_weight * crit(out.fine, gt, None, gt_lengths)
        if not terms:
            raise ValueError("MultiStageLoss has no term: all weights are 0 for this output")
        return terms

    def forward(
        self, out: Any, gt: torch.Tensor, gt_lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The total loss (a scalar tensor)."""
        return torch.stack(list(self.terms(out, gt, gt_lengths).values())).sum()
