"""Random mirroring across coordinate planes, the same for both clouds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pointrecon.data.transforms.base import apply_linear, check_rng

_AXES = {"x": 0, "y": 1, "z": 2}


class RandomMirror:
    """Flip the sign of each axis in ``axes`` independently with probability ``p``.

    Args:
        axes: the axes that may be flipped (default x and z: mirrors that keep y up).
        p: probability of flipping each of them.
    """

    def __init__(self, axes: Sequence[str] = ("x", "z"), p: float = 0.5) -> None:
        bad = [a for a in axes if a not in _AXES]
        if bad:
            raise ValueError(f"axes must be drawn from 'x', 'y', 'z', got {list(axes)}")
        if not 0 <= p <= 1:
            raise ValueError(f"p must lie in [0, 1], got {p}")
        self.axes, self.p = tuple(axes), float(p)

    def matrix(self, rng: np.random.Generator) -> np.ndarray:
        """Draw the (3, 3) diagonal matrix of +-1."""
        d = np.ones(3)
        flips = rng.random(len(self.axes)) < self.p
        for a, f in zip(self.axes, flips):
            if f:
                d[_AXES[a]] = -1.0
        return np.diag(d)

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        return apply_linear(sample, self.matrix(check_rng(rng)))

    def __repr__(self) -> str:
        return f"RandomMirror(axes={self.axes!r}, p={self.p})"
