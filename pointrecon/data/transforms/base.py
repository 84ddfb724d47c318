"""The transform interface and :class:`Compose`.

A transform maps a sample dict (numpy float32 ``partial`` (N, 3) and ``complete`` (M, 3), other
keys passed through) and a :class:`numpy.random.Generator` to a new sample dict. Geometric
transforms draw their parameters once and apply the same map to both clouds, so the pair stays
consistent; per-point corruptions (jitter, dropout) act on the keys they are given (default: the
partial input only). Depth images are left as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

CLOUD_KEYS: tuple[str, ...] = ("partial", "complete")


def check_rng(rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def apply_linear(sample: dict[str, Any], matrix: np.ndarray, keys=CLOUD_KEYS) -> dict[str, Any]:
    """Apply ``x -> x @ matrix.T`` to the clouds in ``keys`` (a shallow copy of ``sample``).

    Shapes:
        matrix: (3, 3)
    """
    out = dict(sample)
    m = np.asarray(matrix, dtype=np.float64)
    for k in keys:
        if k in out:
            out[k] = (np.asarray(out[k], dtype=np.float64) @ m.T).astype(np.float32)
    return out


class Compose:
    """Apply ``transforms`` in order, all drawing from the same generator.

    Args:
        transforms: a list of transforms (callables ``(sample, rng) -> sample``).
    """

    def __init__(self, transforms: Sequence[Any]) -> None:
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"transforms[{i}] must be callable, got {type(t).__name__}")
        self.transforms = list(transforms)

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        check_rng(rng)
        for t in self.transforms:
            sample = t(sample, rng)
        return sample

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"
