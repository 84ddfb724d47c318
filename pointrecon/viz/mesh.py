"""Surface reconstruction of a point cloud with Open3D: Poisson, ball pivoting, alpha shapes."""

from __future__ import annotations

from typing import Any

import numpy as np

METHODS = ("poisson", "ball_pivoting", "alpha")


def _spacing(points: np.ndarray) -> float:
    """Mean distance from a point to its nearest neighbour."""
    from scipy.spatial import cKDTree

    d = cKDTree(points).query(points, k=2)[0][:, 1]
    return float(np.mean(d))


def _alpha_shape(pcd: Any, pts: np.ndarray, alpha: float | None) -> Any:
    """Alpha shape. With ``alpha=None``, alpha is searched from 2 times the mean point spacing
    up (x1.5 steps) for the shape that passes through the most points (stopping at 95%): a small alpha
    leaves holes, a large one fills concavities and leaves points inside."""
    import open3d as o3d

    if alpha is not None and not alpha > 0:
        raise ValueError(f"alpha: expected a positive radius, got {alpha!r}")
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        tetra, pt_map = o3d.geometry.TetraMesh.create_from_point_cloud(pcd)
        if alpha is not None:
            return o3d.geometry.TriangleMesh.create_from_point_cloud_alpha_shape(
                pcd, float(alpha), tetra, pt_map
            )
        a, best, best_cov = 2.0 * _spacing(pts), None, -1.0
        diag = float(np.linalg.norm(pts.max(axis=0) - pts.min(axis=0)))
        while a <= 2.0 * diag:
            mesh = o3d.geometry.TriangleMesh.create_from_point_cloud_alpha_shape(
                pcd, a, tetra, pt_map
            )
            cov = len(mesh.vertices) / len(pts)
            if cov > best_cov:
                best, best_cov = mesh, cov
            if cov >= 0.95 or (best_cov > 0.5 and cov < best_cov - 0.05):  # good, or past peak
                break
            a *= 1.5
        return best


def estimate_normals(points: np.ndarray, *, knn: int = 30, orient_knn: int = 15) -> np.ndarray:
    """Normals from local PCA, oriented consistently (tangent-plane propagation), facing outwards.

    Consistent orientation gives every normal the sign of its neighbours'; the whole field is then
    flipped if most normals point towards the centroid (right for closed, roughly star-shaped
    objects).

    Shapes:
        points: (N, 3) -> (N, 3) float64 unit vectors.
    """
    import open3d as o3d

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    pcd.estimate_normals(o3d.geometry.KDTreeSearchParamKNN(knn=min(knn, len(points) - 1)))
    try:
        pcd.orient_normals_consistent_tangent_plane(min(orient_knn, len(points) - 1))
    except RuntimeError:  # degenerate neighbourhood graph: fall back to centroid orientation
        pass
    normals = np.asarray(pcd.normals)
    outward = points - points.mean(axis=0)
    if np.sum(np.einsum("ij,ij->i", normals, outward) < 0) > len(points) / 2:
        normals = -normals
    return normals


def mesh_from_points(
    points: Any,
    *,
    method: str = "poisson",
    normals: Any = None,
    depth: int = 8,
    density_quantile: float = 0.05,
    radii: list[float] | None = None,
    alpha: float | None = None,
    knn: int = 30,
) -> Any:
    """Reconstruct a triangle mesh from a point cloud.

    Args:
        points: (N, 3) array/tensor or any point cloud ``pointrecon.viz`` accepts.
        method: "poisson" (screened Poisson; watertight, smooth), "ball_pivoting" (interpolates
            the points; needs even sampling) or "alpha" (alpha shape; no normals needed).
        normals: (N, 3) normals; None: estimated (k nearest neighbours) and oriented consistently.
        depth: Poisson octree depth (8 suits a few thousand to ~100k points).
        density_quantile: Poisson trimming: vertices whose density is in this lowest quantile and
            that lie more than 5 times the mean point spacing from every point are removed (surface
            invented away from the data); 0 keeps everything.
        radii: ball radii for ball pivoting; None: 1.5, 3 and 6 times the mean point spacing.
        alpha: alpha-shape radius; None: searched upwards from twice the mean point spacing
            for the shape passing through the most points.
        knn: neighbours used for normal estimation.

    Shapes:
        points: (N, 3), normals: (N, 3) -> trimesh.Trimesh with V vertices and F faces.

    Raises:
        ValueError: bad arguments, too few points, or an empty reconstruction.
    """
    import open3d as o3d
    import trimesh

    from pointrecon.viz.geometry import points_array, to_drawable

    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    pts = to_drawable(points, "points").points if not hasattr(points, "shape") else None
    pts = points_array(points, "points") if pts is None else pts
    if not np.isfinite(pts).all():
        raise ValueError("points: expected finite coordinates, got NaN or inf")
    if len(pts) < 10:
        raise ValueError(f"points: expected at least 10 points to mesh, got {len(pts)}")
    if not 0.0 <= density_quantile < 1.0:
        raise ValueError(f"density_quantile: expected a value in [0, 1), got {density_quantile}")
    if not isinstance(depth, int) or not 1 <= depth <= 14:
        raise ValueError(f"depth: expected an integer in [1, 14], got {depth!r}")

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts))
    if method in ("poisson", "ball_pivoting"):
        if normals is None:
            nrm = estimate_normals(pts, knn=knn)
        else:
            nrm = points_array(normals, "normals")
            if nrm.shape != pts.shape:
                raise ValueError(f"normals: expected shape {pts.shape}, got {nrm.shape}")
        pcd.normals = o3d.utility.Vector3dVector(nrm)

    if method == "poisson":
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
            mesh, dens = o3d.geometry.TriangleMesh.create_from_point_cloud_poisson(
                pcd, depth=depth, scale=1.1, linear_fit=False
            )
        dens = np.asarray(dens)
        if density_quantile > 0 and len(dens):
            # Low density = little support from the points; removed where the surface is also
            # away from every point (invented surface), which keeps sparse spots of real surface.
            from scipy.spatial import cKDTree

            far = cKDTree(pts).query(np.asarray(mesh.vertices))[0] > 5.0 * _spacing(pts)
            mesh.remove_vertices_by_mask(far & (dens < np.quantile(dens, density_quantile)))
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.05 * (hi - lo) + 1e-9
        mesh = mesh.crop(o3d.geometry.AxisAlignedBoundingBox(lo - pad, hi + pad))
    elif method == "ball_pivoting":
        if radii is None:
            s = _spacing(pts)
            radii = [1.5 * s, 3.0 * s, 6.0 * s]
        if not radii or any(not r > 0 for r in radii):
            raise ValueError(f"radii: expected positive ball radii, got {radii!r}")
        mesh = o3d.geometry.TriangleMesh.create_from_point_cloud_ball_pivoting(
            pcd, o3d.utility.DoubleVector([float(r) for r in radii])
        )
    else:
        mesh = _alpha_shape(pcd, pts, alpha)

    mesh.remove_unreferenced_vertices()
    mesh.remove_degenerate_triangles()
    verts, faces = np.asarray(mesh.vertices), np.asarray(mesh.triangles)
    if len(faces) == 0:
        raise ValueError(
            f"method={method!r} produced an empty mesh from {len(pts)} points; try another "
            "method, more points, or larger radii/alpha"
        )
    return trimesh.Trimesh(vertices=verts.copy(), faces=faces.astype(np.int64), process=False)
