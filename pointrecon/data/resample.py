"""Resample a point cloud to a fixed size."""

from __future__ import annotations

import numpy as np

from pointrecon.errors import DataError


def resample_points(points: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw exactly ``size`` points from ``points``.

    With at least ``size`` points, a random subset without replacement; with fewer, all points
    (in random order) followed by random repeats, so every input point is kept.

    Args:
        points: (n, 3) array-like.
        size: the number of points wanted (> 0).
        rng: the numpy Generator that draws the subset / repeats.

    Raises:
        DataError: when ``points`` is empty (nothing to resample).

    Shapes:
        points: (n, 3) -> (size, 3) float32
    """
    pts = np.asarray(points)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"points must have shape (n, 3), got {pts.shape}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = len(pts)
    if n == 0:
        raise DataError(None, f"cannot resample an empty point cloud to {size} points")
    if n >= size:
        idx = rng.choice(n, size=size, replace=False)
    else:
        idx = np.concatenate([rng.permutation(n), rng.integers(0, n, size=size - n)])
    return np.ascontiguousarray(pts[idx], dtype=np.float32)
