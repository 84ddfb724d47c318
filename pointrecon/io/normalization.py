"""The project's default normalisation (docs/conventions.md, Frames), invertible."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _as_points(name: str, x) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim < 2 or arr.shape[-1] != 3 or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name}: expected a numeric array of shape (..., N, 3), got {arr.shape}")
    return arr


@dataclass(frozen=True)
class Normalization:
    """``apply(x) = (x - center) / scale``; ``invert(y) = y * scale + center``.

    ``x`` is in the frame the points were read in; for geo-referenced files that frame is relative
    to ``offset`` (``PointCloudData.offset``), and :meth:`to_world` maps normalised points back to
    the file's absolute coordinates in float64.

    Shapes:
        center (3,) float64; offset (3,) float64 | None; x, y (..., N, 3).
    """

    center: np.ndarray
    scale: float
    offset: np.ndarray | None = None

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Map points into the normalised frame (float32)."""
        a = _as_points("x", x).astype(np.float64)
        return ((a - self.center) / self.scale).astype(np.float32)

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Map normalised points back to the original frame (float32)."""
        a = _as_points("x", x).astype(np.float64)
        return (a * self.scale + self.center).astype(np.float32)

    def to_world(self, x: np.ndarray) -> np.ndarray:
        """Map normalised points back to the file's absolute frame (``invert`` plus ``offset``).

        Returns float64, so geo-referenced coordinates (millions of metres) keep millimetres.
        """
        a = _as_points("x", x).astype(np.float64) * self.scale + self.center
        return a if self.offset is None else a + self.offset


def normalize(
    points: np.ndarray,
    *,
    reference: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, Normalization]:
    """Centre on the reference's bounding-box centre and scale its farthest point to radius 1.

    The reference is the complete shape (defaults to ``points``); the same transform is applied
    to ``points`` (e.g. a partial scan of that shape), as docs/conventions.md prescribes.
    ``offset`` (the origin of the points' frame, e.g. ``PointCloudData.offset``) is recorded so
    that :meth:`Normalization.to_world` returns absolute coordinates.

    Raises:
        ValueError: bad shapes, non-finite values, or a reference whose points all coincide.

    Shapes:
        points (N, 3), reference (M, 3); returns (N, 3) float32 and the Normalization.
    """
    pts = _as_points("points", points)
    ref = pts if reference is None else _as_points("reference", reference)
    name = "points" if reference is None else "reference"
    if ref.ndim != 2 or ref.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty (N, 3) array, got {ref.shape}")
    r = ref.astype(np.float64)
    if not np.isfinite(r).all():
        raise ValueError(f"{name}: contains NaN/Inf values")
    center = (r.min(axis=0) + r.max(axis=0)) / 2.0
    scale = float(np.sqrt(((r - center) ** 2).sum(axis=1)).max())
    if not scale > 0.0 or not np.isfinite(scale):
        raise ValueError(f"{name}: all {r.shape[0]} points coincide; cannot scale (radius {scale})")
    off = None
    if offset is not None:
        off = np.asarray(offset, dtype=np.float64)
        if off.shape != (3,) or not np.isfinite(off).all():
            raise ValueError(f"offset: expected 3 finite numbers, got {off.tolist()}")
    norm = Normalization(center=center, scale=scale, offset=off)
    return norm.apply(pts), norm
