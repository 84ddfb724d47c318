"""mesh_from_points: normals, and each method's CD-L1 to the source against the sampling floor.

Bound: CD-L1(points sampled on the reconstruction, source points) is compared with the floor
CD-L1(a fresh exact sample of the true surface, source points) -- what a perfect mesh would
score -- and must stay under 1.3 x floor (Poisson, ball pivoting) or 2 x floor (alpha shapes,
which fill concavities).
"""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy.spatial import cKDTree

from pointrecon.viz import mesh_from_points
from pointrecon.viz.mesh import estimate_normals


def cd_l1(a: np.ndarray, b: np.ndarray) -> float:
    return 0.5 * (cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean())


def _sphere(n: int, seed: int) -> np.ndarray:
    p = np.random.default_rng(seed).normal(size=(n, 3))
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def test_normals_point_outwards():
    pts = _sphere(2000, 0) * np.array([1.0, 0.7, 0.5])
    n = estimate_normals(pts)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, atol=1e-6)
    assert (np.einsum("ij,ij->i", n, pts) > 0).mean() > 0.99


@pytest.mark.parametrize(
    ("method", "factor"), [("poisson", 1.3), ("ball_pivoting", 1.3), ("alpha", 2.0)]
)
def test_sphere_cd_l1_under_bound(method, factor):
    src = _sphere(3000, 0)
    floor = cd_l1(_sphere(6000, 1), src)
    mesh = mesh_from_points(src, method=method, depth=7)
    assert isinstance(mesh, trimesh.Trimesh) and len(mesh.faces) > 1000
    err = cd_l1(trimesh.sample.sample_surface(mesh, 6000, seed=2)[0], src)
    assert err < factor * floor, (err, floor)
    # The vertices lie on the unit sphere (Poisson smooths slightly inwards/outwards).
    assert np.abs(np.linalg.norm(mesh.vertices, axis=1) - 1).max() < 0.05


def _real_mesh(real_data_dir, name: str) -> trimesh.Trimesh:
    path = real_data_dir / "meshes" / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    from pointrecon.io import read_mesh

    mesh = read_mesh(path)
    mesh.apply_translation(-mesh.bounds.mean(axis=0))
    mesh.apply_scale(1.0 / np.linalg.norm(mesh.vertices, axis=1).max())
    return mesh


@pytest.mark.parametrize(
    ("name", "method", "factor"),
    [
        ("spot.obj", "poisson", 1.3),
        ("spot.obj", "ball_pivoting", 1.3),
        pytest.param("fandisk.obj", "poisson", 1.3, marks=pytest.mark.slow),
        pytest.param("spot.obj", "alpha", 2.0, marks=pytest.mark.slow),
    ],
)
def test_real_mesh_cd_l1_under_bound(real_data_dir, name, method, factor):
    src_mesh = _real_mesh(real_data_dir, name)
    src = trimesh.sample.sample_surface(src_mesh, 5000, seed=0)[0]
    floor = cd_l1(trimesh.sample.sample_surface(src_mesh, 8000, seed=1)[0], src)
    mesh = mesh_from_points(src, method=method)
    err = cd_l1(trimesh.sample.sample_surface(mesh, 8000, seed=2)[0], src)
    assert err < factor * floor, (err, floor)


def test_given_normals_are_used():
    src = _sphere(2000, 0)
    inward = mesh_from_points(src, normals=-src, depth=6)
    outward = mesh_from_points(src, normals=src, depth=6)
    # Face winding follows the normals: outward normals give positive signed volume.
    assert outward.volume > 0 > inward.volume


def test_bad_arguments():
    src = _sphere(100, 0)
    with pytest.raises(ValueError, match="method.*'marching'"):
        mesh_from_points(src, method="marching")
    with pytest.raises(ValueError, match="at least 10 points.*got 5"):
        mesh_from_points(src[:5])
    with pytest.raises(ValueError, match="finite"):
        mesh_from_points(np.full((20, 3), np.nan))
    with pytest.raises(ValueError, match="normals.*shape"):
        mesh_from_points(src, normals=src[:50])
    with pytest.raises(ValueError, match="radii"):
        mesh_from_points(src, method="ball_pivoting", radii=[-1.0])
