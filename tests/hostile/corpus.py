"""Hostile-input corpus for the readers: broken, lying, huge-header and odd files and paths.

Each :class:`Case` writes its input under a folder and states the expected outcome: a
:class:`~pointrecon.errors.DataError` whose message matches ``error`` (and names the file), or a
correct load of exactly ``count`` points / triangles / files. ``tests/hostile/test_corpus.py``
runs every case with a time bound. To write the corpus to a folder for a look::

    python tests/hostile/corpus.py /tmp/hostile
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

BILLION = 1_000_000_000


@dataclass
class Case:
    name: str
    kind: str  # "points" | "mesh" | "find_files"
    make: Callable[[Path], Path]
    error: str | None = None  # regex the DataError message must match
    count: int | None = None  # exact points / triangles / files on a correct load
    kwargs: dict = field(default_factory=dict)
    root_skip: str | None = None  # reason to skip when running as root
    simulate_permission_error: bool = False

    @property
    def outcome(self) -> str:
        return f"DataError /{self.error}/" if self.error else f"loads {self.count} {self._unit}"

    @property
    def _unit(self) -> str:
        return {"points": "points", "mesh": "triangles", "find_files": "files"}[self.kind]


def _w(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        p = root / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    return make


def ply_head(n: int, fmt: str = "ascii", faces: int | None = None) -> str:
    s = f"ply\nformat {fmt} 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\n"
    if faces is not None:
        s += f"element face {faces}\nproperty list uchar int vertex_indices\n"
    return s + "end_header\n"


def pcd_head(n: int, mode: str = "ascii", width: int | None = None) -> str:
    return (
        "VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
        f"WIDTH {n if width is None else width}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\n"
        f"POINTS {n}\nDATA {mode}\n"
    )


def lzf_literals(raw: bytes) -> bytes:
    """A valid LZF stream made of literal runs only (<= 32 bytes each)."""
    out = bytearray()
    for i in range(0, len(raw), 32):
        chunk = raw[i : i + 32]
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out)


def pcd_compressed(n: int, corrupt: str | None = None) -> bytes:
    pts = np.arange(n * 3, dtype="<f4").reshape(n, 3)
    soa = b"".join(np.ascontiguousarray(pts[:, j]).tobytes() for j in range(3))
    comp = lzf_literals(soa)
    if corrupt == "truncated":
        return pcd_head(n, "binary_compressed").encode() + struct.pack("<II", len(comp), len(soa)) + comp[: len(comp) // 2]  # fmt: skip
    if corrupt == "badref":
        comp = comp[:33] + bytes([0xFF, 0xFF, 0xFF]) + comp[33:]  # back-reference before the start
    return (
        pcd_head(n, "binary_compressed").encode() + struct.pack("<II", len(comp), len(soa)) + comp
    )


def npy_header(shape: tuple[int, ...]) -> bytes:
    d = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}".encode()
    d = d.ljust(117) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d


def stl_binary(tris: np.ndarray, header: bytes = b"binary") -> bytes:
    rec = np.zeros(len(tris), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["v"] = tris
    return header.ljust(80, b" ")[:80] + struct.pack("<I", len(tris)) + rec.tobytes()


BOX = trimesh.creation.box()
BOX_TRIS = BOX.vertices[BOX.faces]


def _npy_object(root: Path) -> Path:
    p = root / "object_pickle.npy"
    np.save(p, np.array([{"payload": "would need unpickling"}], dtype=object), allow_pickle=True)
    return p


def _nonutf8(valid: bool) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        name = os.fsdecode(b"caf\xe9-\xff" + (b"-ok.xyz" if valid else b"-bad.xyz"))
        p = root / name
        p.write_text("0 0 0\n1 2 3\n" if valid else "0 0 0\n1 2\n")
        return p

    return make


def _directory(root: Path) -> Path:
    p = root / "folder.ply"
    p.mkdir()
    return p


def _fifo(root: Path) -> Path:
    p = root / "pipe.ply"
    os.mkfifo(p)  # opening it for reading would block forever
    return p


def _symlink_loop_file(root: Path) -> Path:
    a, b = root / "loop_a.ply", root / "loop_b.ply"
    a.symlink_to(b)
    b.symlink_to(a)
    return a


def _dataset_with_loop(root: Path) -> Path:
    d = root / "dataset"
    (d / "chairs" / "sub").mkdir(parents=True)
    (d / "chairs" / "a.ply").write_text(ply_head(1) + "0 0 0\n")
    (d / "chairs" / "sub" / "b.off").write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n")
    (d / "chairs" / "sub" / "up").symlink_to(d)  # loop: dataset/chairs/sub/up -> dataset
    (d / "self").symlink_to(d / "self")  # a link pointing at itself
    return d


def _unreadable(root: Path) -> Path:
    p = root / "unreadable.xyz"
    p.write_text("0 0 0\n")
    p.chmod(0)
    return p


def _valid_ply_for_permission(root: Path) -> Path:
    p = root / "permission_simulated.xyz"
    p.write_text("0 0 0\n1 1 1\n")
    return p


QUADS_OBJ = (
    "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0.5 1.5 0\nv 0 0 1\n"
    "f 1 2 3 4\nf 1 2 3 5 4\nf -1 -5 -6\nf 1/1/1 2/2/2 6/3/3\n"
)  # quad (2 tris) + pentagon (3) + negative indices (1) + v/vt/vn (1) = 7

CASES: list[Case] = [
    # --- PLY
    Case(
        "ply_truncated_binary",
        "points",
        _w("trunc_bin.ply", ply_head(10, "binary_little_endian").encode() + bytes(100)),
        error="declares 10 .*truncated",
    ),  # fmt: skip
    Case(
        "ply_garbage",
        "points",
        _w("garbage.ply", bytes(range(256)) * 4),
        error="does not start with 'ply'",
    ),  # fmt: skip
    Case(
        "ply_no_end_header",
        "points",
        _w("no_end.ply", "ply\nformat ascii 1.0\nelement vertex 3\n"),
        error="no 'end_header'",
    ),  # fmt: skip
    Case(
        "ply_claims_more_ascii",
        "points",
        _w("more.ply", ply_head(10) + "0 0 0\n1 1 1\n2 2 2\n"),
        error="declares 10 rows .*truncated",
    ),  # fmt: skip
    Case(
        "ply_claims_more_long_rows",
        "points",
        _w("more_long.ply", ply_head(5) + "0.123456789 0.123456789 0.123456789\n" * 3),
        error="declares 5 vertices but the data holds only 3 rows",
    ),
    Case(
        "pcd_claims_more_long_rows",
        "points",
        _w("more_long.pcd", pcd_head(5) + "0.123456789 0.123456789 0.123456789\n" * 3),
        error="declares 5 points but the data holds only 3 rows",
    ),
    Case(
        "ply_billion_points",
        "points",
        _w("billion.ply", ply_head(BILLION, "binary_little_endian").encode() + bytes(120)),
        error="declares 1000000000 vertex rows",
    ),  # fmt: skip
    Case(
        "ply_nan",
        "points",
        _w("nan.ply", ply_head(3) + "0 0 0\nnan 1 1\n2 2 2\n"),
        error="1 of 3 points have NaN/Inf",
    ),  # fmt: skip
    Case(
        "ply_inf",
        "points",
        _w("inf.ply", ply_head(3) + "0 0 0\n1 inf 1\n2 2 -inf\n"),
        error="2 of 3 points have NaN/Inf",
    ),  # fmt: skip
    Case(
        "ply_nan_dropped",
        "points",
        _w("nan_drop.ply", ply_head(3) + "0 0 0\nnan 1 1\n2 2 2\n"),
        count=2,
        kwargs={"nan_policy": "drop"},
    ),  # fmt: skip
    Case("ply_one_point", "points", _w("one.ply", ply_head(1) + "1 2 3\n"), count=1),
    Case(
        "ply_identical_points",
        "points",
        _w("same.ply", ply_head(50) + "0.5 0.5 0.5\n" * 50),
        count=50,
    ),  # fmt: skip
    Case(
        "ply_bad_token",
        "points",
        _w("token.ply", ply_head(2) + "0 0 0\n1 x 1\n"),
        error="'x' is not a number",
    ),  # fmt: skip
    Case(
        "ply_mesh_truncated_faces",
        "mesh",
        _w(
            "trunc_faces.ply",
            ply_head(3, "binary_little_endian", faces=4).encode()
            + np.zeros(9, "<f4").tobytes()
            + bytes([3])
            + bytes(12),
        ),
        error="malformed PLY file: .*unexpected length",
    ),  # fmt: skip
    # --- PCD
    Case(
        "pcd_truncated_binary",
        "points",
        _w("trunc_bin.pcd", pcd_head(10, "binary").encode() + bytes(100)),
        error=r"declares 10 points \(120 bytes\).*truncated",
    ),  # fmt: skip
    Case(
        "pcd_garbage", "points", _w("garbage.pcd", bytes(range(1, 256)) * 4), error="malformed"
    ),  # fmt: skip
    Case(
        "pcd_claims_more_ascii",
        "points",
        _w("more.pcd", pcd_head(40) + "0 0 0\n" * 30),
        error=r"declares 40 points \(at least 240 bytes\).*truncated",
    ),  # fmt: skip
    Case(
        "pcd_billion_points",
        "points",
        _w("billion.pcd", pcd_head(BILLION, "binary").encode() + bytes(120)),
        error="declares 1000000000 points",
    ),  # fmt: skip
    Case(
        "pcd_width_height_mismatch",
        "points",
        _w("wh.pcd", pcd_head(3, width=5) + "0 0 0\n" * 3),
        error=r"WIDTH\*HEIGHT = 5 but POINTS = 3",
    ),  # fmt: skip
    Case("pcd_compressed_valid", "points", _w("lzf_ok.pcd", pcd_compressed(20)), count=20),
    Case(
        "pcd_compressed_truncated",
        "points",
        _w("lzf_trunc.pcd", pcd_compressed(20, "truncated")),
        error="compressed block of .* bytes but only .* truncated",
    ),  # fmt: skip
    Case(
        "pcd_compressed_bad_reference",
        "points",
        _w("lzf_badref.pcd", pcd_compressed(20, "badref")),
        error="corrupt LZF",
    ),  # fmt: skip
    # --- text, numpy
    Case("xyz_empty_file", "points", _w("empty.xyz", b""), error="empty file"),
    Case(
        "xyz_ragged_rows",
        "points",
        _w("ragged.xyz", "0 0 0\n1 1\n"),
        error="row 1 has 2 values, expected 3",
    ),  # fmt: skip
    Case(
        "xyz_binary_garbage", "points", _w("bin.xyz", b"\x00\x01\x02garbage\xff"), error="NUL bytes"
    ),  # fmt: skip
    Case(
        "pts_count_mismatch",
        "points",
        _w("count.pts", "5\n0 0 0\n1 1 1\n"),
        error="declares 5 points but the data holds 2 rows",
    ),  # fmt: skip
    Case(
        "csv_header_only", "points", _w("header.csv", "x,y,z\n"), error="empty point cloud"
    ),  # fmt: skip
    Case(
        "npy_billion_points",
        "points",
        _w("billion.npy", npy_header((BILLION, 3)) + bytes(48)),
        error=r"shape \(1000000000, 3\)",
    ),  # fmt: skip
    Case(
        "npy_truncated",
        "points",
        _w("trunc.npy", npy_header((10, 3)) + bytes(50)),
        error=r"declares shape \(10, 3\) \(120 bytes\) but the data holds 50",
    ),  # fmt: skip
    Case("npy_object_pickle", "points", _npy_object, error="expected a numeric array"),
    Case(
        "npz_not_a_zip", "points", _w("fake.npz", b"PK\x03\x04" + bytes(60)), error="malformed npz"
    ),  # fmt: skip
    # --- OBJ / OFF / STL / GLB
    Case(
        "obj_truncated_mid_face",
        "mesh",
        _w("trunc.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2"),
        error="line 4: face with 2 vertices",
    ),  # fmt: skip
    Case(
        "obj_binary_garbage", "mesh", _w("garbage.obj", bytes(range(256))), error="NUL bytes"
    ),  # fmt: skip
    Case("obj_quads_ngons_negative", "mesh", _w("polys.obj", QUADS_OBJ), count=7),
    Case(
        "obj_index_out_of_range",
        "mesh",
        _w("range.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n"),
        error="face index 9 > number of vertices 3",
    ),  # fmt: skip
    Case(
        "off_truncated",
        "mesh",
        _w("trunc.off", "OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n"),
        error="declares 4 vertices and 2 faces .*truncated",
    ),  # fmt: skip
    Case(
        "off_garbage", "mesh", _w("garbage.off", "hello\n1 2 3\n"), error="first line is not 'OFF'"
    ),  # fmt: skip
    Case(
        "off_billion",
        "mesh",
        _w("billion.off", f"OFF\n{BILLION} 1 0\n0 0 0\n3 0 0 0\n"),
        error="declares 1000000001 vertices and faces",
    ),  # fmt: skip
    Case(
        "stl_truncated_binary",
        "mesh",
        _w("trunc.stl", stl_binary(BOX_TRIS)[:-70]),
        error="declares 12 triangles .*truncated binary STL",
    ),  # fmt: skip
    Case(
        "stl_too_short",
        "mesh",
        _w("short.stl", b"\x01\x02\x03"),
        error="shorter than a binary header",
    ),  # fmt: skip
    Case(
        "stl_binary_solid_header",
        "mesh",
        _w("solid_binary.stl", stl_binary(BOX_TRIS, b"solid looks like ascii")),
        count=12,
    ),  # fmt: skip
    Case(
        "stl_ascii_truncated",
        "mesh",
        _w(
            "trunc_ascii.stl",
            "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n",
        ),
        error="truncated ASCII STL",
    ),  # fmt: skip
    Case(
        "stl_zero_area", "mesh", _w("flat.stl", stl_binary(np.zeros((2, 3, 3)))), error="zero area"
    ),  # fmt: skip
    Case(
        "glb_garbage",
        "mesh",
        _w("garbage.glb", b"glTF\x02\x00\x00\x00" + bytes(range(200))),
        error="malformed GLB",
    ),  # fmt: skip
    # --- paths
    Case("nonutf8_name_valid", "points", _nonutf8(True), count=2),
    Case("nonutf8_name_broken", "points", _nonutf8(False), error="row 1 has 2 values"),
    Case("directory_as_file", "points", _directory, error="is a directory, expected a file"),
    Case("fifo_as_file", "points", _fifo, error="is not a regular file"),
    Case("symlink_loop_file", "points", _symlink_loop_file, error="cannot access file"),
    Case("symlink_loop_in_dataset", "find_files", _dataset_with_loop, count=2),
    Case("missing_file", "points", lambda root: root / "missing.ply", error="file not found"),
    Case(
        "unknown_extension",
        "points",
        _w("cloud.dxf", b"0\nSECTION\n"),
        error=r"unknown point-cloud extension '\.dxf'",
    ),  # fmt: skip
    Case(
        "truncated_las",
        "points",
        _w("cloud.las", b"LASF"),
        error=r"cloud\.las: malformed LAS/LAZ file",
    ),  # fmt: skip
    Case(
        "unreadable_chmod_000",
        "points",
        _unreadable,
        error="not readable",
        root_skip="running as root: chmod 000 does not stop reads (see unreadable_simulated)",
    ),  # fmt: skip
    Case(
        "unreadable_simulated",
        "points",
        _valid_ply_for_permission,
        error="not readable",
        simulate_permission_error=True,
    ),  # fmt: skip
]


def build(root: Path) -> dict[str, Path]:
    """Write every case under ``root`` (one sub-folder each); return name -> input path."""
    out = {}
    for case in CASES:
        folder = root / case.name
        folder.mkdir(parents=True, exist_ok=True)
        out[case.name] = case.make(folder)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    paths = build(target)
    for c in CASES:
        print(f"{c.name:32s} {c.kind:10s} {c.outcome}")
    print(f"{len(paths)} cases written under {target}")
