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


class ReconModel(nn.Module):
    """Base of every reconstruction model: the one ``forward(partial, lengths, images)``.

    ``inputs`` says what the model reads. For ``"points"`` (the default) :meth:`forward` checks
    the partial batch and calls :meth:`complete`; for ``"images"`` it calls
    :meth:`complete_images`. The arguments a model does not read are ignored.
    """

    inputs = "points"

    def forward(
        self,
        partial: Tensor | None = None,
        lengths: Tensor | None = None,
        images: Tensor | None = None,
    ) -> ReconOutput:
        if self.inputs == "images":
            if images is None:
                raise ValueError(
                    "images must be a (B, V, H, W) tensor for an image model, got None"
                )
            return self.complete_images(images)
        if partial is None:
            raise ValueError("partial must be a (B, N, 3) tensor for a point model, got None")
        check_batch("partial", partial, lengths)
        return self.complete(partial, lengths)

    def complete(self, partial: Tensor, lengths: Tensor | None) -> ReconOutput:
        """The completion of a checked ``(B, N, 3)`` partial batch."""
        raise NotImplementedError(f"{type(self).__name__} does not read points")

    def complete_images(self, images: Tensor) -> ReconOutput:
        """The reconstruction from ``(B, V, H, W)`` depth images."""
        raise NotImplementedError(f"{type(self).__name__} does not read images")
