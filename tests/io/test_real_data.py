"""The files of the real data folder load like trimesh and Open3D read them.

The folder's contents are discovered, not listed here: every mesh and point cloud found is
checked against the reference readers. The named files below carry values read by hand (from
the data README or the file itself); a test about a named file skips when that file is absent.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
import trimesh

from pointrecon.errors import DataError
from pointrecon.io import read_mesh, read_point_cloud, read_points

MESH_SUFFIXES = {".stl", ".obj", ".ply", ".off"}
CLOUD_SUFFIXES = {".pcd", ".ply", ".xyz", ".pts"}
# finite point counts as listed in the data README
CLOUDS = {
    "pcl_bun0.pcd": 397, "pcl_milk_color.pcd": 13704, "pcn_airplane.pcd": 753,
    "pcn_car.pcd": 1511, "pcn_chair.pcd": 1193, "pcn_lamp.pcd": 1715, "pointr_airplane.pcd": 796,
}  # fmt: skip
ORGANIZED = "pcl_table_scene_mug_stereo_textured.pcd"


def _files(folder: Path, suffixes: set[str]) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes)
    if not files:
        pytest.skip(f"{folder}: no files to check")
    return files


def _named(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{path} is not in this copy of the real data folder")
    return path


def test_every_mesh_reads_like_trimesh(real_data_dir):
    failures = []
    for path in _files(real_data_dir / "meshes", MESH_SUFFIXES):
        mesh = read_mesh(path)
        ref = trimesh.load(path, force="mesh", process=False)
        try:
            assert mesh.faces.shape == ref.faces.shape
            assert mesh.faces.dtype.kind == "i" and mesh.faces.max() < len(mesh.vertices)
            # same surface: total area and bounds agree with trimesh's reading
            assert mesh.area == pytest.approx(ref.area, rel=1e-5)
            np.testing.assert_allclose(mesh.bounds, ref.bounds, rtol=1e-6, atol=1e-6)
        except AssertionError as e:
            failures.append(f"{path.name}: {e}")
    assert not failures, "\n".join(failures)


def test_every_point_cloud_reads_like_open3d(real_data_dir):
    failures = []
    for path in _files(real_data_dir / "pointclouds", CLOUD_SUFFIXES):
        ref = o3d.io.read_point_cloud(str(path))
        ref_pts = np.asarray(ref.points)
        finite = np.isfinite(ref_pts).all(axis=1)
        policy = "error" if finite.all() else "drop"
        with pytest.warns(UserWarning) if policy == "drop" else _nothing():
            cloud = read_point_cloud(path, nan_policy=policy)
        try:
            assert cloud.points.dtype == np.float32
            np.testing.assert_allclose(cloud.points, ref_pts[finite], rtol=1e-6, atol=1e-6)
            if ref.has_colors():
                np.testing.assert_allclose(cloud.colors, np.asarray(ref.colors)[finite], atol=1e-6)
            if ref.has_normals():
                want = np.asarray(ref.normals)[finite]
                np.testing.assert_allclose(cloud.normals, want, atol=1e-6)
        except AssertionError as e:
            failures.append(f"{path.name}: {e}")
    assert not failures, "\n".join(failures)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("name", sorted(CLOUDS))
def test_point_counts_match_the_readme_and_header(real_data_dir, name):
    path = _named(real_data_dir / "pointclouds", name)
    cloud = read_point_cloud(path)
    assert cloud.points.shape == (CLOUDS[name], 3)
    head = path.read_bytes()[:2000].decode("latin-1")
    assert int(re.search(r"^POINTS (\d+)", head, re.M).group(1)) == CLOUDS[name]


def test_suzanne_keeps_quads_unlike_open3d_legacy(real_data_dir):
    path = _named(real_data_dir / "meshes", "suzanne.obj")
    assert len(read_mesh(path).faces) == 968
    legacy = o3d.io.read_triangle_mesh(str(path))
    assert len(legacy.triangles) == 32  # the pitfall this reader avoids


def test_bun0_normals_kept(real_data_dir):
    cloud = read_point_cloud(_named(real_data_dir / "pointclouds", "pcl_bun0.pcd"))
    assert cloud.normals is not None and cloud.normals.shape == (397, 3)
    # first data row of the ascii file, by hand
    text = (real_data_dir / "pointclouds" / "pcl_bun0.pcd").read_text()
    row = text.split("DATA ascii\n", 1)[1].splitlines()[0].split()
    np.testing.assert_allclose(cloud.points[0], np.float32(row[:3]))
    np.testing.assert_allclose(cloud.normals[0], np.float32(row[3:6]))


def test_organized_cloud_with_nans(real_data_dir):
    path = _named(real_data_dir / "pointclouds", ORGANIZED)
    with pytest.raises(DataError, match=r"97920 of 307200 points have NaN/Inf") as exc:
        read_points(path)
    assert ORGANIZED in str(exc.value)
    with pytest.warns(UserWarning, match="dropped 97920"):
        cloud = read_point_cloud(path, nan_policy="drop")
    assert cloud.points.shape == (209280, 3) and cloud.num_dropped == 97920
    assert np.isfinite(cloud.points).all() and cloud.colors.shape == (209280, 3)
    ref = o3d.io.read_point_cloud(str(path))  # keeps the NaN points, in file order
    ref_pts = np.asarray(ref.points)
    finite = np.isfinite(ref_pts).all(axis=1)
    assert ref_pts.shape == (307200, 3) and finite.sum() == 209280
    np.testing.assert_allclose(cloud.points, ref_pts[finite], atol=1e-6)
    np.testing.assert_allclose(cloud.colors, np.asarray(ref.colors)[finite], atol=1e-6)
