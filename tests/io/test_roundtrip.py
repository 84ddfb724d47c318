"""Write -> read round trips for every point and mesh format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from pointrecon.errors import DataError
from pointrecon.io import (
    MESH_EXTENSIONS,
    POINT_EXTENSIONS,
    read_mesh,
    read_point_cloud,
    read_points,
    write_mesh,
    write_points,
)

# which formats carry normals / colours (colours as 8-bit in PLY and PCD)
CARRIES = {
    ".ply": (True, True), ".pcd": (True, True), ".xyz": (True, True), ".pts": (True, True),
    ".txt": (True, True), ".csv": (True, True), ".npy": (False, False), ".npz": (True, True),
    ".bin": (False, False),
}  # fmt: skip
# LAS/LAZ quantise to the header scale (1 mm by default); E57 is read only
QUANTISED = (".las", ".laz")
READ_ONLY = (".e57",)


@pytest.fixture
def cloud():
    rng = np.random.default_rng(3)
    pts = (rng.normal(size=(257, 3)) * [1.0, 20.0, 1e-3]).astype(np.float32)
    nrm = rng.normal(size=(257, 3))
    nrm = (nrm / np.linalg.norm(nrm, axis=1, keepdims=True)).astype(np.float32)
    col = rng.random((257, 3)).astype(np.float32)
    return pts, nrm, col


def test_extension_lists():
    assert set(CARRIES) | set(QUANTISED) | set(READ_ONLY) == set(POINT_EXTENSIONS)
    assert set(MESH_EXTENSIONS) == {".obj", ".off", ".stl", ".ply", ".glb", ".gltf"}


@pytest.mark.parametrize("ext", sorted(CARRIES))
def test_points_roundtrip(tmp_path, cloud, ext):
    pts, nrm, col = cloud
    path = tmp_path / f"cloud{ext}"
    write_points(path, pts)
    got = read_points(path)
    assert got.dtype == np.float32 and got.shape == pts.shape
    np.testing.assert_array_equal(got, pts)  # float32 survives exactly (text uses repr)


@pytest.mark.parametrize("ext", QUANTISED)
def test_las_roundtrip_to_the_millimetre(tmp_path, cloud, ext):
    pts, nrm, col = cloud
    path = tmp_path / f"cloud{ext}"
    with pytest.warns(UserWarning, match="normals not written"):
        write_points(path, pts, normals=nrm, colors=col)
    c = read_point_cloud(path, dtype=np.float64)
    np.testing.assert_allclose(c.world_points(), pts, rtol=0, atol=0.5e-3 + 1e-9)
    np.testing.assert_allclose(c.colors, col, atol=0.5 / 65535 + 1e-6)
    assert c.normals is None


def test_e57_is_read_only(tmp_path, cloud):
    with pytest.raises(DataError, match="writing E57 is not supported"):
        write_points(tmp_path / "x.e57", cloud[0])


@pytest.mark.parametrize("ext", sorted(CARRIES))
def test_normals_colors_roundtrip(tmp_path, cloud, ext):
    pts, nrm, col = cloud
    has_n, has_c = CARRIES[ext]
    path = tmp_path / f"cloud{ext}"
    if ext in (".npy", ".bin"):
        with pytest.warns(UserWarning, match="not written"):
            write_points(path, pts, normals=nrm, colors=col)
    else:
        write_points(path, pts, normals=nrm, colors=col)
    c = read_point_cloud(path)
    np.testing.assert_array_equal(c.points, pts)
    assert c.num_dropped == 0
    if has_n:
        np.testing.assert_allclose(c.normals, nrm, atol=1e-7)
    else:
        assert c.normals is None
    if has_c:
        atol = 0.5 / 255 + 1e-6 if ext in (".ply", ".pcd") else 1e-7
        np.testing.assert_allclose(c.colors, col, atol=atol)
        assert c.colors.dtype == np.float32 and c.colors.min() >= 0 and c.colors.max() <= 1
    else:
        assert c.colors is None


@pytest.mark.parametrize("ext", [".xyz", ".txt", ".pts", ".csv"])
def test_text_without_header(tmp_path, ext):
    """Foreign text files: 3 columns = xyz, 6 = xyz + normals, 7 = PTS xyz+intensity+rgb 0..255."""
    sep = "," if ext == ".csv" else " "
    rows3 = [[0.5, 1.0, -2.0], [3.0, 4.0, 5.0]]
    (tmp_path / f"a{ext}").write_text("\n".join(sep.join(map(str, r)) for r in rows3) + "\n")
    np.testing.assert_array_equal(read_points(tmp_path / f"a{ext}"), np.float32(rows3))
    rows6 = [[0, 0, 1, 0, 0, 1], [1, 2, 3, 1, 0, 0]]
    (tmp_path / f"b{ext}").write_text("\n".join(sep.join(map(str, r)) for r in rows6))
    c = read_point_cloud(tmp_path / f"b{ext}")
    np.testing.assert_array_equal(c.normals, np.float32([[0, 0, 1], [1, 0, 0]]))
    rows7 = [[1, 2, 3, -1200, 255, 0, 51]]
    (tmp_path / f"c{ext}").write_text(
        ("1\n" if ext == ".pts" else "") + sep.join(map(str, rows7[0]))
    )
    c = read_point_cloud(tmp_path / f"c{ext}")
    np.testing.assert_allclose(c.colors, [[1.0, 0.0, 0.2]], atol=1e-7)


def test_ascii_ply_and_pcd_by_hand(tmp_path):
    (tmp_path / "a.ply").write_text(
        "ply\nformat ascii 1.0\ncomment hand made\nelement vertex 2\nproperty double x\n"
        "property double y\nproperty double z\nproperty uchar red\nproperty uchar green\n"
        "property uchar blue\nelement face 0\nproperty list uchar int vertex_indices\n"
        "end_header\n1 2 3 255 0 0\n-1 -2 -3.5 0 255 51\n"
    )
    c = read_point_cloud(tmp_path / "a.ply")
    np.testing.assert_array_equal(c.points, np.float32([[1, 2, 3], [-1, -2, -3.5]]))
    np.testing.assert_allclose(c.colors, [[1, 0, 0], [0, 1, 0.2]], atol=1e-7)
    (tmp_path / "a.pcd").write_text(
        "VERSION .7\nFIELDS x y z rgb\nSIZE 4 4 4 4\nTYPE F F F U\nCOUNT 1 1 1 1\nWIDTH 1\n"
        f"HEIGHT 1\nPOINTS 1\nDATA ascii\n1 2 3 {(255 << 16) | 51}\n"
    )
    c = read_point_cloud(tmp_path / "a.pcd")
    np.testing.assert_array_equal(c.points, np.float32([[1, 2, 3]]))
    np.testing.assert_allclose(c.colors, [[1, 0, 0.2]], atol=1e-7)


def test_big_endian_binary_ply(tmp_path):
    pts = np.array([[1.5, -2.0, 3.25], [0.0, 1e-3, 7.0]], dtype=">f8")
    head = ("ply\nformat binary_big_endian 1.0\nelement vertex 2\nproperty double x\n"
            "property double y\nproperty double z\nend_header\n")  # fmt: skip
    (tmp_path / "b.ply").write_bytes(head.encode() + pts.tobytes())
    np.testing.assert_array_equal(read_points(tmp_path / "b.ply"), pts.astype(np.float32))


@pytest.fixture
def mesh():
    m = trimesh.creation.icosphere(subdivisions=2)
    m.vertices = m.vertices * [1.0, 2.0, 0.5] + [0.1, -3.0, 2.0]
    return m


@pytest.mark.parametrize("ext", MESH_EXTENSIONS)
def test_mesh_roundtrip(tmp_path, mesh, ext):
    path = tmp_path / f"mesh{ext}"
    write_mesh(path, mesh)
    got = read_mesh(path)
    assert isinstance(got, trimesh.Trimesh)
    assert got.faces.shape == mesh.faces.shape
    # the same triangles (as vertex positions), whatever the vertex order/duplication
    tri_in = np.sort(mesh.vertices[mesh.faces].reshape(len(mesh.faces), -1), axis=0)
    tri_out = np.sort(got.vertices[got.faces].reshape(len(got.faces), -1), axis=0)
    np.testing.assert_allclose(tri_out, tri_in, atol=1e-5)
    assert got.area == pytest.approx(mesh.area, rel=1e-5)


def test_obj_quads_ngons_negative_indices(tmp_path):
    (tmp_path / "q.obj").write_text(
        "# quad, pentagon (n-gon) and a triangle with relative indices\n"
        "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0.5 1.5 0\n"
        "vt 0 0\nvn 0 0 1\n"
        "f 1/1/1 2/1/1 3/1/1 4/1/1\nf 1 2 3 5 4\nf -1 -2 -3\n"
    )
    m = read_mesh(tmp_path / "q.obj")
    assert len(m.faces) == 2 + 3 + 1
    np.testing.assert_array_equal(m.faces[-1], [4, 3, 2])
    # quad area 1, pentagon 1.25, triangle (5,4,3) 0.25
    assert m.area == pytest.approx(1.0 + 1.25 + 0.25)


def test_off_modelnet_header_and_quads(tmp_path):
    (tmp_path / "m.off").write_text(
        "OFF4 1 0\n0 0 0\n2 0 0\n2 1 0\n0 1 0\n4 0 1 2 3\n"
    )  # ModelNet writes the counts on the OFF line
    m = read_mesh(tmp_path / "m.off")
    assert len(m.faces) == 2 and m.area == pytest.approx(2.0)


@pytest.mark.parametrize("kind", ["points", "mesh"])
def test_writes_are_atomic(tmp_path, monkeypatch, cloud, mesh, kind):
    """An interrupted write leaves the previous file intact and no temporary file behind."""
    import pointrecon.utils.atomic as atomic

    path = tmp_path / ("keep.ply" if kind == "points" else "keep.obj")
    write = (
        (lambda: write_points(path, cloud[0]))
        if kind == "points"
        else (lambda: write_mesh(path, mesh))
    )
    write()
    before = path.read_bytes()

    def interrupted(src, dst):
        assert Path(src).stat().st_size > 0  # the new content was written to the temporary file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(DataError, match="No space left"):
        write()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
