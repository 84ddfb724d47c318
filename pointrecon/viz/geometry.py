"""Conversion of the geometry types pointrecon meets into one plain drawable form.

Accepted: numpy arrays, torch tensors (converted with ``.detach().cpu()``; torch is never imported
here), trimesh ``Trimesh``/``PointCloud``, Open3D ``PointCloud``/``TriangleMesh`` (legacy and
tensor API), and a :class:`Drawable` itself.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Drawable:
    """A point cloud (``faces is None``) or a triangle mesh, as numpy arrays.

    Shapes:
        points: (N, 3) float64 -- points, or mesh vertices.
        faces: (F, 3) int64 or None.
        colors: (N, 3) float64 in [0, 1] or None (per point / per vertex).
    """

    points: np.ndarray
    faces: np.ndarray | None = None
    colors: np.ndarray | None = None

    @property
    def is_mesh(self) -> bool:
        return self.faces is not None and len(self.faces) > 0


def _array_from(obj: Any) -> np.ndarray:
    if hasattr(obj, "detach") and hasattr(obj, "cpu"):  # torch.Tensor without importing torch
        obj = obj.detach().cpu().numpy()
    return np.asarray(obj)


def points_array(obj: Any, name: str = "points") -> np.ndarray:
    """Return ``obj`` as a float64 (N, 3) array; a leading batch axis of size 1 is dropped.

    Shapes:
        obj: (N, 3) or (1, N, 3) -> (N, 3).
    """
    try:
        arr = _array_from(obj)
    except Exception as exc:  # noqa: BLE001 - any conversion failure is a type problem here
        raise TypeError(f"{name}: cannot convert {type(obj).__name__} to an array") from exc
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name}: expected an (N, 3) array of points, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected numeric points, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


def to_drawable(obj: Any, name: str = "geometry") -> Drawable:
    """Convert one geometry (see module docstring) into a :class:`Drawable`.

    Non-finite points of a point cloud are dropped with a warning.
    """
    if isinstance(obj, Drawable):
        return obj
    module = type(obj).__module__ or ""
    if module.startswith("trimesh"):
        import trimesh

        if isinstance(obj, trimesh.Trimesh):
            colors = None
            visual = getattr(obj, "visual", None)
            if getattr(visual, "kind", None) == "vertex":
                colors = np.asarray(visual.vertex_colors, dtype=np.float64)[:, :3] / 255.0
            return Drawable(
                np.asarray(obj.vertices, dtype=np.float64),
                np.asarray(obj.faces, dtype=np.int64),
                colors,
            )
        if isinstance(obj, trimesh.PointCloud):
            obj = np.asarray(obj.vertices)
        else:
            raise TypeError(f"{name}: unsupported trimesh type {type(obj).__name__}")
    elif module.startswith("open3d"):
        if hasattr(obj, "to_legacy"):  # tensor API
            obj = obj.to_legacy()
        if hasattr(obj, "triangles"):
            colors = np.asarray(obj.vertex_colors) if obj.has_vertex_colors() else None
            return Drawable(
                np.asarray(obj.vertices, dtype=np.float64),
                np.asarray(obj.triangles, dtype=np.int64),
                colors,
            )
        if hasattr(obj, "points"):
            colors = np.asarray(obj.colors) if obj.has_colors() else None
            return _finite(Drawable(np.asarray(obj.points, dtype=np.float64), None, colors), name)
        raise TypeError(f"{name}: unsupported Open3D type {type(obj).__name__}")
    return _finite(Drawable(points_array(obj, name)), name)


def _finite(d: Drawable, name: str) -> Drawable:
    ok = np.isfinite(d.points).all(axis=1)
    if ok.all():
        return d
    warnings.warn(f"{name}: dropped {int((~ok).sum())} non-finite points", stacklevel=3)
    return Drawable(d.points[ok], None, None if d.colors is None else d.colors[ok])


def to_drawables(geometries: Any, name: str = "geometries") -> list[Drawable]:
    """Convert one geometry or a list/tuple of geometries into a list of drawables."""
    if isinstance(geometries, (list, tuple)):
        return [to_drawable(g, f"{name}[{i}]") for i, g in enumerate(geometries)]
    return [to_drawable(geometries, name)]
