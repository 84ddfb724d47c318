"""Mesh -> points: area-weighted uniform and Poisson-disk surface sampling."""

from __future__ import annotations

import threading

import numpy as np
import open3d as o3d
import trimesh

from pointrecon.errors import DataError

_O3D_LOCK = threading.Lock()  # Open3D's random engine is global


def sample_surface(
    mesh: trimesh.Trimesh,
    n: int,
    *,
    method: str = "uniform",
    seed: int | None = None,
    return_normals: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Sample ``n`` points on the surface of a triangle mesh.

    ``"uniform"``: each point picks a triangle with probability proportional to its area, then a
    uniform point inside it (trimesh). ``"poisson"``: Poisson-disk sampling by weighted sample
    elimination from 5n uniform samples (Open3D), so points keep a minimum spacing. Both are
    deterministic for a given ``seed``.

    Args:
        mesh: the mesh.
        n: number of points (>= 1).
        method: ``"uniform"`` or ``"poisson"``.
        seed: random seed; ``None`` draws a fresh one.
        return_normals: also return the normal of the triangle each point lies on.

    Raises:
        DataError: the mesh has no faces or zero area.

    Shapes:
        returns points (n, 3) float32 [, normals (n, 3) float32].
    """
    if not isinstance(mesh, trimesh.Trimesh):
        raise TypeError(f"mesh: expected trimesh.Trimesh, got {type(mesh).__name__}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected a positive integer, got {n!r}")
    if method not in ("uniform", "poisson"):
        raise ValueError(f"method: expected 'uniform' or 'poisson', got {method!r}")
    if len(mesh.faces) == 0 or not np.isfinite(mesh.area) or mesh.area <= 0:
        raise DataError(None, f"cannot sample a mesh with zero area ({len(mesh.faces)} faces)")
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31 - 1))
    if method == "uniform":
        points, face_idx = trimesh.sample.sample_surface(mesh, int(n), seed=seed)
        normals = mesh.face_normals[face_idx]
    else:
        om = o3d.geometry.TriangleMesh(
            o3d.utility.Vector3dVector(np.array(mesh.vertices, dtype=np.float64)),
            o3d.utility.Vector3iVector(np.array(mesh.faces, dtype=np.int32)),
        )
        om.triangle_normals = o3d.utility.Vector3dVector(
            np.array(mesh.face_normals, dtype=np.float64)
        )
        with _O3D_LOCK:
            o3d.utility.random.seed(int(seed) % (2**31 - 1))
            pcd = om.sample_points_poisson_disk(int(n), init_factor=5, use_triangle_normal=True)
        points = np.asarray(pcd.points)
        normals = np.asarray(pcd.normals)
        if points.shape[0] != n:
            raise DataError(None, f"Poisson-disk sampling returned {points.shape[0]} of {n} points")
    points = np.ascontiguousarray(points, dtype=np.float32)
    if return_normals:
        return points, np.ascontiguousarray(normals, dtype=np.float32)
    return points
