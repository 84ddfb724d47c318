"""Resample a point cloud to a fixed size."""

from __future__ import annotations

import numpy as np

from pointrecon.errors import DataError

#: How a cloud with fewer than ``size`` points is filled up.
PADDINGS = ("repeat", "zeros")


def resample_points(
    points: np.ndarray, size: int, rng: np.random.Generator, padding: str = "repeat"
) -> np.ndarray:
    """Draw exactly ``size`` points from ``points``.

    With at least ``size`` points, a random subset without replacement. With fewer, all points
    in random order, followed by

    - ``padding="repeat"`` (default): random repeats of the input points, so the padded cloud
      holds only observed points;
    - ``padding="zeros"``: points at the origin ``(0, 0, 0)``, as PoinTr's and GRNet's
      ``RandomSamplePoints`` pad short PCN partials (their published PCN numbers use it).

    Args:
        points: (n, 3) array-like.
        size: the number of points wanted (> 0).
        rng: the numpy Generator that draws the subset / repeats.
        padding: ``"repeat"`` or ``"zeros"`` (see above).

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
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = len(pts)
    if n == 0:
        raise DataError(None, f"cannot resample an empty point cloud to {size} points")
    if n >= size:
        idx = rng.choice(n, size=size, replace=False)
    elif padding == "zeros":
        out = np.zeros((size, 3), dtype=np.float32)
        out[:n] = pts[rng.permutation(n)]
        return out
    else:
        idx = np.concatenate([rng.permutation(n), rng.integers(0, n, size=size - n)])
    return np.ascontiguousarray(pts[idx], dtype=np.float32)


def resample_pair(
    partial: np.ndarray,
    complete: np.ndarray,
    n_partial: int,
    n_complete: int,
    rng: np.random.Generator,
    *,
    padding: str = "repeat",
    normalize: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A read (partial, complete) pair at its data set's sizes: the partial resampled to
    ``n_partial`` (with ``padding``), the complete to ``n_complete`` unless it has that size
    already, and with ``normalize`` both in the complete's unit-sphere frame."""
    partial = resample_points(partial, n_partial, rng, padding)
    if len(complete) != n_complete:
        complete = resample_points(complete, n_complete, rng)
    if normalize:
        from pointrecon.io import normalize as fit_frame

        complete, norm = fit_frame(complete)
        partial = norm.apply(partial)
    return partial, complete
