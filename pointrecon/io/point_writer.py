"""Write point clouds (atomically) in any of ``POINT_EXTENSIONS``."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError
from pointrecon.utils.atomic import atomic_write_bytes

from ._numpy import npy_bytes, npz_bytes
from ._pcd import pcd_bytes
from ._ply import ply_bytes
from ._text import text_bytes
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
) -> None:
    """Write a point cloud atomically; the format follows the extension.

    ``.ply`` / ``.pcd`` (binary) carry normals and colours (8-bit); ``.xyz .pts .txt .csv``
    write a header naming the columns; ``.npz`` stores arrays ``points``, ``normals``, ``colors``;
    ``.npy`` carries the points only (normals/colours given for it are dropped with a warning).

    Args:
        path: target file.
        points: coordinates (written as float32; text formats keep float64 repr).
        normals: optional normals.
        colors: optional RGB in [0, 1].

    Shapes:
        points (N, 3), normals (N, 3), colors (N, 3).
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in POINT_EXTENSIONS:
        raise DataError(
            p,
            f"unknown point-cloud extension {p.suffix!r}; expected one of {', '.join(POINT_EXTENSIONS)}",
        )
    pts = _as_n3("points", points, None)
    n = pts.shape[0]
    nrm = None if normals is None else _as_n3("normals", normals, n)
    col = None if colors is None else _as_n3("colors", colors, n)
    if ext == ".ply":
        data = ply_bytes(pts, nrm, col)
    elif ext == ".pcd":
        data = pcd_bytes(pts, nrm, col)
    elif ext == ".npz":
        data = npz_bytes(pts, nrm, col)
    elif ext == ".npy":
        if nrm is not None or col is not None:
            warnings.warn(
                f"{p}: .npy carries points only; normals/colors not written", stacklevel=2
            )
        data = npy_bytes(pts)
    else:
        data = text_bytes(pts, nrm, col, ext)
    if p.is_dir():
        raise DataError(p, "is a directory, expected a file path")
    try:
        atomic_write_bytes(p, data)
    except OSError as exc:
        raise DataError(p, f"cannot write file: {exc.strerror or exc}") from None
