"""Every failure raises DataError naming the file and the reason."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import trimesh

from pointrecon.errors import DataError
from pointrecon.io import read_mesh, read_point_cloud, read_points, write_mesh, write_points

PLY_HEAD = (
    "ply\nformat {fmt} 1.0\nelement vertex {n}\nproperty float x\nproperty float y\n"
    "property float z\nend_header\n"
)
PCD_HEAD = (
    "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH {n}\nHEIGHT 1\n"
    "POINTS {n}\nDATA {mode}\n"
)


def expect(path, fragment, reader=read_points, **kw):
    with pytest.raises(DataError, match=fragment) as exc:
        reader(path, **kw)
    assert str(path) in str(exc.value) and exc.value.path == str(path)
    return exc.value


def test_missing_file(tmp_path):
    expect(tmp_path / "nope.ply", "file not found")
    expect(tmp_path / "nope.obj", "file not found", read_mesh)


def test_directory_given(tmp_path):
    (tmp_path / "dir.ply").mkdir()
    expect(tmp_path / "dir.ply", "is a directory")
    expect(tmp_path / "dir.ply", "is a directory", read_mesh)


def test_unknown_extension(tmp_path):
    (tmp_path / "a.foo").write_text("1 2 3\n")
    err = expect(tmp_path / "a.foo", r"unknown point-cloud extension '\.foo'")
    assert ".ply" in str(err)
    expect(tmp_path / "a.foo", r"unknown mesh extension '\.foo'", read_mesh)
    with pytest.raises(DataError, match="unknown point-cloud extension"):
        write_points(tmp_path / "b.foo", np.zeros((2, 3)))
    with pytest.raises(DataError, match="unknown mesh extension"):
        write_mesh(tmp_path / "b.foo", trimesh.creation.box())


def test_empty_file(tmp_path):
    for ext in (".ply", ".pcd", ".xyz", ".npy"):
        (tmp_path / f"e{ext}").write_bytes(b"")
        expect(tmp_path / f"e{ext}", "empty file")
    (tmp_path / "e.obj").write_bytes(b"")
    expect(tmp_path / "e.obj", "empty file", read_mesh)


def test_empty_cloud(tmp_path):
    (tmp_path / "z.ply").write_text(PLY_HEAD.format(fmt="ascii", n=0))
    expect(tmp_path / "z.ply", "empty point cloud")
    (tmp_path / "z.xyz").write_text("# only a comment\n\n")
    expect(tmp_path / "z.xyz", "empty point cloud")
    np.save(tmp_path / "z.npy", np.zeros((0, 3), np.float32))
    expect(tmp_path / "z.npy", "empty point cloud")


def test_truncated_binary_ply_is_not_loaded_partially(tmp_path):
    body = np.arange(30, dtype="<f4").tobytes()  # 10 points
    (tmp_path / "t.ply").write_bytes(
        PLY_HEAD.format(fmt="binary_little_endian", n=10).encode() + body[:-5]
    )
    expect(tmp_path / "t.ply", r"declares 10 (vertex rows|vertices).*truncated")


def test_header_claims_more_points_than_data(tmp_path):
    rows = "0 0 0\n1 1 1\n"
    (tmp_path / "m.ply").write_text(PLY_HEAD.format(fmt="ascii", n=5) + rows)
    expect(tmp_path / "m.ply", "declares 5 vertices but the data holds only 2 rows")
    (tmp_path / "m.pcd").write_text(PCD_HEAD.format(n=5, mode="ascii") + rows)
    expect(tmp_path / "m.pcd", "declares 5 points.*truncated")
    (tmp_path / "m.pts").write_text("5\n" + rows)
    expect(tmp_path / "m.pts", "declares 5 points but the data holds 2 rows")
    (tmp_path / "b.pcd").write_bytes(PCD_HEAD.format(n=5, mode="binary").encode() + bytes(24))
    expect(tmp_path / "b.pcd", r"declares 5 points \(60 bytes\) but only 24 bytes")


@pytest.mark.timeout(20)
def test_billion_point_header_fails_fast_without_allocating(tmp_path):
    import tracemalloc

    n = 1_000_000_000
    cases = {
        "bp.ply": PLY_HEAD.format(fmt="binary_little_endian", n=n).encode() + bytes(36),
        "ap.ply": PLY_HEAD.format(fmt="ascii", n=n).encode() + b"0 0 0\n",
        "bp.pcd": PCD_HEAD.format(n=n, mode="binary").encode() + bytes(36),
        "ap.pcd": PCD_HEAD.format(n=n, mode="ascii").encode() + b"0 0 0\n",
        "cp.pcd": PCD_HEAD.format(n=n, mode="binary_compressed").encode() + struct.pack("<II", 4, 12 * n % 2**32) + bytes(4),
        "b.npy": b"\x93NUMPY\x01\x00v\x00" + b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 3), }".ljust(117) + b"\n" + bytes(36),
    }  # fmt: skip
    tracemalloc.start()
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        expect(tmp_path / name, r"declares|shape \(1000000000, 3\)")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2**20, f"peak Python allocation {peak} bytes"
    (tmp_path / "b.off").write_text(f"OFF\n{n} {n} 0\n0 0 0\n3 0 0 0\n")
    expect(tmp_path / "b.off", "declares", read_mesh)
    (tmp_path / "b.stl").write_bytes(bytes(80) + struct.pack("<I", n) + bytes(50))
    expect(tmp_path / "b.stl", "declares 1000000000 triangles", read_mesh)


def test_malformed_files(tmp_path):
    (tmp_path / "g.ply").write_bytes(b"\x00\xffgarbage")
    expect(tmp_path / "g.ply", "does not start with 'ply'")
    (tmp_path / "g.pcd").write_text("hello world\n")
    expect(tmp_path / "g.pcd", "no 'DATA' line")
    (tmp_path / "g.xyz").write_text("1 2 3\n4 5 six\n")
    expect(tmp_path / "g.xyz", "'six' is not a number")
    (tmp_path / "r.xyz").write_text("1 2 3\n4 5\n")
    expect(tmp_path / "r.xyz", "row 1 has 2 values, expected 3")
    (tmp_path / "g.npz").write_bytes(b"PK\x03\x04 not a zip")
    expect(tmp_path / "g.npz", "malformed npz")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    expect(tmp_path / "o.npy", "expected a numeric array")  # never unpickled
    np.save(tmp_path / "s.npy", np.zeros((4, 2), np.float32))
    expect(tmp_path / "s.npy", r"shape \(4, 2\), expected \(N, 3\)")


def test_malformed_meshes(tmp_path):
    (tmp_path / "f.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n")
    expect(tmp_path / "f.obj", "face index 7 > number of vertices 3", read_mesh)
    (tmp_path / "t.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n")
    expect(tmp_path / "t.obj", "line 4: face with 2 vertices", read_mesh)
    (tmp_path / "p.obj").write_text("v 0 0 0\nv 1 0 0\n")
    expect(tmp_path / "p.obj", "no faces", read_mesh)
    (tmp_path / "t.off").write_text("OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n")
    expect(tmp_path / "t.off", "declares 4 vertices and 2 faces.*truncated", read_mesh)
    (tmp_path / "t.stl").write_bytes(bytes(80) + struct.pack("<I", 3) + bytes(60))
    expect(tmp_path / "t.stl", "declares 3 triangles.*truncated binary STL", read_mesh)
    (tmp_path / "a.stl").write_text("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n")
    expect(tmp_path / "a.stl", "truncated ASCII STL", read_mesh)
    (tmp_path / "pc.ply").write_text(PLY_HEAD.format(fmt="ascii", n=1) + "0 0 0\n")
    expect(tmp_path / "pc.ply", "no faces", read_mesh)
    (tmp_path / "g.glb").write_bytes(b"glTF\x02\x00\x00\x00garbage")
    expect(tmp_path / "g.glb", "malformed GLB", read_mesh)


def test_nan_inf_coordinates(tmp_path):
    pts = np.array([[0, 0, 0], [np.nan, 1, 1], [1, np.inf, 0], [1, 2, 3]], np.float32)
    for ext in (".ply", ".pcd", ".xyz", ".npy", ".npz"):
        path = tmp_path / f"n{ext}"
        write_points(path, pts)
        expect(path, r"2 of 4 points have NaN/Inf coordinates.*nan_policy='drop'")
        with pytest.warns(UserWarning, match="dropped 2 of 4"):
            c = read_point_cloud(path, nan_policy="drop")
        np.testing.assert_array_equal(c.points, pts[[0, 3]])
        assert c.num_dropped == 2
    write_points(tmp_path / "all.ply", np.full((3, 3), np.nan))
    with pytest.warns(UserWarning):
        expect(tmp_path / "all.ply", "all 3 points are NaN/Inf", nan_policy="drop")
    (tmp_path / "big.xyz").write_text("1e300 0 0\n0 0 0\n")  # overflows float32
    expect(tmp_path / "big.xyz", "1 of 2 points have NaN/Inf")
    with pytest.raises(ValueError, match="nan_policy"):
        read_points(tmp_path / "big.xyz", nan_policy="ignore")


def test_zero_area_mesh(tmp_path):
    (tmp_path / "z.obj").write_text("v 0 0 0\nv 1 1 1\nv 2 2 2\nf 1 2 3\n")  # collinear
    expect(tmp_path / "z.obj", "zero area", read_mesh)
    (tmp_path / "z.stl").write_bytes(bytes(80) + struct.pack("<I", 1) + bytes(50))
    expect(tmp_path / "z.stl", "zero area", read_mesh)
    (tmp_path / "n.obj").write_text("v 0 0 nan\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    expect(tmp_path / "n.obj", "1 of 3 vertices have NaN/Inf", read_mesh)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.ply"
    write_points(path, np.zeros((2, 3)) + [[0, 0, 0], [1, 1, 1]])
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip(
                "running as root: chmod 000 does not stop reads (hostile corpus simulates it)"
            )
        expect(path, "not readable")
    finally:
        path.chmod(0o644)


def test_binary_stl_with_solid_header(tmp_path):
    tri = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], "<f4")
    rec = struct.pack("<3f", 0, 0, 1) + tri.tobytes() + b"\x00\x00"
    (tmp_path / "s.stl").write_bytes(b"solid trap".ljust(80, b" ") + struct.pack("<I", 2) + rec * 2)
    m = read_mesh(tmp_path / "s.stl")
    assert len(m.faces) == 2 and m.area == pytest.approx(1.0)
