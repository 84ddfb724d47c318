"""Read point clouds: ``read_point_cloud`` (points, normals, colours) and ``read_points``."""

from __future__ import annotations

import os

import numpy as np

from pointrecon.errors import DataError

from ._common import check_file, check_nan_policy, finite_mask, read_bytes
from ._e57 import read_e57
from ._las import read_las
from ._numpy import read_npy, read_npz
from ._pcd import pcd_colors, read_pcd
from ._ply import NORMAL_NAMES, colors_from_fields, pick, read_ply_vertices
from ._region import VoxelFilter, as_crop
from ._text import read_text
from ._velodyne import read_velodyne
from .cloud import PointCloudData
from .formats import GEO_EXTENSIONS, POINT_EXTENSIONS


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
    if ext == ".bin":
        return read_velodyne(path, data)
    if ext == ".npy":
        return read_npy(path, data)
    if ext == ".npz":
        return read_npz(path, data)
    return read_text(path, data, ext)


_DTYPES = {np.dtype(np.float32), np.dtype(np.float64)}


def _geo_offset(xyz: np.ndarray) -> np.ndarray:
    """A whole-metre origin near the bounding-box centre, so relative coordinates stay small."""
    if len(xyz) == 0:
        return np.zeros(3)
    lo = np.array([xyz[:, j].min() for j in range(3)])
    hi = np.array([xyz[:, j].max() for j in range(3)])
    return np.round((lo + hi) / 2.0)


def _no_points_in_crop(path, crop, lo=None, hi=None) -> DataError:
    span = "" if lo is None else f": the file's points span {lo.tolist()} to {hi.tolist()}"
    return DataError(path, f"crop {crop} contains no points{span}")


def _read_geo(p, ext, crop, voxel, dtype, progress, chunk_size) -> PointCloudData:
    if ext == ".e57":
        got = read_e57(p, crop=crop, voxel=voxel)
        got["offset"] = _geo_offset(got["xyz"])
        got["points"] = (got["xyz"] - got["offset"]).astype(dtype)
    else:
        got = read_las(
            p, crop=crop, voxel=voxel, chunk_size=chunk_size, progress=progress, dtype=dtype
        )
    if len(got["points"]) == 0:
        if crop is not None:
            raise _no_points_in_crop(p, crop)
        raise DataError(p, "empty point cloud: the file holds no points")
    return PointCloudData(
        points=np.ascontiguousarray(got["points"]),
        normals=got.get("normals"),
        colors=got.get("colors"),
        offset=got["offset"],
        attributes=got["attributes"],
        crs=got.get("crs"),
        scan_counts=got.get("scan_counts"),
        meta=got["meta"],
    )


def _filter(p, cloud: PointCloudData, crop, voxel) -> PointCloudData:
    """Crop / voxel-downsample a cloud read whole (the formats without chunked reading)."""
    if crop is None and voxel is None:
        return cloud
    xyz = cloud.points.astype(np.float64)
    idx = np.arange(len(xyz))
    if crop is not None:
        idx = np.flatnonzero(crop.mask(xyz))
        if len(idx) == 0:
            raise _no_points_in_crop(p, crop, xyz.min(axis=0), xyz.max(axis=0))
    if voxel is not None:
        idx = idx[VoxelFilter(voxel, xyz.min(axis=0)).keep(xyz[idx])]

    def take(a):
        return None if a is None else np.ascontiguousarray(a[idx])

    cloud.points = take(cloud.points)
    cloud.normals, cloud.colors = take(cloud.normals), take(cloud.colors)
    cloud.attributes = {k: take(v) for k, v in cloud.attributes.items()}
    return cloud


