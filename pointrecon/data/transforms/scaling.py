"""Random (anisotropic) scaling, the same for both clouds."""

from __future__ import annotations

from typing import Any

import numpy as np

from pointrecon.data.transforms.base import apply_linear, check_rng


class RandomScale:
    """Scale the pair by factors uniform in [low, high].

    Args:
        low, high: the factor range (0 < low <= high).
        anisotropic: one factor per axis (True) or one for all axes (False).
    """

    def __init__(self, low: float = 0.8, high: float = 1.2, anisotropic: bool = True) -> None:
        if not 0 < low <= high:
            raise ValueError(
                f"scale range must satisfy 0 < low <= high, got low={low}, high={high}"
            )
        self.low, self.high, self.anisotropic = float(low), float(high), bool(anisotropic)

    def matrix(self, rng: np.random.Generator) -> np.ndarray:
        """Draw the (3, 3) diagonal scaling matrix."""
        f = rng.uniform(self.low, self.high, size=3 if self.anisotropic else 1)
        return np.diag(np.broadcast_to(f, (3,)))

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        return apply_linear(sample, self.matrix(check_rng(rng)))

    def __repr__(self) -> str:
        return f"RandomScale(low={self.low}, high={self.high}, anisotropic={self.anisotropic})"
