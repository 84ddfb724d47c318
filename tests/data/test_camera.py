"""Pinhole camera: pose conventions, projection / back-projection round trip, view sampling."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.data.camera import Camera, intrinsics_from_fov, look_at, sample_view_directions


def test_look_at_is_a_right_handed_rotation():
    m = look_at(np.array([0.0, 0.0, 5.0]), np.zeros(3))
    r = m[:3, :3]
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    # OpenCV convention: camera +z towards the target, image x to the viewer's right (+x world
    # here), image y down (-y world)
    np.testing.assert_allclose(r, [[1, 0, 0], [0, -1, 0], [0, 0, -1]], atol=1e-12)
    np.testing.assert_allclose(m[:3, :3] @ [0, 0, 5] + m[:3, 3], 0, atol=1e-12)  # eye -> origin
    # looking straight down the up axis still gives a rotation
    top = look_at(np.array([0.0, 3.0, 0.0]), np.zeros(3))[:3, :3]
    np.testing.assert_allclose(top @ top.T, np.eye(3), atol=1e-12)


def test_intrinsics_from_fov():
    k = intrinsics_from_fov(200, 100, 90.0)
    np.testing.assert_allclose(k, [[100, 0, 100], [0, 100, 50], [0, 0, 1]], atol=1e-9)
    with pytest.raises(ValueError, match="fov_deg must lie in"):
        intrinsics_from_fov(10, 10, 180)


def test_backproject_then_project_round_trip():
    cam = Camera(intrinsics_from_fov(8, 6, 60), look_at([1.0, 2.0, 3.0], [0.0, 0.0, 0.0]), 8, 6)
    depth = np.random.default_rng(0).uniform(1, 3, size=(6, 8)).astype(np.float32)
    depth[0, 0] = 0  # a miss
    pts = cam.backproject(depth)
    assert pts.shape == (47, 3)
    uvz = cam.project(pts)
    rows, cols = np.nonzero(depth > 0)
    np.testing.assert_allclose(uvz[:, 0], cols + 0.5, atol=1e-9)
    np.testing.assert_allclose(uvz[:, 1], rows + 0.5, atol=1e-9)
    np.testing.assert_allclose(uvz[:, 2], depth[rows, cols], rtol=1e-6)
    np.testing.assert_allclose(cam.center, [1, 2, 3], atol=1e-12)


def test_view_directions_uniform_on_band():
    d = sample_view_directions(np.random.default_rng(0), 20000, (0.0, 90.0))
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1, atol=1e-12)
    assert (d[:, 1] >= 0).all()
    # uniform by area on the upper hemisphere: the height y is uniform on [0, 1]
    assert abs(d[:, 1].mean() - 0.5) < 0.01 and abs(d[:, 1].var() - 1 / 12) < 0.005
    with pytest.raises(ValueError, match="elevation_deg must satisfy"):
        sample_view_directions(np.random.default_rng(0), 1, (10.0, -10.0))


def test_backproject_checks_shape():
    cam = Camera(intrinsics_from_fov(4, 3, 60), np.eye(4), 4, 3)
    with pytest.raises(ValueError, match="depth must have shape"):
        cam.backproject(np.zeros((4, 4), np.float32))
