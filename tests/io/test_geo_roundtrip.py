"""read_scan -> normalize -> (identity model) -> invert -> write_completion keeps geo-coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.io import normalize, read_point_cloud, read_scan, write_completion

laspy = pytest.importorskip("laspy")


@pytest.mark.parametrize("name", ["plane.laz", "autzen_trim.laz", "test1_4.las"])
@pytest.mark.parametrize("ext", [".las", ".laz", ".ply", ".pcd"])
def test_identity_completion_lands_at_the_original_geo_coordinates(
    real_data_dir, tmp_path, name, ext
):
    src = real_data_dir / "lidar" / name
    if not src.exists():
        pytest.skip(f"{src} not found")
    ref = laspy.read(src)
    truth = np.stack([ref.x, ref.y, ref.z], axis=1)
    cloud = read_scan(src)
    assert cloud.points.dtype == np.float32  # what a model sees: small, float32
    normed, norm = normalize(cloud.points, offset=cloud.offset)
    assert np.abs(normed).max() <= 1.0 + 1e-5
    pred = normed  # an identity "model"
    np.testing.assert_allclose(norm.to_world(pred), truth, rtol=0, atol=1e-3)
    out = tmp_path / f"completed{ext}"
    write_completion(out, norm.invert(pred), cloud)
    if ext in (".las", ".laz"):
        got = laspy.read(out)
        back = np.stack([got.x, got.y, got.z], axis=1)
        np.testing.assert_array_equal(got.header.scales, ref.header.scales)
    else:
        back = read_point_cloud(out, dtype=np.float64).points
    np.testing.assert_allclose(back, truth, rtol=0, atol=1e-3)


def test_read_scan_crop_then_write_stays_in_place(real_data_dir, tmp_path):
    src = real_data_dir / "lidar" / "autzen_trim.laz"
    if not src.exists():
        pytest.skip(f"{src} not found")
    ref = laspy.read(src)
    truth = np.stack([ref.x, ref.y, ref.z], axis=1)
    c = truth.mean(axis=0)
    cloud = read_scan(src, crop=[*c, 60.0], voxel=1.0)
    inside = truth[np.linalg.norm(truth - c, axis=1) <= 60.0]
    assert 0 < len(cloud) <= len(inside)
    out = tmp_path / "region.laz"
    write_completion(out, cloud.points, cloud)
    got = laspy.read(out)
    back = np.stack([got.x, got.y, got.z], axis=1)
    # every written point is one of the file's points (voxel keeps real points), to 1 mm
    from scipy.spatial import cKDTree

    d, _ = cKDTree(inside).query(back)
    assert d.max() < 1e-3
