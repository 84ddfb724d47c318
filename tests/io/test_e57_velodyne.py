"""E57 (every scan, moved by its pose) and KITTI velodyne .bin."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.errors import DataError
from pointrecon.io import read_point_cloud, write_points

pye57 = pytest.importorskip("pye57")


def _expect(path, fragment, **kw):
    with pytest.raises(DataError, match=fragment) as exc:
        read_point_cloud(path, **kw)
    assert exc.value.path == str(path) and str(path) in str(exc.value)


def test_real_e57_with_normals(real_data_dir):
    path = real_data_dir / "lidar" / "testWithNormals.e57"
    if not path.exists():
        pytest.skip(f"{path} not found")
    cloud = read_point_cloud(path, dtype=np.float64)
    assert len(cloud) == 2 and cloud.scan_counts == (2,)  # the README's count
    ref = pye57.E57(str(path)).read_scan(0, ignore_missing_fields=True)
    xyz = np.stack([ref["cartesianX"], ref["cartesianY"], ref["cartesianZ"]], 1)
    np.testing.assert_allclose(cloud.points, xyz - cloud.offset, rtol=0, atol=1e-6)
    assert cloud.normals is not None and cloud.normals.shape == (2, 3)
    np.testing.assert_allclose(np.linalg.norm(cloud.normals, axis=1), 1.0, atol=1e-5)


# a pose: 90 degrees about z (quaternion w, x, y, z), then a geo-referenced translation
POSES = [
    (np.array([1.0, 0.0, 0.0, 0.0]), np.array([500_000.0, 4_000_000.0, 100.0])),
    (np.array([np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)]), np.array([500_010.0, 4e6, 101])),
]


def _make_e57(path, n=(300, 200), seed=0):
    rng = np.random.default_rng(seed)
    with pye57.E57(str(path), mode="w") as e57:
        for k, (rot, trans) in zip(n, POSES):
            data = {
                "cartesianX": rng.uniform(-5, 5, k),
                "cartesianY": rng.uniform(-5, 5, k),
                "cartesianZ": rng.uniform(0, 3, k),
                "intensity": rng.uniform(0, 1, k),
                "colorRed": rng.integers(0, 256, k).astype(np.uint8),
                "colorGreen": rng.integers(0, 256, k).astype(np.uint8),
                "colorBlue": rng.integers(0, 256, k).astype(np.uint8),
            }
            e57.write_scan_raw(data, rotation=rot, translation=trans)


def test_every_scan_moved_by_its_pose_equals_pye57(tmp_path):
    path = tmp_path / "two.e57"
    _make_e57(path)
    cloud = read_point_cloud(path, dtype=np.float64)
    assert cloud.scan_counts == (300, 200) and len(cloud) == 500
    e57 = pye57.E57(str(path))
    refs = [
        e57.read_scan(i, intensity=True, colors=True, ignore_missing_fields=True) for i in range(2)
    ]
    xyz = np.concatenate(
        [np.stack([r[c] for c in ("cartesianX", "cartesianY", "cartesianZ")], 1) for r in refs]
    )
    np.testing.assert_allclose(cloud.world_points(), xyz, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cloud.points, xyz - cloud.offset, rtol=0, atol=1e-6)
    inten = np.concatenate([r["intensity"] for r in refs])
    np.testing.assert_allclose(cloud.attributes["intensity"], inten, atol=1e-6)
    rgb = np.concatenate(
        [np.stack([r[c] for c in ("colorRed", "colorGreen", "colorBlue")], 1) for r in refs]
    )
    np.testing.assert_allclose(cloud.colors, rgb / 255.0, atol=1e-6)
    # the second scan really was rotated: its x spread comes from the stored y
    assert np.abs(cloud.world_points()[300:, 0] - 500_010.0).max() <= 5.0 + 1e-9


def test_e57_crop_and_voxel_report_per_scan_counts(tmp_path):
    path = tmp_path / "two.e57"
    _make_e57(path)
    full = read_point_cloud(path, dtype=np.float64).world_points()
    lo, hi = np.array([500_000.0, 3_999_990.0, 0.0]), np.array([500_005.0, 4_000_010.0, 200.0])
    cloud = read_point_cloud(path, crop=[*lo, *hi], dtype=np.float64)
    inside = ((full >= lo) & (full <= hi)).all(1)
    assert sum(cloud.scan_counts) == len(cloud) == inside.sum()
    assert cloud.scan_counts[0] == inside[:300].sum()
    vox = read_point_cloud(path, voxel=3.0)
    assert len(vox) < 500 and sum(vox.scan_counts) == len(vox)


def test_e57_without_scans_is_an_error(tmp_path):
    path = tmp_path / "empty.e57"
    with pye57.E57(str(path), mode="w"):
        pass
    _expect(path, "no scans")


def test_e57_garbage_and_crop_without_points_are_errors(tmp_path):
    bad = tmp_path / "bad.e57"
    bad.write_bytes(b"ASTM-E57" + b"\x00" * 100)
    _expect(bad, "malformed E57")
    path = tmp_path / "two.e57"
    _make_e57(path)
    _expect(path, "contains no points", crop=[0, 0, 0, 1, 1, 1])


# --- KITTI velodyne .bin ----------------------------------------------------------------------


def test_velodyne_bin_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    scan = rng.normal(size=(1000, 4)).astype(np.float32)
    path = tmp_path / "000000.bin"
    scan.tofile(path)  # what KITTI's devkit writes
    cloud = read_point_cloud(path)
    np.testing.assert_array_equal(cloud.points, scan[:, :3])
    np.testing.assert_array_equal(cloud.attributes["reflectance"], scan[:, 3])
    out = tmp_path / "copy.bin"
    write_points(out, cloud.points, attributes=cloud.attributes)
    assert out.read_bytes() == path.read_bytes()
    crop = read_point_cloud(path, crop=[0, 0, 0, 2.0])
    inside = np.linalg.norm(scan[:, :3].astype(np.float64), axis=1) <= 2.0
    np.testing.assert_array_equal(crop.attributes["reflectance"], scan[inside, 3])


@pytest.mark.parametrize("size", [4, 15, 17, 1000 * 16 + 12])
def test_velodyne_bin_of_the_wrong_length_is_an_error(tmp_path, size):
    path = tmp_path / "bad.bin"
    path.write_bytes(b"\x00" * size)
    _expect(path, "not a multiple of 16")
