"""Fuzz target for the readers of :mod:`pointrecon.io` (hypothesis-based; not run by pytest).

Property: any byte string saved under any supported extension either loads (``read_points``:
a finite float32 (N, 3) array with N >= 1; ``read_mesh``: a Trimesh with finite vertices and
in-range triangles) or raises :class:`pointrecon.errors.DataError`: never another exception type,
never a hang (each input has a time bound) and never a huge allocation (the address space is
capped, so a header-driven allocation shows up as a MemoryError failure).

Inputs are random bytes and mutations (truncation, byte flips, insertions, deletions, header
numbers replaced by huge or negative values) of valid files of every format.

Run for a bounded time (the file name keeps pytest from collecting it)::

    nice -n 10 python tests/fuzz/fuzz_readers.py --seconds 600

Exit status 0 when no failure was found; otherwise the failing input is saved under
``--out`` (default ``fuzz-failures/``) and the status is 1.
"""

from __future__ import annotations

import argparse
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import trimesh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pointrecon.errors import DataError
from pointrecon.io import (
    MESH_EXTENSIONS,
    POINT_EXTENSIONS,
    read_mesh,
    read_points,
    write_mesh,
    write_points,
)

TIME_BOUND_S = 10
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"reader ran longer than {TIME_BOUND_S} s")


