"""LAS/LAZ: the real files against laspy, every point format, crop/voxel at read time, errors."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.errors import DataError
from pointrecon.io import read_point_cloud, read_points, write_points

laspy = pytest.importorskip("laspy")

# point counts as listed in the real data README (laspy 2.7)
REAL = {
    "simple.las": 1065,
    "simple.laz": 1065,
    "test1_4.las": 1000,
    "plane.laz": 28185,
    "autzen_trim.laz": 110000,
}
ATTRS = ("intensity", "classification", "return_number", "number_of_returns", "gps_time")


def test_lidar_folder_lists_exactly_these_files(real_data_dir):
    lidar = real_data_dir / "lidar"
    if not lidar.is_dir():
        pytest.skip(f"{lidar} not found")
    assert sorted(p.name for p in lidar.iterdir()) == sorted([*REAL, "testWithNormals.e57"])


def _xyz(las) -> np.ndarray:
    return np.stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)], axis=1)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_file_counts_and_values_equal_laspy(real_data_dir, name):
    path = real_data_dir / "lidar" / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    ref = laspy.read(path)
    cloud = read_point_cloud(path, dtype=np.float64)
    assert len(cloud) == REAL[name] == ref.header.point_count
    assert cloud.offset.dtype == np.float64 and cloud.points.dtype == np.float64
    # relative to the offset, equal to laspy's scaled coordinates within 1e-6 m
    np.testing.assert_allclose(cloud.points, _xyz(ref) - cloud.offset, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cloud.world_points(), _xyz(ref), rtol=0, atol=1e-6)
    for a in ATTRS:
        np.testing.assert_array_equal(cloud.attributes[a], np.asarray(ref[a]))
    if "red" in ref.point_format.dimension_names:
        rgb = np.stack([ref.red, ref.green, ref.blue], 1).astype(np.float64)
        depth = 65535.0 if rgb.max() > 255 else 255.0
        np.testing.assert_allclose(cloud.colors, rgb / depth, atol=1e-6)
    else:
        assert cloud.colors is None
    # the default float32 read keeps sub-millimetre precision relative to the offset
    c32 = read_point_cloud(path)
    assert c32.points.dtype == np.float32
    np.testing.assert_allclose(c32.points, _xyz(ref) - c32.offset, rtol=0, atol=1e-3)


def test_float32_does_not_collapse_geo_coordinates(real_data_dir):
    path = real_data_dir / "lidar" / "plane.laz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ref = _xyz(laspy.read(path))
    n_ref = len(np.unique(ref, axis=0))
    assert len(np.unique(ref.astype(np.float32), axis=0)) < n_ref / 10  # the pitfall
    assert len(np.unique(read_points(path), axis=0)) == n_ref


def test_crs_from_wkt_and_geokeys(real_data_dir):
    lidar = real_data_dir / "lidar"
    if not (lidar / "test1_4.las").exists():
        pytest.skip("lidar files not found")
    assert read_point_cloud(lidar / "test1_4.las").crs.startswith('PROJCS["NAD83(HARN)')
    assert read_point_cloud(lidar / "autzen_trim.laz").crs.startswith("PROJCS[")
    assert read_point_cloud(lidar / "plane.laz").crs.startswith("GeoTIFF keys")
    assert read_point_cloud(lidar / "simple.las").crs is None


# --- fixtures built at test time: every version and point format ---------------------------

ORIGIN = np.array([636_000.0, 4_189_000.0, 120.0])


def _make_las(path, point_format: int, version: str, n: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    write_version = "1.1" if version == "1.0" else version
    header = laspy.LasHeader(point_format=point_format, version=write_version)
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = ORIGIN
    las = laspy.LasData(header)
    xyz = ORIGIN + rng.uniform(0, [30.0, 20.0, 5.0], size=(n, 3))
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    dims = set(las.point_format.dimension_names)
    las.intensity = rng.integers(0, 65535, n)
    las.classification = rng.integers(0, 31, n)
    las.return_number = rng.integers(1, 4, n)
    if "gps_time" in dims:
        las.gps_time = 3e8 + rng.uniform(0, 10, n)
    if "red" in dims:
        for c in ("red", "green", "blue"):
            las[c] = rng.integers(256, 65535, n)
    if "nir" in dims:
        las.nir = rng.integers(0, 65535, n)
    las.write(str(path))
    if version == "1.0":  # laspy writes 1.1 onwards; 1.0 has the same layout
        data = bytearray(path.read_bytes())
        data[25] = 0
        path.write_bytes(bytes(data))
    return laspy.read(path)


CASES = [(pf, "1.2") for pf in range(4)] + [(4, "1.3"), (5, "1.3")]
CASES += [(pf, "1.4") for pf in range(6, 11)] + [(0, "1.0"), (1, "1.1")]


@pytest.mark.parametrize("ext", [".las", ".laz"])
@pytest.mark.parametrize(("pf", "version"), CASES)
def test_every_point_format_and_version(tmp_path, pf, version, ext):
    path = tmp_path / f"pf{pf}_v{version}{ext}"
    ref = _make_las(path, pf, version)
    assert str(ref.header.version) == version and ref.header.point_format.id == pf
    cloud = read_point_cloud(path, dtype=np.float64)
    np.testing.assert_allclose(cloud.world_points(), _xyz(ref), rtol=0, atol=1e-6)
    dims = set(ref.point_format.dimension_names)
    for a in ("intensity", "classification", "return_number", "gps_time", "nir"):
        if a in dims:
            np.testing.assert_array_equal(cloud.attributes[a], np.asarray(ref[a]))
        else:
            assert a not in cloud.attributes
    assert (cloud.colors is not None) == ("red" in dims)
    assert cloud.meta["point_format"] == pf and cloud.meta["version"] == version


def test_chunked_read_equals_whole_read(tmp_path):
    path = tmp_path / "c.laz"
    _make_las(path, 3, "1.2", n=1000)
    whole = read_point_cloud(path, dtype=np.float64)
    chunked = read_point_cloud(path, dtype=np.float64, chunk_size=97, progress=True)
    np.testing.assert_array_equal(whole.points, chunked.points)
    np.testing.assert_array_equal(whole.colors, chunked.colors)
    for a in whole.attributes:
        np.testing.assert_array_equal(whole.attributes[a], chunked.attributes[a])


def test_crop_box_and_sphere_keep_exactly_the_points_inside(tmp_path):
    path = tmp_path / "c.las"
    ref = _xyz(_make_las(path, 1, "1.2", n=2000))
    lo, hi = ORIGIN + [5, 5, 0], ORIGIN + [15, 12, 5]
    box = read_point_cloud(path, crop=[*lo, *hi], dtype=np.float64, chunk_size=333)
    inside = ((ref >= lo) & (ref <= hi)).all(1)
    np.testing.assert_allclose(box.world_points(), ref[inside], atol=1e-6)
    assert len(box.attributes["intensity"]) == inside.sum()
    c, r = ORIGIN + [10, 10, 2], 4.0
    ball = read_point_cloud(path, crop=[*c, r], dtype=np.float64, chunk_size=333)
    inside = np.linalg.norm(ref - c, axis=1) <= r
    np.testing.assert_allclose(ball.world_points(), ref[inside], atol=1e-6)


def test_voxel_keeps_one_point_per_voxel_independent_of_chunking(tmp_path):
    path = tmp_path / "v.laz"
    _make_las(path, 0, "1.2", n=3000)
    a = read_point_cloud(path, voxel=2.0, dtype=np.float64)
    b = read_point_cloud(path, voxel=2.0, dtype=np.float64, chunk_size=128)
    np.testing.assert_array_equal(a.world_points(), b.world_points())
    ref = _xyz(laspy.read(path))
    mins = ref.min(0)
    n_vox = len(np.unique(np.floor((ref - mins) / 2.0), axis=0))
    assert len(a) == n_vox
    assert len(np.unique(np.floor((a.world_points() - mins) / 2.0), axis=0)) == n_vox


# --- errors -----------------------------------------------------------------------------------


def _expect(path, fragment, **kw):
    with pytest.raises(DataError, match=fragment) as exc:
        read_point_cloud(path, **kw)
    assert exc.value.path == str(path) and str(path) in str(exc.value)


def test_truncated_laz_is_an_error(tmp_path):
    src = tmp_path / "full.laz"
    _make_las(src, 3, "1.2", n=5000)
    data = src.read_bytes()
    for frac in (0.5, 0.9):
        path = tmp_path / f"trunc{frac}.laz"
        path.write_bytes(data[: int(len(data) * frac)])
        _expect(path, "truncated")


def test_truncated_real_laz_is_an_error(real_data_dir, tmp_path):
    src = real_data_dir / "lidar" / "autzen_trim.laz"
    if not src.exists():
        pytest.skip(f"{src} not found")
    path = tmp_path / "autzen_cut.laz"
    path.write_bytes(src.read_bytes()[:300_000])
    _expect(path, "truncated")


@pytest.mark.parametrize(("pf", "version"), [(1, "1.2"), (6, "1.4")])
def test_header_count_beyond_data_is_an_error(tmp_path, pf, version):
    path = tmp_path / "short.las"
    ref = _make_las(path, pf, version, n=300)
    data = path.read_bytes()
    cut = tmp_path / "cut.las"
    cut.write_bytes(data[: len(data) - 10 * ref.header.point_format.size])  # 10 records short
    _expect(cut, "header declares 300 points")


def test_crop_with_no_points_is_an_error(tmp_path):
    path = tmp_path / "c.las"
    _make_las(path, 0, "1.2")
    far = ORIGIN + 1000.0
    _expect(path, "contains no points", crop=[*far, *(far + 1)])  # outside the header bounds
    _expect(path, "contains no points", crop=[*(ORIGIN + [1, 1, 1]), 1e-4])  # inside, in a gap


def test_garbage_and_empty_las_are_errors(tmp_path):
    path = tmp_path / "junk.las"
    path.write_bytes(b"not a las file at all" * 20)
    _expect(path, "malformed")
    empty = tmp_path / "empty.laz"
    empty.write_bytes(b"")
    _expect(empty, "empty file")


def test_bad_crop_and_voxel_arguments():
    with pytest.raises(ValueError, match="crop"):
        read_point_cloud("x.las", crop=[1, 2, 3])
    with pytest.raises(ValueError, match="voxel"):
        read_point_cloud("x.las", voxel=0)


# --- writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", [".las", ".laz"])
def test_las_write_keeps_header_scale_offset_crs_and_values(real_data_dir, tmp_path, ext):
    src = real_data_dir / "lidar" / "test1_4.las"
    if not src.exists():
        pytest.skip(f"{src} not found")
    cloud = read_point_cloud(src)
    out = tmp_path / f"out{ext}"
    write_points(
        out,
        cloud.points,
        offset=cloud.offset,
        colors=cloud.colors,
        attributes=cloud.attributes,
        meta=cloud.meta,
    )
    ref, got = laspy.read(src), laspy.read(out)
    assert got.header.point_format.id == ref.header.point_format.id
    np.testing.assert_array_equal(got.header.scales, ref.header.scales)
    np.testing.assert_array_equal(got.header.offsets, ref.header.offsets)
    np.testing.assert_allclose(_xyz(got), _xyz(ref), rtol=0, atol=1e-4)
    np.testing.assert_array_equal(got.classification, ref.classification)
    assert read_point_cloud(out).crs == cloud.crs


def test_las_write_moves_offset_when_points_leave_the_int32_range(tmp_path):
    pts = np.array([[0.0, 0.0, 0.0], [10.0, 1.0, 1.0]])
    meta = {"format": "las", "scales": np.array([1e-6] * 3), "offsets": np.zeros(3)}
    out = tmp_path / "far.las"
    write_points(out, pts, offset=np.array([5e6, 4e6, 0.0]), meta=meta)
    got = laspy.read(out)
    np.testing.assert_allclose(_xyz(got), pts + [5e6, 4e6, 0.0], atol=1e-6)


@pytest.mark.parametrize("ext", [".ply", ".pcd", ".npz", ".npy"])
def test_double_precision_writers_keep_geo_coordinates(real_data_dir, tmp_path, ext):
    src = real_data_dir / "lidar" / "plane.laz"
    if not src.exists():
        pytest.skip(f"{src} not found")
    cloud = read_point_cloud(src, dtype=np.float64)
    out = tmp_path / f"geo{ext}"
    write_points(out, cloud.points, offset=cloud.offset)  # double by default with an offset
    back = read_point_cloud(out, dtype=np.float64)
    np.testing.assert_allclose(back.points, cloud.world_points(), rtol=0, atol=1e-6)
    single = tmp_path / f"single{ext}"
    write_points(single, cloud.points, offset=cloud.offset, double=False)
    err = np.abs(read_point_cloud(single, dtype=np.float64).points - cloud.world_points()).max()
    assert err > 0.01  # float32 at 4e6 m: the loss the double writer avoids
