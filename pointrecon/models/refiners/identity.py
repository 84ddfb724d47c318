"""The identity refiner: no refinement steps (the ablation of :class:`SequenceRefiner`).

Shapes:
    points: (B, M, 3), code: (B, C) -> []
"""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.checks import check_batch


class IdentityRefiner(nn.Module):
    """Returns no steps, so a reconstructor's ``fine`` is the decoder's output.

    Args:
        code_channels, order: accepted and ignored, so that configs can swap refiners freely.
    """

    def __init__(self, code_channels: int | None = None, order: str | None = None) -> None:
        super().__init__()

    def forward(self, points: Tensor, code: Tensor) -> list[Tensor]:
        check_batch("points", points)
        return []