def read_point_cloud(
    path: str | os.PathLike,
    *,
    nan_policy: str = "error",
    crop=None,
    voxel: float | None = None,
    dtype=np.float32,
    progress: bool | None = None,
    chunk_size: int = 1_000_000,
) -> PointCloudData:
    """Read a point cloud with its normals and colours where the format carries them.

    Formats: ``.ply .pcd`` (ascii, binary, binary_compressed) ``.xyz .pts .txt .csv .npy .npz``,
    ``.las .laz`` (LAS 1.0-1.4, point formats 0-10, via laspy/lazrs, read in chunks), ``.e57``
    (every scan moved by its pose, via pye57) and KITTI velodyne ``.bin`` (float32 x y z
    reflectance). Every point the header declares must be present: a short file is an error, never
    a partial load. Header counts are checked against the file size before anything is allocated.

    LAS/LAZ/E57 coordinates are geo-referenced (up to millions of metres, beyond float32's
    precision): their ``points`` are relative to ``PointCloudData.offset`` (float64, a whole-metre
    point near the centre); ``world_points()`` gives the file's coordinates.

    Args:
        path: the file.
        nan_policy: ``"error"`` (default) refuses points with NaN/Inf coordinates, naming how many;
            ``"drop"`` drops them with a warning and reports the count in ``num_dropped``.
        crop: keep only points inside a box ``[xmin, ymin, zmin, xmax, ymax, zmax]`` or a sphere
            ``[x, y, z, radius]``, in the file's coordinates; applied while reading (LAS/LAZ
            chunk by chunk), so a large file never needs to fit in memory. A crop that keeps no
            point is an error.
        voxel: keep one point (the first read) per cubic voxel of this edge length, also applied
            while reading.
        dtype: ``np.float32`` (default) or ``np.float64`` for ``points``.
        progress: show a progress bar while reading LAS/LAZ; ``None``: only for large files.
        chunk_size: points per chunk when reading LAS/LAZ.

    Returns:
        PointCloudData; colours in [0, 1].

    Raises:
        DataError: missing, unreadable, malformed, truncated or empty file, non-finite points,
        a crop that keeps no point.

    Shapes:
        points (N, 3), normals (N, 3) | None, colors (N, 3) | None.
    """
    check_nan_policy(nan_policy)
    if np.dtype(dtype) not in _DTYPES:
        raise ValueError(f"dtype: expected float32 or float64, got {np.dtype(dtype)}")
    dtype = np.dtype(dtype)
    crop = as_crop(crop)
    if voxel is not None and not (float(voxel) > 0 and np.isfinite(float(voxel))):
        raise ValueError(f"voxel: expected a voxel size > 0, got {voxel}")
    p, ext = check_file(path, POINT_EXTENSIONS, "point-cloud")
    if ext in GEO_EXTENSIONS:
        if os.path.getsize(p) == 0:
            raise DataError(p, "empty file")
        return _read_geo(p, ext, crop, voxel, dtype, progress, chunk_size)
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
        points = pts.astype(dtype)
        normals = None if fields.get("normals") is None else fields["normals"].astype(np.float32)
        colors = None if fields.get("colors") is None else fields["colors"].astype(np.float32)
    attrs = {k: v for k, v in fields.items() if k not in ("points", "normals", "colors")}
    keep = finite_mask(p, points, nan_policy)
    dropped = 0
    if keep is not None:
        dropped = int(points.shape[0] - np.count_nonzero(keep))
        points = points[keep]
        normals = None if normals is None else normals[keep]
        colors = None if colors is None else colors[keep]
        attrs = {k: v[keep] for k, v in attrs.items()}
        if points.shape[0] == 0:
            raise DataError(p, f"empty point cloud: all {dropped} points are NaN/Inf")
    cloud = PointCloudData(
        points=np.ascontiguousarray(points),
        normals=None if normals is None else np.ascontiguousarray(normals),
        colors=None if colors is None else np.ascontiguousarray(colors),
        num_dropped=dropped,
        attributes=attrs,
        meta={"format": ext[1:]},
    )
    return _filter(p, cloud, crop, voxel)


def read_points(path: str | os.PathLike, *, nan_policy: str = "error", **kw) -> np.ndarray:
    """Read the coordinates of a point cloud file (see :func:`read_point_cloud`).

    For LAS/LAZ/E57 the coordinates are relative to the file's recorded offset (use
    :func:`read_point_cloud` to get it): shape completion does not need the geo-reference.

    Shapes:
        returns (N, 3) float32, all finite.
    """
    return read_point_cloud(path, nan_policy=nan_policy, **kw).points


__all__ = ["read_point_cloud", "read_points"]
