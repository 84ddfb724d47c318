"""From a collated batch to a model's ``forward`` arguments: the one place that maps them.

Every model takes ``forward(partial, lengths=None, images=None)``: the partial cloud
``(B, N, 3)``, its optional ragged ``lengths`` ``(B,)`` and the depth images ``(B, V, H, W)``
of the scan when the data set returns them (``return_depth``). A model's encoder says which of
them it reads (see :class:`~pointrecon.models.reconstructor.Reconstructor`).
"""

from __future__ import annotations

from typing import Any

import torch


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
