"""Write point clouds (atomically) in any of ``POINT_EXTENSIONS``."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError
from pointrecon.utils.atomic import atomic_write_bytes

from ._las import write_las
from ._numpy import npy_bytes, npz_bytes
from ._pcd import pcd_bytes
from ._ply import ply_bytes
from ._text import text_bytes
from ._velodyne import velodyne_bytes
from .formats import POINT_EXTENSIONS


def _as_n3(name: str, a, n: int | None) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.shape[1] != 3 or (n is not None and arr.shape[0] != n):
        want = "(N, 3)" if n is None else f"({n}, 3)"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    return arr


def write_points(
    path: str | os.PathLike,
    points: np.ndarray,
    *,
    normals: np.ndarray | None = None,
    colors: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    double: bool | None = None,
    attributes: dict[str, np.ndarray] | None = None,
    meta: dict | None = None,
) -> None:
    """Write a point cloud atomically; the format follows the extension.

    ``.ply`` / ``.pcd`` (binary) carry normals and colours (8-bit); ``.xyz .pts .txt .csv``
    write a header naming the columns; ``.npz`` stores arrays ``points``, ``normals``, ``colors``;
    ``.npy`` carries the points only (normals/colours given for it are dropped with a warning);
    ``.las`` / ``.laz`` carry colours and the LAS ``attributes`` of matching length, with the
    source header's version, point format, scale, offset and CRS when ``meta`` (from
    :func:`read_point_cloud`) is given; ``.bin`` writes KITTI velodyne records (reflectance from
    ``attributes["reflectance"]``, else 0). E57 is read only.

    Args:
        path: target file.
        points: coordinates, relative to ``offset`` when it is given.
        normals: optional normals.
        colors: optional RGB in [0, 1].
        offset: float64 origin added back to ``points`` (``PointCloudData.offset``), so that a
            cloud read from a geo-referenced file is written at its original coordinates.
        double: write PLY/PCD/NPY/NPZ coordinates as float64 (default: when ``offset`` is given,
            since absolute geo-coordinates do not fit float32); text formats always keep float64.
        attributes: per-point arrays (LAS dimensions; ``reflectance`` for ``.bin``).
        meta: ``PointCloudData.meta`` of the source, for LAS header details.

    Shapes:
        points (N, 3), normals (N, 3), colors (N, 3), offset (3,).
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in POINT_EXTENSIONS:
        raise DataError(
            p,
            f"unknown point-cloud extension {p.suffix!r}; expected one of {', '.join(POINT_EXTENSIONS)}",
        )
    if ext == ".e57":
        raise DataError(p, "writing E57 is not supported; write .las, .laz or .ply instead")
    pts = _as_n3("points", points, None)
    n = pts.shape[0]
    nrm = None if normals is None else _as_n3("normals", normals, n)
    col = None if colors is None else _as_n3("colors", colors, n)
    if offset is not None:
        off = np.asarray(offset, dtype=np.float64)
        if off.shape != (3,) or not np.isfinite(off).all():
            raise ValueError(f"offset: expected 3 finite numbers, got {off.tolist()}")
        pts = pts.astype(np.float64) + off
    if double is None:
        double = offset is not None
    if p.is_dir():
        raise DataError(p, "is a directory, expected a file path")
    if ext in (".las", ".laz", ".bin") and nrm is not None:
        warnings.warn(f"{p}: {ext} carries no normals; normals not written", stacklevel=2)
    if ext == ".bin" and col is not None:
        warnings.warn(f"{p}: .bin carries no colours; colors not written", stacklevel=2)
    if ext in (".las", ".laz"):
        write_las(p, pts.astype(np.float64), colors=col, attributes=attributes, meta=meta)
        return
    if ext == ".ply":
        data = ply_bytes(pts, nrm, col, double=double)
    elif ext == ".pcd":
        data = pcd_bytes(pts, nrm, col, double=double)
    elif ext == ".npz":
        data = npz_bytes(pts, nrm, col, double=double)
    elif ext == ".npy":
        if nrm is not None or col is not None:
            warnings.warn(
                f"{p}: .npy carries points only; normals/colors not written", stacklevel=2
            )
        data = npy_bytes(pts, double=double)
    elif ext == ".bin":
        refl = (attributes or {}).get("reflectance")
        if refl is not None and len(refl) != n:
            raise ValueError(f"attributes['reflectance']: expected {n} values, got {len(refl)}")
        data = velodyne_bytes(pts, refl)
    else:
        data = text_bytes(pts, nrm, col, ext)
    try:
        atomic_write_bytes(p, data)
    except OSError as exc:
        raise DataError(p, f"cannot write file: {exc.strerror or exc}") from None
