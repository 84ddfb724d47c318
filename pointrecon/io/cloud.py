"""The result type of :func:`pointrecon.io.read_point_cloud`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PointCloudData:
    """A point cloud read from a file.

    Attributes:
        points: float32 coordinates, finite.
        normals: float32 normals where the file carries them, else ``None``.
        colors: float32 RGB in [0, 1] where the file carries them, else ``None``.
        num_dropped: how many non-finite points were dropped (``nan_policy="drop"``).

    Shapes:
        points: (N, 3); normals: (N, 3) | None; colors: (N, 3) | None.
    """

    points: np.ndarray
    normals: np.ndarray | None = None
    colors: np.ndarray | None = None
    num_dropped: int = 0

    def __len__(self) -> int:
        return int(self.points.shape[0])
