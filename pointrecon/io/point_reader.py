"""Read point clouds: ``read_point_cloud`` (points, normals, colours) and ``read_points``."""

from __future__ import annotations

import os

import numpy as np

from pointrecon.errors import DataError

from ._common import check_file, check_nan_policy, finite_mask, read_bytes
from ._numpy import read_npy, read_npz
from ._pcd import pcd_colors, read_pcd
from ._ply import NORMAL_NAMES, colors_from_fields, pick, read_ply_vertices
from ._text import read_text
from .cloud import PointCloudData
from .formats import POINT_EXTENSIONS


def _fields(path, data: bytes, ext: str) -> dict[str, np.ndarray | None]:
    if ext == ".ply":
        arr = read_ply_vertices(path, data)
        return {
            "points": pick(arr, (("x", "y", "z"),)),
            "normals": pick(arr, NORMAL_NAMES),
            "colors": colors_from_fields(arr),
        }
    if ext == ".pcd":
        arr = read_pcd(path, data)
        return {
            "points": pick(arr, (("x", "y", "z"),)),
            "normals": pick(arr, (("normal_x", "normal_y", "normal_z"),)),
            "colors": pcd_colors(arr),
        }
    if ext == ".npy":
        return read_npy(path, data)
    if ext == ".npz":
        return read_npz(path, data)
    return read_text(path, data, ext)


def read_point_cloud(path: str | os.PathLike, *, nan_policy: str = "error") -> PointCloudData:
    """Read a point cloud with its normals and colours where the format carries them.

    Formats: ``.ply .pcd`` (ascii, binary, binary_compressed) ``.xyz .pts .txt .csv .npy .npz``.
    Every point the header declares must be present: a short file is an error, never a
    partial load. Header counts are checked against the file size before anything is allocated.

    Args:
        path: the file.
        nan_policy: ``"error"`` (default) refuses points with NaN/Inf coordinates, naming how many;
            ``"drop"`` drops them with a warning and reports the count in ``num_dropped``.

    Returns:
        PointCloudData with float32 arrays; colours in [0, 1].

    Raises:
        DataError: missing, unreadable, malformed, truncated or empty file, non-finite points.

    Shapes:
        points (N, 3), normals (N, 3) | None, colors (N, 3) | None.
    """
    check_nan_policy(nan_policy)
    p, ext = check_file(path, POINT_EXTENSIONS, "point-cloud")
    data = read_bytes(p)
    if not data:
        raise DataError(p, "empty file")
    try:
        fields = _fields(p, data, ext)
    except (DataError, MemoryError):
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, UnicodeError) as exc:
        raise DataError(p, f"malformed {ext[1:].upper()} file: {exc}") from None
    pts = fields["points"]
    if pts is None or pts.shape[0] == 0:
        raise DataError(p, "empty point cloud: the file holds no points")
    with np.errstate(over="ignore", invalid="ignore"):
        points = pts.astype(np.float32)
        normals = None if fields["normals"] is None else fields["normals"].astype(np.float32)
        colors = None if fields["colors"] is None else fields["colors"].astype(np.float32)
    keep = finite_mask(p, points, nan_policy)
    dropped = 0
    if keep is not None:
        dropped = int(points.shape[0] - np.count_nonzero(keep))
        points = points[keep]
        normals = None if normals is None else normals[keep]
        colors = None if colors is None else colors[keep]
        if points.shape[0] == 0:
            raise DataError(p, f"empty point cloud: all {dropped} points are NaN/Inf")
    return PointCloudData(
        points=np.ascontiguousarray(points),
        normals=None if normals is None else np.ascontiguousarray(normals),
        colors=None if colors is None else np.ascontiguousarray(colors),
        num_dropped=dropped,
    )


def read_points(path: str | os.PathLike, *, nan_policy: str = "error") -> np.ndarray:
    """Read the coordinates of a point cloud file (see :func:`read_point_cloud`).

    Shapes:
        returns (N, 3) float32, all finite.
    """
    return read_point_cloud(path, nan_policy=nan_policy).points


__all__ = ["read_point_cloud", "read_points"]
