"""The object frame of a car scan given its 3D bounding box, as PCN evaluates KITTI.

From the 8 box corners (KITTI tracklet order: corners 0-3 the bottom face, 0 -> 3 along the car's
length): centre c = the midpoint of the corners' extent, yaw = the heading of the edge 0 -> 3 in
the ground (x, y) plane, rotation R = the rotation by yaw about z, scale s = the box length
(|0 -> 3| after rotation). Points map to the frame of the ShapeNet cars PCN was trained on:

    q = ((p - c) @ R / s) @ SWAP,        SWAP exchanges y and z (KITTI is z-up, ShapeNet y-up)

and back with ``p = ((q @ SWAP) * s) @ R.T + c``: completions are written in the scan's frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

#: exchanges y and z (its own inverse)
SWAP_YZ = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


@dataclass(frozen=True)
class BoxFrame:
    """A box's normalising transform and its inverse.

    Attributes:
        center: (3,) float64, the box centre in the scan frame.
        rotation: (3, 3) float64, rotation by the box's yaw about z.
        scale: the box length (> 0).

    Shapes:
        apply / invert: (N, 3) -> (N, 3) float32.
    """

    center: np.ndarray
    rotation: np.ndarray
    scale: float

    @classmethod
    def from_corners(cls, corners: np.ndarray, path: str | os.PathLike | None = None) -> BoxFrame:
        """The frame of a box given as its (8, 3) corners; ``path`` names the file in errors.

        Raises:
            DataError: not 8 finite corners of 3 coordinates, or a degenerate (flat or
                zero-length) box.
        """
        c = np.asarray(corners, dtype=np.float64)
        if c.ndim != 2 or c.shape != (8, 3):
            raise DataError(
                path, f"expected a box of 8 corners (8 rows of x y z), got an array of {c.shape}"
            )
        if not np.isfinite(c).all():
            raise DataError(path, "box corners hold NaN or infinite values")
        center = (c.min(0) + c.max(0)) / 2
        c = c - center
        yaw = float(np.arctan2(c[3, 1] - c[0, 1], c[3, 0] - c[0, 0]))
        cos, sin = np.cos(yaw), np.sin(yaw)
        rotation = np.array([[cos, -sin, 0.0], [sin, cos, 0.0], [0.0, 0.0, 1.0]])
        local = c @ rotation
        scale = float(local[3, 0] - local[0, 0])
        extent = local.max(0) - local.min(0)
        tol = 1e-6 * max(1.0, float(np.abs(c).max()))
        if not scale > tol or not (extent > tol).all():
            raise DataError(
                path,
                f"degenerate box: length (corner 0 -> 3) {scale:.3g}, extents "
                f"{np.round(extent, 6).tolist()} (expected all > 0)",
            )
        return cls(center=center, rotation=rotation, scale=scale)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> BoxFrame:
        """Read a box file (8 lines of ``x y z``, PCN's ``bboxes/<id>.txt``) and build its frame."""
        path = Path(path)
        try:
            corners = np.loadtxt(path, dtype=np.float64, ndmin=2)
        except (OSError, ValueError) as exc:
            raise DataError(path, f"cannot read box corners ({exc})") from exc
        return cls.from_corners(corners, path)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Scan frame -> normalised box frame."""
        p = np.asarray(points, dtype=np.float64)
        return (((p - self.center) @ self.rotation / self.scale) @ SWAP_YZ).astype(np.float32)

    def invert(self, points: np.ndarray) -> np.ndarray:
        """Normalised box frame -> scan frame."""
        q = np.asarray(points, dtype=np.float64)
        return (((q @ SWAP_YZ) * self.scale) @ self.rotation.T + self.center).astype(np.float32)
