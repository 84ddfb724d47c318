"""Move a pair into the frame fitted on its partial cloud: the frame a raw scan is seen in."""

from __future__ import annotations

from typing import Any

import numpy as np

from pointrecon.data.transforms.base import check_rng


class PartialFrame:
    """Centre both clouds on the partial's bounding-box centre and scale so that the partial's
    farthest point from it lies at radius 1 (:func:`pointrecon.io.normalize` fitted on the
    partial).

    On a user's scan only the partial exists, so this is the frame in which ``reconstruct``
    presents a scan to a model; training pairs should end with this transform so that the model
    sees the same frame at training and inference time. ``rng`` is not used.
    """

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        check_rng(rng)
        partial = np.asarray(sample["partial"], dtype=np.float64)
        center = (partial.min(axis=0) + partial.max(axis=0)) / 2.0
        scale = float(np.sqrt(((partial - center) ** 2).sum(axis=1)).max())
        if not scale > 0:
            raise ValueError(f"partial: all {len(partial)} points coincide; cannot fit a frame")
        out = dict(sample)
        for key in ("partial", "complete"):
            if key in out:
                out[key] = ((np.asarray(out[key], np.float64) - center) / scale).astype(np.float32)
        return out

    def __repr__(self) -> str:
        return "PartialFrame()"