def build_seeds(tmp: Path) -> list[tuple[str, bytes]]:
    """Valid files of every format (written by this package, plus small real files)."""
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(40, 3)).astype(np.float32)
    nrm = pts / np.linalg.norm(pts, axis=1, keepdims=True)
    col = rng.random((40, 3)).astype(np.float32)
    seeds: list[tuple[str, bytes]] = []
    for ext in POINT_EXTENSIONS:
        f = tmp / f"seed{ext}"
        write_points(
            f, pts, normals=None if ext == ".npy" else nrm, colors=None if ext == ".npy" else col
        )
        seeds.append((ext, f.read_bytes()))
    seeds.append((".ply", b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n"
                  b"property float y\nproperty float z\nend_header\n0 0 0\n1 0 0\n0 1 0\n"))  # fmt: skip
    seeds.append((".pcd", b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\n"
                  b"WIDTH 3\nHEIGHT 1\nPOINTS 3\nDATA ascii\n0 0 0\n1 0 0\n0 1 0\n"))  # fmt: skip
    mesh = trimesh.creation.icosphere(subdivisions=1)
    for ext in MESH_EXTENSIONS:
        f = tmp / f"seed{ext}"
        write_mesh(f, mesh)
        seeds.append((ext, f.read_bytes()))
    seeds.append((".stl", trimesh.exchange.stl.export_stl_ascii(mesh).encode()))
    seeds.append((".ply", trimesh.exchange.ply.export_ply(mesh, encoding="ascii")))
    seeds.append((".pts", b"3\n0 0 0 1 255 0 0\n1 0 0 1 0 255 0\n0 1 0 1 0 0 255\n"))
    seeds.append((".csv", b"x,y,z,nx,ny,nz\n0,0,0,0,0,1\n1,0,0,0,0,1\n"))
    seeds.append((".obj", b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nf 1 2 3 4\nf -1 -2 -3\n"))
    seeds.append((".off", b"OFF\n4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n"))
    for name in ("pointclouds/pcn_airplane.pcd", "pointclouds/pcl_milk_color.pcd",
                 "meshes/suzanne.obj", "meshes/angle_block.STL"):  # fmt: skip
        f = REAL / name
        if f.is_file():
            seeds.append((f.suffix.lower(), f.read_bytes()))
    return seeds


def _mutate(data: bytes, ops: list[tuple[int, int, int, bytes]]) -> bytes:
    b = bytearray(data)
    for kind, pos, arg, blob in ops:
        if not b:
            b = bytearray(blob)
            continue
        p = pos % (len(b) + 1)
        if kind == 0:  # truncate
            del b[p:]
        elif kind == 1 and p < len(b):  # flip a byte
            b[p] ^= arg & 0xFF or 1
        elif kind == 2:  # insert
            b[p:p] = blob
        elif kind == 3:  # delete a range
            del b[p : p + arg % 64 + 1]
        elif kind == 4:  # replace the n-th number in the first 1 KiB by a hostile value
            head = bytes(b[:1024])
            nums = list(re.finditer(rb"-?\d+", head))
            if nums:
                m = nums[arg % len(nums)]
                val = [b"1000000000", b"-1", b"0", b"4294967295", b"99999999999999999999"][pos % 5]
                b[m.start() : m.end()] = val
        elif kind == 5 and p < len(b) - 4:  # overwrite 4 bytes (binary counts)
            b[p : p + 4] = arg.to_bytes(4, "little", signed=False)
    return bytes(b)


def check(path: Path, ext: str) -> None:
    """Assert the property for one file; raises AssertionError / other errors on violation."""
    if ext in POINT_EXTENSIONS:
        try:
            pts = read_points(path)
        except DataError:
            pass
        else:
            assert isinstance(pts, np.ndarray) and pts.dtype == np.float32, pts.dtype
            assert pts.ndim == 2 and pts.shape[1] == 3 and pts.shape[0] >= 1, pts.shape
            assert np.isfinite(pts).all()
    if ext in MESH_EXTENSIONS:
        try:
            mesh = read_mesh(path)
        except DataError:
            pass
        else:
            v, f = np.asarray(mesh.vertices), np.asarray(mesh.faces)
            assert f.ndim == 2 and f.shape[1] == 3 and len(f) >= 1
            assert np.isfinite(v).all() and f.min() >= 0 and f.max() < len(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="total fuzzing time")
    ap.add_argument("--out", type=Path, default=Path("fuzz-failures"), help="where failures go")
    ap.add_argument("--mem-gib", type=float, default=6.0, help="address-space cap (GiB)")
    args = ap.parse_args(argv)
    cap = int(args.mem_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _alarm)
    import warnings

    warnings.simplefilter("ignore")
    tmp = Path(tempfile.mkdtemp(prefix="pointrecon-fuzz-"))
    seeds = build_seeds(tmp)
    exts = sorted(set(POINT_EXTENSIONS) | set(MESH_EXTENSIONS))
    stats = {"examples": 0}
    op = st.tuples(st.integers(0, 5), st.integers(0, 2**20), st.integers(0, 2**32 - 1),
                   st.binary(max_size=16))  # fmt: skip
    mutated = st.tuples(st.sampled_from(seeds), st.lists(op, min_size=1, max_size=4)).map(
        lambda t: (t[0][0], _mutate(t[0][1], t[1]))
    )
    raw = st.tuples(st.sampled_from(exts), st.binary(max_size=512))
    case = st.one_of(mutated, mutated, mutated, raw)

    @settings(max_examples=400, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=True)  # fmt: skip
    @given(case=case)
    def target(case: tuple[str, bytes]) -> None:
        ext, data = case
        stats["examples"] += 1
        path = tmp / f"input{ext}"
        path.write_bytes(data)
        signal.alarm(TIME_BOUND_S)
        try:
            check(path, ext)
        except BaseException:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"failure-{stats['examples']}{ext}").write_bytes(data)
            raise
        finally:
            signal.alarm(0)

    start = time.monotonic()
    failures = 0
    while time.monotonic() - start < args.seconds:
        try:
            target()
        except Exception:
            failures += 1
            traceback.print_exc()
            print(f"[fuzz] FAILURE {failures} at {time.monotonic() - start:.1f} s; "
                  f"input saved under {args.out}/", flush=True)  # fmt: skip
        print(f"[fuzz] {time.monotonic() - start:7.1f} s  {stats['examples']} inputs, "
              f"{failures} failures", flush=True)  # fmt: skip
    print(f"[fuzz] done: {time.monotonic() - start:.1f} s, {stats['examples']} inputs, "
          f"{len(seeds)} seed files, {failures} failures", flush=True)  # fmt: skip
    if failures:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
