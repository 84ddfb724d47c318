"""Simulated depth scans: a virtual pinhole depth camera ray-casts a mesh (Open3D).

The camera sits on a sphere around the object's bounding-box centre and looks at it. Each pixel's
ray is cast with :class:`open3d.t.geometry.RaycastingScene`; the hits give a depth image (0 where
the ray misses) and, back-projected, the visible surface points in the object's frame. Optional
sensor effects: Gaussian noise on the depth (along each pixel's ray) and random pixel dropout.
Everything random comes from one seeded :class:`numpy.random.Generator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from pointrecon.data.camera import Camera, intrinsics_from_fov, look_at, sample_view_directions


@dataclass
class Scan:
    """The result of :func:`simulate_scan`.

    Shapes:
        depth: (V, H, W) float32, z-depth in object units, 0 = no hit (or dropped)
        points: (n, 3) float32, all views merged, object frame
        view_points: V arrays (n_v, 3) float32
    """

    depth: np.ndarray
    points: np.ndarray
    view_points: list[np.ndarray]
    cameras: list[Camera] = field(default_factory=list)


def _check(name: str, value: float, lo: float, hi: float, hi_open: bool = False) -> None:
    ok = lo <= value < hi if hi_open else lo <= value <= hi
    if not ok:
        bracket = ")" if hi_open else "]"
        raise ValueError(f"{name} must lie in [{lo}, {hi}{bracket}, got {value!r}")


def _scene(mesh: trimesh.Trimesh):
    import open3d as o3d

    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(np.ascontiguousarray(mesh.vertices, dtype=np.float32)),
        o3d.core.Tensor(np.ascontiguousarray(mesh.faces, dtype=np.uint32)),
    )
    return scene


def raycast_depth(mesh_or_scene, camera: Camera) -> np.ndarray:
    """Noise-free z-depth image of ``camera`` (0 where the ray misses).

    Shapes:
        -> (H, W) float32
    """
    import open3d as o3d

    scene = _scene(mesh_or_scene) if isinstance(mesh_or_scene, trimesh.Trimesh) else mesh_or_scene
    dirs = camera.ray_directions().reshape(-1, 3)
    rays = np.concatenate([np.broadcast_to(camera.center, dirs.shape), dirs], axis=1)
    t_hit = scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))["t_hit"].numpy()
    depth = np.where(np.isfinite(t_hit), t_hit, 0.0).astype(np.float32)
    return depth.reshape(camera.height, camera.width)


def simulate_scan(
    mesh: trimesh.Trimesh,
    *,
    num_views: int = 1,
    width: int = 160,
    height: int = 120,
    fov_deg: float = 65.0,
    distance: float | None = None,
    noise_std: float = 0.0,
    dropout: float = 0.0,
    seed: int | np.random.Generator | None = None,
    elevation_deg: tuple[float, float] = (-90.0, 90.0),
    directions: np.ndarray | None = None,
) -> Scan:
    """Scan ``mesh`` with ``num_views`` virtual depth cameras on a sphere around it.

    Args:
        mesh: the object, in its own frame.
        num_views: number of cameras (V); their points are merged into ``Scan.points``.
        width, height: image size in pixels; fov_deg: horizontal field of view.
        distance: camera distance from the bounding-box centre, in object units; default 2.5 x the
            bounding radius (the largest vertex distance from that centre), which with the default
            field of view keeps the whole object in the image.
        noise_std: standard deviation of the Gaussian noise added to each hit's depth (object
            units); the point moves along its pixel's ray. Depths pushed to <= 0 count as misses.
        dropout: probability that a hit pixel is dropped (set to 0 in the depth image).
        seed: int or Generator; the same seed gives the same views, noise and dropout.
        elevation_deg: viewpoints are uniform by area on the sphere band between these
            elevations (y up); the default is the whole sphere.
        directions: optional (V, 3) unit vectors from the centre to the cameras, instead of
            random ones.

    Shapes:
        -> Scan(depth (V, H, W), points (n, 3), view_points V x (n_v, 3), cameras V)
    """
    if not isinstance(mesh, trimesh.Trimesh):
        raise TypeError(f"mesh must be a trimesh.Trimesh, got {type(mesh).__name__}")
    if len(mesh.faces) == 0:
        raise ValueError("mesh must have at least one face, got 0")
    if isinstance(num_views, bool) or not isinstance(num_views, (int, np.integer)) or num_views < 1:
        raise ValueError(f"num_views must be a positive integer, got {num_views!r}")
    for name, v in (("width", width), ("height", height)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    _check("noise_std", noise_std, 0.0, np.inf)
    _check("dropout", dropout, 0.0, 1.0, hi_open=True)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    lo, hi = mesh.bounds
    center = (lo + hi) / 2
    radius = float(np.linalg.norm(mesh.vertices - center, axis=1).max())
    if distance is None:
        distance = 2.5 * radius
    if not distance > radius:
        raise ValueError(f"distance must exceed the bounding radius {radius:.4g}, got {distance}")
    if directions is None:
        directions = sample_view_directions(rng, num_views, elevation_deg)
    else:
        directions = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
        if len(directions) != num_views:
            raise ValueError(f"directions must have shape ({num_views}, 3), got {directions.shape}")
        directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)

    k = intrinsics_from_fov(width, height, fov_deg)
    scene = _scene(mesh)
    depths, view_points, cameras = [], [], []
    for d in directions:
        cam = Camera(k, look_at(center + distance * d, center), int(width), int(height))
        depth = raycast_depth(scene, cam)
        hit = depth > 0
        if noise_std > 0:
            depth[hit] += rng.normal(0.0, noise_std, size=int(hit.sum())).astype(np.float32)
            depth[depth < 0] = 0.0
            hit = depth > 0
        if dropout > 0:
            drop = rng.random(int(hit.sum())) < dropout
            idx = np.flatnonzero(hit)[drop]
            depth.reshape(-1)[idx] = 0.0
        depths.append(depth)
        view_points.append(cam.backproject(depth).astype(np.float32))
        cameras.append(cam)
    points = np.concatenate(view_points, axis=0) if view_points else np.zeros((0, 3), np.float32)
    return Scan(np.stack(depths), points, view_points, cameras)
