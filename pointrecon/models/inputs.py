"""From a collated batch to a model's ``forward`` arguments: the one place that maps them.

Every model takes ``forward(partial, lengths=None, images=None)``: the partial cloud
``(B, N, 3)``, its optional ragged ``lengths`` ``(B,)`` and the depth images ``(B, V, H, W)``
of the scan when the data set returns them (``return_depth``). A model's encoder says which of
them it reads (see :class:`~pointrecon.models.reconstructor.Reconstructor`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from pointrecon.checks import check_batch
from pointrecon.models.outputs import ReconOutput


def model_inputs(batch: dict[str, Any], device: torch.device | str) -> dict[str, Any]:
    """``forward`` keyword arguments from a batch of
    :func:`~pointrecon.data.collate_completion`, moved to ``device``."""
    partial = batch["partial"]
    lengths = partial.lengths.to(device) if partial.lengths is not None else None
    images = batch.get("depth")
    return {
        "partial": partial.points.to(device, non_blocking=True),
        "lengths": lengths,
        "images": images.to(device) if images is not None else None,
    }


class PointModel(nn.Module):
    """Base of the models that read the partial cloud only (no images).

    :meth:`forward` has the signature every model shares; it checks the partial batch and hands
    it to :meth:`complete`, which a subclass implements. ``images`` is ignored.
    """

    inputs = "points"

    def forward(
        self,
        partial: Tensor | None = None,
        lengths: Tensor | None = None,
        images: Tensor | None = None,
    ) -> ReconOutput:
        if partial is None:
            raise ValueError("partial must be a (B, N, 3) tensor for a point model, got None")
        check_batch("partial", partial, lengths)
        return self.complete(partial, lengths)

    def complete(self, partial: Tensor, lengths: Tensor | None) -> ReconOutput:
        """The completion of a checked ``(B, N, 3)`` partial batch."""
        raise NotImplementedError
