"""Numpy-level conversions to and from Open3D and trimesh point clouds, shared by
:class:`pointrecon.types.PointBatch` and :mod:`pointrecon.viz` (no torch here).

Colour rule (:func:`unit_colors`): colours are stored as floats in [0, 1]. Integer arrays
(``uint8`` and friends) are read as 0..255 and divided by 255; float arrays whose largest value
is above 1.001 are read as 0..255 too; any other float array is taken as already in [0, 1]
(rounding overshoots up to 1.001 are clipped to 1). Negative, non-finite, or above-255 values
raise ``ValueError``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

#: Float colours up to ``1 + UNIT_TOLERANCE`` are [0, 1] colours with rounding error.
UNIT_TOLERANCE = 1e-3

#: Attribute names of a tensor ``o3d.t.geometry.PointCloud`` that are read and written.
O3D_TENSOR_KNOWN = ("positions", "colors", "normals", "feats")


def unit_colors(colors: Any, name: str = "colors") -> np.ndarray:
    """``colors`` as float64 in [0, 1] following the module's colour rule.

    Shapes:
        colors: (..., 3) -> same shape, float64.
    """
    arr = np.asarray(colors)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name}: expected numeric colours, got dtype {arr.dtype}")
    integer = np.issubdtype(arr.dtype, np.integer)
    out = arr.astype(np.float64)
    if out.size == 0:
        return out
    if not np.isfinite(out).all():
        raise ValueError(f"{name}: colours must be finite")
    lo, hi = float(out.min()), float(out.max())
    if lo < 0:
        raise ValueError(f"{name}: colours must be non-negative, got a minimum of {lo:g}")
    if hi > 255:
        raise ValueError(f"{name}: colours must lie in [0, 1] or [0, 255], got a maximum of {hi:g}")
    if integer or hi > 1.0 + UNIT_TOLERANCE:
        return out / 255.0
    return np.minimum(out, 1.0)


def to_uint8_colors(colors: np.ndarray) -> np.ndarray:
    """[0, 1] colours to 0..255 ``uint8`` (rounded)."""
    return np.round(np.clip(np.asarray(colors, dtype=np.float64), 0.0, 1.0) * 255.0).astype(
        np.uint8
    )


def _check(arr: np.ndarray | None, n: int, name: str) -> np.ndarray | None:
    if arr is None:
        return None
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ValueError(f"{name}: expected ({n}, C) values, one per point, got {arr.shape}")
    return arr


# ---------------------------------------------------------------------------------- Open3D
def to_open3d_legacy(
    points: np.ndarray,
    colors: np.ndarray | None = None,
    normals: np.ndarray | None = None,
    feats: np.ndarray | None = None,
    *,
    name: str = "cloud",
) -> Any:
    """An ``open3d.geometry.PointCloud`` with points, colours (unit rule) and normals.

    The legacy type has no custom attributes: ``feats`` are dropped with a ``UserWarning`` that
    names them (use :func:`to_open3d_tensor` to keep them).
    """
    import open3d as o3d

    pts = np.asarray(points, dtype=np.float64)
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    if _check(colors, len(pts), f"{name}.colors") is not None:
        pc.colors = o3d.utility.Vector3dVector(unit_colors(colors, f"{name}.colors"))
    if _check(normals, len(pts), f"{name}.normals") is not None:
        pc.normals = o3d.utility.Vector3dVector(np.asarray(normals, dtype=np.float64))
    if feats is not None:
        warnings.warn(
            f"{name}: feats ({np.shape(feats)[-1]} channels) dropped: open3d.geometry.PointCloud "
            "has no custom attributes; use the tensor API (o3d.t.geometry.PointCloud, "
            "tensor=True) to keep them as the 'feats' attribute",
            UserWarning,
            stacklevel=3,
        )
    return pc


def to_open3d_tensor(
    points: np.ndarray,
    colors: np.ndarray | None = None,
    normals: np.ndarray | None = None,
    feats: np.ndarray | None = None,
    *,
    name: str = "cloud",
) -> Any:
    """An ``open3d.t.geometry.PointCloud``: ``positions``, ``colors``, ``normals`` and, for
    ``feats`` of any number of channels, the custom attribute ``feats``; dtypes are kept for
    float32/float64 input (float32 otherwise)."""
    import open3d as o3d

    def tensor(a: np.ndarray) -> Any:
        a = np.asarray(a)
        if a.dtype not in (np.float32, np.float64):
            a = a.astype(np.float32)
        return o3d.core.Tensor(np.ascontiguousarray(a))

    pts = np.asarray(points)
    pc = o3d.t.geometry.PointCloud(tensor(pts))
    if _check(colors, len(pts), f"{name}.colors") is not None:
        pc.point.colors = tensor(unit_colors(colors, f"{name}.colors").astype(pts.dtype))
    if _check(normals, len(pts), f"{name}.normals") is not None:
        pc.point.normals = tensor(normals)
    if _check(feats, len(pts), f"{name}.feats") is not None:
        pc.point.feats = tensor(feats)
    return pc


def from_open3d(obj: Any, name: str = "cloud") -> dict[str, np.ndarray | None]:
    """Arrays of a legacy or tensor Open3D point cloud.

    Returns:
        dict with ``points`` (N, 3), and ``colors`` (N, 3) float in [0, 1], ``normals`` (N, 3),
        ``feats`` (N, C) (tensor API attribute ``feats`` only), each None when absent. Other
        custom attributes of a tensor cloud are dropped with a ``UserWarning`` naming them.

    Raises:
        TypeError: not an Open3D point cloud.
    """
    import open3d as o3d

    if isinstance(obj, o3d.geometry.PointCloud):
        return {
            "points": np.asarray(obj.points),
            "colors": np.asarray(obj.colors) if obj.has_colors() else None,
            "normals": np.asarray(obj.normals) if obj.has_normals() else None,
            "feats": None,
        }
    if isinstance(obj, o3d.t.geometry.PointCloud):
        attrs = obj.point

        def get(key: str) -> np.ndarray | None:
            if key not in attrs:
                return None
            a = attrs[key].cpu().numpy()
            return a[:, None] if a.ndim == 1 else a

        extra = sorted(k for k in attrs if k not in O3D_TENSOR_KNOWN)
        if extra:
            warnings.warn(
                f"{name}: attributes {extra} of the o3d.t.geometry.PointCloud dropped; only "
                f"{list(O3D_TENSOR_KNOWN)} are read",
                UserWarning,
                stacklevel=3,
            )
        pts = get("positions")
        if pts is None:
            raise ValueError(f"{name}: the o3d.t.geometry.PointCloud has no 'positions'")
        colors = get("colors")
        return {
            "points": pts,
            "colors": None if colors is None else unit_colors(colors, f"{name}.colors"),
            "normals": get("normals"),
            "feats": get("feats"),
        }
    raise TypeError(
        f"{name}: expected open3d.geometry.PointCloud or open3d.t.geometry.PointCloud, "
        f"got {type(obj).__module__}.{type(obj).__name__}"
    )


# ---------------------------------------------------------------------------------- trimesh
def to_trimesh(
    points: np.ndarray,
    colors: np.ndarray | None = None,
    normals: np.ndarray | None = None,
    feats: np.ndarray | None = None,
    *,
    name: str = "cloud",
) -> Any:
    """A ``trimesh.PointCloud``. Colours become its 8-bit RGBA ``colors`` (a ``UserWarning`` when
    quantising to 8 bits changes them by more than 1e-6); normals and feats, which trimesh point
    clouds have no slot for, go to ``metadata["normals"]`` and ``metadata["feats"]``."""
    import trimesh

    pts = np.asarray(points)
    pc = trimesh.PointCloud(pts)
    if _check(colors, len(pts), f"{name}.colors") is not None:
        unit = unit_colors(colors, f"{name}.colors")
        u8 = to_uint8_colors(unit)
        err = float(np.abs(u8 / 255.0 - unit).max()) if unit.size else 0.0
        if err > 1e-6:
            warnings.warn(
                f"{name}: colours quantised to 8 bits by trimesh (largest change {err:.2g})",
                UserWarning,
                stacklevel=3,
            )
        pc.colors = np.concatenate([u8, np.full((len(u8), 1), 255, np.uint8)], axis=1)
    if _check(normals, len(pts), f"{name}.normals") is not None:
        pc.metadata["normals"] = np.asarray(normals).copy()
    if _check(feats, len(pts), f"{name}.feats") is not None:
        pc.metadata["feats"] = np.asarray(feats).copy()
    return pc


def from_trimesh(obj: Any, name: str = "cloud") -> dict[str, np.ndarray | None]:
    """Arrays of a ``trimesh.PointCloud`` or the vertices of a ``trimesh.Trimesh``.

    PointCloud: ``colors`` (RGBA 0..255), ``metadata["normals"]``, ``metadata["feats"]``.
    Trimesh: vertex colours (when ``visual.kind == "vertex"``; face colours and textures are
    not per-vertex and are dropped with a warning) and vertex normals (when it has faces, or
    when they were given explicitly).
    """
    import trimesh

    if isinstance(obj, trimesh.PointCloud):
        pts = np.asarray(obj.vertices)
        cols = np.asarray(obj.colors)
        md = obj.metadata or {}
        return {
            "points": pts,
            "colors": unit_colors(cols[:, :3], f"{name}.colors") if cols.size else None,
            "normals": _check(md.get("normals"), len(pts), f"{name}.metadata['normals']"),
            "feats": _check(md.get("feats"), len(pts), f"{name}.metadata['feats']"),
        }
    if isinstance(obj, trimesh.Trimesh):
        pts = np.asarray(obj.vertices)
        colors = None
        kind = getattr(obj.visual, "kind", None)
        if kind == "vertex":
            colors = unit_colors(np.asarray(obj.visual.vertex_colors)[:, :3], f"{name}.colors")
        elif kind is not None:
            warnings.warn(
                f"{name}: the mesh's {kind} colours are not per-vertex and were dropped",
                UserWarning,
                stacklevel=3,
            )
        normals = None
        if len(obj.faces) or "vertex_normals" in obj._cache:
            normals = np.asarray(obj.vertex_normals)
        return {"points": pts, "colors": colors, "normals": normals, "feats": None}
    raise TypeError(
        f"{name}: expected trimesh.PointCloud or trimesh.Trimesh, got {type(obj).__name__}"
    )
