"""Read a scan for completion and write the completion back in the scan's own frame and format.

The pair keeps the geo-reference: a LAS/LAZ/E57 scan is read relative to a float64 offset (so
float32 models see small coordinates) and the completion is written with that offset added back,
in float64 (PLY/PCD double, or LAS/LAZ with the source header's scale, offset and CRS).
"""

from __future__ import annotations

import os

import numpy as np

from .cloud import PointCloudData
from .point_reader import read_point_cloud
from .point_writer import write_points

#: extensions ``write_completion`` writes
OUTPUT_EXTENSIONS = (".ply", ".pcd", ".xyz", ".npy", ".pts", ".txt", ".las", ".laz", ".bin")


def read_scan(
    path: str | os.PathLike,
    *,
    nan_policy: str = "error",
    crop=None,
    voxel: float | None = None,
    progress: bool | None = None,
) -> PointCloudData:
    """:func:`read_point_cloud` with the read-time ``crop`` / ``voxel`` filters, float32 points.

    ``points`` are relative to ``offset`` for geo-referenced files (else ``offset`` is None).
    """
    return read_point_cloud(path, nan_policy=nan_policy, crop=crop, voxel=voxel, progress=progress)


def write_completion(
    path: str | os.PathLike, points: np.ndarray, source: PointCloudData | None = None
) -> None:
    """Write completed ``points`` (in ``source``'s frame) at ``source``'s absolute coordinates.

    With a geo-referenced ``source`` the offset is added back in float64; PLY/PCD/NPY are then
    written in double precision and LAS/LAZ reuse the source's header (scale, offset, CRS).

    Shapes:
        points (M, 3).
    """
    offset = None if source is None else source.offset
    meta = None if source is None else source.meta
    write_points(path, points, offset=offset, meta=meta)
