"""Sparse slices: voxelization, kept slices, contours, linear interpolation between slices."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pointrecon.volumes.sparse import (
    contour_points,
    keep_every_kth,
    upsample_slices,
    upsampled_surface,
    voxelize_mesh,
)


def test_keep_every_kth():
    np.testing.assert_array_equal(keep_every_kth(10, 4, 1), [1, 5, 9])
    with pytest.raises(ValueError, match="offset"):
        keep_every_kth(10, 4, 4)


def test_upsample_is_linear_between_slices():
    s = np.stack([np.full((2, 2), v, np.float32) for v in (0.0, 4.0, 2.0)], -1)
    up = upsample_slices(s, 4)
    np.testing.assert_allclose(up[0, 0], [0, 1, 2, 3, 4, 3.5, 3, 2.5, 2])


def test_voxelized_sphere_is_solid_with_the_right_volume():
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    spacing = np.array([0.05, 0.06, 0.1])
    occ, origin = voxelize_mesh(sphere, spacing)
    vol = occ.sum() * spacing.prod()
    # every voxel the surface touches counts whole: at most one voxel layer over the true volume
    assert 4 / 3 * np.pi < vol < 4 / 3 * np.pi + 4 * np.pi * spacing.max()
    centre = np.round((0 - origin) / spacing).astype(int)
    assert occ[tuple(centre)]  # filled inside, not a shell


def test_contours_lie_on_the_circles():
    n, h = 64, 0.1
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    radii = [2.0, 2.5]
    slices = np.stack(
        [(np.hypot(i * h - 3.2, j * h - 3.2) < r).astype(np.uint8) for r in radii], -1
    )
    pts = contour_points(slices, [h, h, 0.8], z0=1.0)
    assert set(np.unique(pts[:, 2])) == {1.0, 1.8}
    for z, r in zip((1.0, 1.8), radii):
        p = pts[pts[:, 2] == z]
        d = np.abs(np.hypot(p[:, 0] - 3.2, p[:, 1] - 3.2) - r)
        assert d.max() < h  # a binary image's contour is within a voxel of the true edge


def test_linear_interpolation_baseline_fills_between_slices():
    n, h = 48, 0.1
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    disk = (np.hypot(i * h - 2.4, j * h - 2.4) < 1.5).astype(np.uint8)
    slices = np.stack([disk] * 4, -1)  # a cylinder seen every 4th slice
    mesh = upsampled_surface(slices, [h, h, 0.4], 4, z0=0.0)
    z = mesh.vertices[:, 2]
    assert z.min() < 0.0 and z.max() > 1.2  # spans the 3 gaps of 0.4
    assert mesh.is_watertight
