"""Random point dropout that keeps the cloud size fixed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pointrecon.data.transforms.base import check_rng


class PointDropout:
    """Drop a random share of points, uniform in [0, max_ratio], from the clouds in ``keys``.

    As in PointNet++, dropped points are replaced by copies of a kept point, so the cloud keeps its
    size (batches stay dense) and its set of distinct points shrinks.

    Args:
        max_ratio: the largest share of points dropped (in [0, 1)).
        keys: the clouds to thin; default the partial input only.
    """

    def __init__(self, max_ratio: float = 0.5, keys: Sequence[str] = ("partial",)) -> None:
        if not 0 <= max_ratio < 1:
            raise ValueError(f"max_ratio must lie in [0, 1), got {max_ratio}")
        self.max_ratio, self.keys = float(max_ratio), tuple(keys)

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        check_rng(rng)
        out = dict(sample)
        for k in self.keys:
            x = np.array(out[k], dtype=np.float32)
            ratio = rng.uniform(0.0, self.max_ratio)
            drop = rng.random(len(x)) < ratio
            if drop.all():
                drop[rng.integers(len(x))] = False
            keep = np.flatnonzero(~drop)
            x[drop] = x[keep[0]]
            out[k] = x
        return out

    def __repr__(self) -> str:
        return f"PointDropout(max_ratio={self.max_ratio}, keys={self.keys!r})"
