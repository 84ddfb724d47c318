"""Per-point Gaussian jitter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pointrecon.data.transforms.base import check_rng


class Jitter:
    """Add clipped Gaussian noise to every point of the clouds in ``keys``.

    Args:
        sigma: noise standard deviation (normalised units).
        clip: the noise is clipped to [-clip, clip] per coordinate (None: no clipping).
        keys: the clouds to jitter; default the partial input only, so the target stays clean.
    """

    def __init__(
        self, sigma: float = 0.01, clip: float | None = 0.05, keys: Sequence[str] = ("partial",)
    ) -> None:
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        if clip is not None and not clip > 0:
            raise ValueError(f"clip must be > 0 or None, got {clip}")
        self.sigma, self.clip, self.keys = float(sigma), clip, tuple(keys)

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        check_rng(rng)
        out = dict(sample)
        for k in self.keys:
            x = np.asarray(out[k], dtype=np.float32)
            noise = rng.normal(0.0, self.sigma, size=x.shape)
            if self.clip is not None:
                noise = np.clip(noise, -self.clip, self.clip)
            out[k] = (x + noise).astype(np.float32)
        return out

    def __repr__(self) -> str:
        return f"Jitter(sigma={self.sigma}, clip={self.clip}, keys={self.keys!r})"
