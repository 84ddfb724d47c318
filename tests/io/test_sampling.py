"""Surface sampling: points on the surface, area weighting, Poisson-disk spacing, seeding."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest
import trimesh
from scipy.spatial import cKDTree

from pointrecon.errors import DataError
from pointrecon.io import sample_surface


@pytest.fixture(scope="module")
def sphere():
    return trimesh.creation.icosphere(subdivisions=3, radius=2.0)


@pytest.mark.parametrize("method", ["uniform", "poisson"])
def test_points_lie_on_the_surface(sphere, method):
    pts, nrm = sample_surface(sphere, 1000, method=method, seed=0, return_normals=True)
    assert pts.shape == (1000, 3) and pts.dtype == np.float32 and nrm.dtype == np.float32
    # exact distance to the triangles (Open3D ray-casting scene) and the closest triangle
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(
        o3d.core.Tensor(sphere.vertices.astype(np.float32)),
        o3d.core.Tensor(sphere.faces.astype(np.uint32)),
    )
    query = o3d.core.Tensor(pts)
    assert scene.compute_distance(query).numpy().max() < 1e-5
    tri = scene.compute_closest_points(query)["primitive_ids"].numpy()
    # normals are those of the triangle each point lies on
    np.testing.assert_allclose((nrm * sphere.face_normals[tri]).sum(1), 1.0, atol=1e-4)
    # and the points cover the sphere (not one patch): centroid near the centre
    assert np.linalg.norm(pts.mean(0)) < 0.2


def test_uniform_is_area_weighted():
    """Two unit squares, one scaled x3 in area: the big one gets ~3/4 of the samples."""
    v = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    big = v * [3, 1, 1] + [5, 0, 0]
    mesh = trimesh.Trimesh(np.vstack([v, big]), [[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    pts = sample_surface(mesh, 20000, seed=1)
    share = np.mean(pts[:, 0] >= 5)
    assert abs(share - 0.75) < 0.015  # binomial sd ~0.003
    # uniform inside the small square: mean at its centre
    np.testing.assert_allclose(pts[pts[:, 0] < 5, :2].mean(0), [0.5, 0.5], atol=0.02)


def test_poisson_spacing_larger_than_uniform(sphere):
    def min_spacing(p):
        d, _ = cKDTree(p).query(p, k=2)
        return d[:, 1].min()

    uni = sample_surface(sphere, 800, method="uniform", seed=2)
    poi = sample_surface(sphere, 800, method="poisson", seed=2)
    assert min_spacing(poi) > 3 * min_spacing(uni)


@pytest.mark.parametrize("method", ["uniform", "poisson"])
def test_seeding(sphere, method):
    a = sample_surface(sphere, 300, method=method, seed=5)
    b = sample_surface(sphere, 300, method=method, seed=5)
    c = sample_surface(sphere, 300, method=method, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_bad_arguments(sphere):
    flat = trimesh.Trimesh([[0, 0, 0], [1, 1, 1], [2, 2, 2]], [[0, 1, 2]], process=False)
    with pytest.raises(DataError, match="zero area"):
        sample_surface(flat, 10)
    with pytest.raises(ValueError, match="n: expected a positive integer, got 0"):
        sample_surface(sphere, 0)
    with pytest.raises(ValueError, match="method: expected 'uniform' or 'poisson', got 'grid'"):
        sample_surface(sphere, 10, method="grid")
    with pytest.raises(TypeError, match="mesh: expected trimesh.Trimesh"):
        sample_surface(np.zeros((3, 3)), 10)
