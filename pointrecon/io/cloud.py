"""The result type of :func:`pointrecon.io.read_point_cloud`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PointCloudData:
    """A point cloud read from a file.

    Geo-referenced formats (LAS/LAZ/E57) hold coordinates in the hundreds of thousands to millions
    of metres, where float32 spacing reaches 0.5 m. Their ``points`` are therefore relative to a
    recorded ``offset`` (float64): the file's coordinates are ``points + offset``
    (:meth:`world_points`). Other formats have ``offset`` ``None`` (the points are the file's).

    Attributes:
        points: coordinates, finite, relative to ``offset`` when it is set; float32 unless the
            reader was asked for float64.
        normals: float32 normals where the file carries them, else ``None``.
        colors: float32 RGB in [0, 1] where the file carries them, else ``None``.
        num_dropped: how many non-finite points were dropped (``nan_policy="drop"``).
        offset: float64 origin of ``points`` in the file's frame, or ``None``.
        attributes: per-point arrays the format carries (LAS: ``intensity``, ``classification``,
            ``return_number``, ``number_of_returns``, ``gps_time``, ``nir``; E57: ``intensity``;
            KITTI ``.bin``: ``reflectance``), each of length N.
        crs: the coordinate reference system the header declares (WKT, or ``EPSG:<code>``).
        scan_counts: points per scan for multi-scan formats (E57), after crop/voxel filtering.
        meta: format details a writer may reuse (LAS: version, point format, scales, offsets,
            CRS records), so that a completion written back keeps the source's header.

    Shapes:
        points: (N, 3); normals: (N, 3) | None; colors: (N, 3) | None; offset: (3,) | None;
        attributes[name]: (N,).
    """

    points: np.ndarray
    normals: np.ndarray | None = None
    colors: np.ndarray | None = None
    num_dropped: int = 0
    offset: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    crs: str | None = None
    scan_counts: tuple[int, ...] | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.points.shape[0])

    def world_points(self) -> np.ndarray:
        """The file-frame coordinates in float64: ``points + offset``.

        Shapes:
            returns (N, 3) float64.
        """
        pts = np.asarray(self.points, dtype=np.float64)
        return pts if self.offset is None else pts + self.offset
