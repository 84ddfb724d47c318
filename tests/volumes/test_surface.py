"""Marching-cubes surfaces in world coordinates: an analytic ellipsoid under a rotated,
translated, anisotropic affine, the same volume through DICOM and NIfTI, labels, components."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from pointrecon.errors import DataError
from pointrecon.io import VolumeData, read_volume, sample_surface, write_dicom_series, write_volume
from pointrecon.volumes import extract_surface
from pointrecon.volumes import surface as surface_mod

SPACING = (0.7, 1.0, 1.6)  # mm, anisotropic
RADII = np.array([9.0, 6.5, 11.0])  # ellipsoid semi-axes, mm
CENTER = np.array([31.0, -12.0, 54.0])  # mm, world


def _affine() -> np.ndarray:
    from scipy.spatial.transform import Rotation

    a = np.eye(4)
    a[:3, :3] = Rotation.from_euler("zyx", [0.6, -0.35, 0.8]).as_matrix() @ np.diag(SPACING)
    # put the ellipsoid centre at the middle of a (40, 30, 20) grid
    a[:3, 3] = CENTER - a[:3, :3] @ np.array([19.5, 14.5, 9.5])
    return a


def _g(world: np.ndarray) -> np.ndarray:
    """Implicit ellipsoid: < 0 inside, 0 on the surface (world mm)."""
    return np.sqrt((((world - CENTER) / RADII) ** 2).sum(-1)) - 1.0


def ellipsoid_volume(shape=(40, 30, 20)) -> VolumeData:
    aff = _affine()
    ijk = np.stack(np.meshgrid(*(np.arange(s) for s in shape), indexing="ij"), -1).reshape(-1, 3)
    world = ijk @ aff[:3, :3].T + aff[:3, 3]
    # a CT-like intensity: 1000 inside, 0 outside, a linear ramp of ~2 mm across the surface
    dist = _g(world) * RADII.min()
    data = np.clip(500.0 - 500.0 * dist, 0.0, 1000.0).reshape(shape)
    return VolumeData(data.astype(np.float32), aff)


def surface_distance(points: np.ndarray) -> np.ndarray:
    """First-order distance of world points to the analytic ellipsoid, |g| / |grad g| (mm)."""
    y = (points - CENTER) / RADII
    r = np.linalg.norm(y, axis=-1)
    grad = y / RADII / r[:, None]
    return np.abs(r - 1.0) / np.linalg.norm(grad, axis=-1)


def test_surface_within_half_a_voxel_in_world_coordinates():
    vol = ellipsoid_volume()
    mesh = extract_surface(vol, 500.0)
    d = surface_distance(np.asarray(mesh.vertices))
    assert d.max() < 0.5 * min(SPACING), d.max()
    pts = sample_surface(mesh, 5000, seed=0)
    assert surface_distance(pts.astype(np.float64)).max() < 0.5 * min(SPACING)
    # closed, outward normals: positive enclosed volume close to the analytic one
    analytic = 4.0 / 3.0 * np.pi * RADII.prod()
    assert mesh.is_watertight
    assert mesh.volume == pytest.approx(analytic, rel=0.03)


def test_dicom_series_and_nifti_give_the_same_surface(tmp_path):
    vol = ellipsoid_volume()
    write_volume(tmp_path / "e.nii.gz", vol)
    write_dicom_series(tmp_path / "dicom", vol)
    a = extract_surface(read_volume(tmp_path / "e.nii.gz"), 500.0)
    b = extract_surface(read_volume(tmp_path / "dicom"), 500.0)
    assert abs(len(a.vertices) - len(b.vertices)) <= 0.01 * len(a.vertices)
    d_ab = cKDTree(b.vertices).query(a.vertices)[0]
    d_ba = cKDTree(a.vertices).query(b.vertices)[0]
    assert max(d_ab.max(), d_ba.max()) < 1e-2, (d_ab.max(), d_ba.max())  # mm
    assert a.volume == pytest.approx(b.volume, rel=1e-3)


def test_mirrored_affine_keeps_normals_outward():
    vol = ellipsoid_volume()
    flipped = VolumeData(vol.data[::-1].copy(), vol.affine @ _flip0(vol.shape[0]))
    a, b = extract_surface(vol, 500.0), extract_surface(flipped, 500.0)
    # marching cubes walks the flipped grid the other way: the same surface to float precision
    assert b.volume > 0 and b.volume == pytest.approx(a.volume, rel=1e-3)
    assert cKDTree(a.vertices).query(b.vertices)[0].max() < 0.05 * min(SPACING)


def _flip0(n: int) -> np.ndarray:
    f = np.eye(4)
    f[0, 0], f[0, 3] = -1.0, n - 1.0
    return f


def test_label_and_largest_component():
    data = np.zeros((30, 30, 30), np.float32)
    data[3:13, 3:13, 3:13] = 2  # label 2: a 10 mm cube
    data[18:22, 18:22, 18:22] = 2  # and a small separate cube
    data[20:28, 3:9, 3:9] = 5  # label 5
    vol = VolumeData(data, np.diag([1.0, 1.0, 1.0, 1.0]))
    both = extract_surface(vol, label=2)
    big = extract_surface(vol, label=2, largest_component=True)
    assert len(both.split(only_watertight=False)) == 2
    assert len(big.split(only_watertight=False)) == 1
    assert big.bounds[1].max() < 14
    five = extract_surface(vol, label=5)
    assert five.bounds[0][0] > 18
    with pytest.raises(DataError, match="label 7 is not in the volume"):
        extract_surface(vol, label=7)
    with pytest.raises(DataError, match="outside the value range"):
        extract_surface(vol, 10.0)


def test_slabs_give_the_same_surface(monkeypatch):
    vol = ellipsoid_volume()
    whole = extract_surface(vol, 500.0)
    monkeypatch.setattr(surface_mod, "CHUNK_VOXELS", 32 * 22 * 5)  # ~5 slices a slab
    slabs = extract_surface(vol, 500.0, progress=True)
    assert len(slabs.vertices) == len(whole.vertices)
    assert cKDTree(whole.vertices).query(slabs.vertices)[0].max() < 1e-4  # float32 rounding
    assert slabs.is_watertight and slabs.volume == pytest.approx(whole.volume, rel=1e-6)
