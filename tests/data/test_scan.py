"""Scan simulation geometry: hits on the surface, hemisphere visibility, seeding, noise, dropout."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh

from pointrecon.data.scan import simulate_scan
from pointrecon.data.shapes import make_shape


def _surface_distance_naive(mesh: trimesh.Trimesh, points: np.ndarray) -> np.ndarray:
    """Brute force: distance of each point to every triangle (trimesh), minimum over triangles."""
    tri = mesh.triangles
    out = np.empty(len(points))
    for i0 in range(0, len(points), 256):
        p = points[i0 : i0 + 256].astype(np.float64)
        cp = trimesh.triangles.closest_point(
            np.tile(tri, (len(p), 1, 1)), np.repeat(p, len(tri), axis=0)
        )
        d = np.linalg.norm(cp - np.repeat(p, len(tri), axis=0), axis=1).reshape(len(p), len(tri))
        out[i0 : i0 + 256] = d.min(axis=1)
    return out


@pytest.mark.parametrize("category", ["chair", "car", "mug"])
def test_zero_noise_points_on_surface(category):
    mesh = make_shape(category, 11)
    scan = simulate_scan(mesh, num_views=2, width=64, height=48, seed=3)
    assert len(scan.points) > 100
    rng = np.random.default_rng(0)
    pts = scan.points[rng.choice(len(scan.points), size=min(400, len(scan.points)), replace=False)]
    size = float(np.linalg.norm(mesh.extents))  # object size: bounding-box diagonal
    assert _surface_distance_naive(mesh, pts).max() <= 1e-5 * size


def test_depth_matches_backprojection_and_projection():
    mesh = make_shape("table", 2)
    scan = simulate_scan(mesh, num_views=2, width=40, height=30, seed=1)
    assert scan.depth.shape == (2, 30, 40) and scan.depth.dtype == np.float32
    assert sum(len(v) for v in scan.view_points) == len(scan.points)
    for v, cam in enumerate(scan.cameras):
        pts = scan.view_points[v].astype(np.float64)
        assert len(pts) == int((scan.depth[v] > 0).sum())
        uvz = cam.project(pts)  # reference: the pinhole model maps each point to its pixel centre
        rows, cols = np.nonzero(scan.depth[v] > 0)
        np.testing.assert_allclose(uvz[:, 0], cols + 0.5, atol=1e-3)
        np.testing.assert_allclose(uvz[:, 1], rows + 0.5, atol=1e-3)
        np.testing.assert_allclose(uvz[:, 2], scan.depth[v][rows, cols], rtol=1e-5)
        # the camera looks at the bounding-box centre
        centre = mesh.bounds.mean(axis=0)
        assert np.linalg.norm(cam.project(centre[None])[0, :2] - [20, 15]) < 1e-6


def test_sphere_from_afar_sees_a_hemisphere():
    """Visible share of a unit sphere from distance D is the cap (1 - r/D) / 2 = 0.49 at D = 50.

    Visible area = sum over hit pixels of the surface area the pixel covers,
    z^2 / (fx fy) * cos(alpha) / cos(incidence) (alpha: the ray's angle to the optical axis,
    incidence: between the ray and the hit facet's normal). Tolerance 0.01 (2 %): near the
    silhouette the rays graze the surface, so each pixel covers a long strip whose area the
    one-sample-per-pixel estimate gets only roughly; at 300 x 300 pixels the measured error is
    below 1 %. Also every visible point must lie in the analytic cap n . c >= r / D (up to the
    icosphere's facets).
    """
    sphere = trimesh.creation.icosphere(subdivisions=5)
    d = 50.0
    fov = 2 * np.degrees(np.arcsin(1 / d)) * 1.1
    scan = simulate_scan(sphere, width=300, height=300, distance=d, fov_deg=fov, seed=7)
    cam, depth = scan.cameras[0], scan.depth[0].astype(np.float64)
    hit = depth > 0
    dirs, z = cam.ray_directions()[hit], depth[hit]
    pts = cam.center + z[:, None] * dirs
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(sphere.vertices.astype(np.float32)),
        o3d.core.Tensor(sphere.faces.astype(np.uint32)),
    )
    fid = scene.compute_closest_points(o3d.core.Tensor(pts.astype(np.float32)))["primitive_ids"]
    normals = sphere.face_normals[fid.numpy()]
    unit = dirs / np.linalg.norm(dirs, axis=1, keepdims=True)
    cos_alpha = 1 / np.linalg.norm(dirs, axis=1)
    cos_inc = np.abs((normals * unit).sum(axis=1))
    k = cam.intrinsics
    area = (z**2 / (k[0, 0] * k[1, 1]) * cos_alpha / cos_inc).sum()
    share = area / sphere.area
    assert share == pytest.approx((1 - 1 / d) / 2, abs=0.01)
    c = cam.center / np.linalg.norm(cam.center)
    n = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    assert (n @ c).min() >= 1 / d - 0.01


def test_seeds():
    mesh = make_shape("lamp", 5)
    a = simulate_scan(mesh, seed=4, width=48, height=36)
    b = simulate_scan(mesh, seed=4, width=48, height=36)
    c = simulate_scan(mesh, seed=5, width=48, height=36)
    np.testing.assert_array_equal(a.depth, b.depth)
    np.testing.assert_array_equal(a.cameras[0].world_to_camera, b.cameras[0].world_to_camera)
    assert not np.allclose(a.cameras[0].world_to_camera, c.cameras[0].world_to_camera)
    assert a.depth.shape != c.depth.shape or not np.array_equal(a.depth, c.depth)
    multi = simulate_scan(mesh, seed=4, num_views=3, width=48, height=36)
    centres = np.stack([cam.center for cam in multi.cameras])
    assert len(np.unique(centres.round(6), axis=0)) == 3


def test_noise_moves_points_along_rays_with_given_std():
    mesh = make_shape("shelf", 1)
    dirs = np.array([[1.0, 0.3, 0.2]])
    clean = simulate_scan(mesh, width=120, height=90, seed=0, directions=dirs)
    noisy = simulate_scan(mesh, width=120, height=90, seed=0, directions=dirs, noise_std=0.01)
    hit = (clean.depth[0] > 0) & (noisy.depth[0] > 0)
    diff = (noisy.depth[0] - clean.depth[0])[hit]
    assert hit.sum() > 1000
    assert abs(diff.mean()) < 4 * 0.01 / np.sqrt(hit.sum())
    assert diff.std() == pytest.approx(0.01, rel=0.1)
    # the noisy point lies on the same pixel ray as the clean one
    cam = clean.cameras[0]
    uvz = cam.project(noisy.view_points[0].astype(np.float64))
    rows, cols = np.nonzero(noisy.depth[0] > 0)
    np.testing.assert_allclose(uvz[:, 0], cols + 0.5, atol=1e-2)


def test_dropout_rate():
    mesh = make_shape("sofa", 2)
    dirs = np.array([[1.0, 0.5, 0.5]])
    clean = simulate_scan(mesh, width=120, height=90, seed=0, directions=dirs)
    dropped = simulate_scan(mesh, width=120, height=90, seed=0, directions=dirs, dropout=0.3)
    n = int((clean.depth[0] > 0).sum())
    kept = dropped.depth[0] > 0
    assert not (kept & (clean.depth[0] == 0)).any()  # dropout never creates hits
    np.testing.assert_array_equal(dropped.depth[0][kept], clean.depth[0][kept])
    p = 0.3
    assert abs((n - kept.sum()) / n - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_bad_arguments():
    mesh = make_shape("mug", 0)
    with pytest.raises(ValueError, match="dropout must lie in"):
        simulate_scan(mesh, dropout=1.0)
    with pytest.raises(ValueError, match="noise_std must lie in"):
        simulate_scan(mesh, noise_std=-0.1)
    with pytest.raises(ValueError, match="num_views must be a positive integer"):
        simulate_scan(mesh, num_views=0)
    with pytest.raises(TypeError, match="mesh must be a trimesh.Trimesh"):
        simulate_scan(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="distance must exceed"):
        simulate_scan(mesh, distance=1e-4)
