"""Checks on a scan before a model sees it."""

from __future__ import annotations

import os

import numpy as np

from pointrecon.errors import DataError


def require_distinct_points(points: np.ndarray, path: str | os.PathLike | None) -> None:
    """Raise :class:`DataError` naming ``path`` unless the scan has two or more distinct points
    (a single position cannot be normalised to the unit sphere).

    Shapes:
        points (N, 3).
    """
    pts = np.asarray(points)
    if len(pts) < 2 or not np.ptp(pts, axis=0).any():
        raise DataError(
            path,
            f"cannot complete a scan of {len(pts)} point(s) that all lie at one position; it "
            "needs at least two distinct points",
        )
