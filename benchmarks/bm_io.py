"""LAS/LAZ read benchmark: points per second against laspy alone, and peak memory with a crop.

    python benchmarks/bm_io.py [--points 2000000] [--repeats 3] [--chunk-size 1000000]
        [--out benchmarks/runs/bm_io.json]

A synthetic aerial-like tile (point format 3: xyz, intensity, returns, classification, GPS time,
RGB; geo-referenced at y ~ 4.19e6 m, 1 cm scale) is written once as .las and .laz in a
temporary folder. Then, for each file:

- ``laspy xyz``: ``laspy.read`` plus stacking x, y, z to float64 (the least a caller does);
- ``laspy all``: the same plus the arrays pointrecon returns (intensity, classification, return
  number, number of returns, GPS time, RGB);
- ``pointrecon``: ``read_point_cloud`` (chunked, offset-relative float32, attributes, colours);
- ``pointrecon crop``: the same with a box crop keeping about 1/16 of the tile;
- ``pointrecon voxel``: a 1 m voxel downsample at read time.

Throughput is points in the file per second (median of ``--repeats`` runs, min and max given).
Peak memory is the peak of the Python/numpy heap during one read (``tracemalloc``, which sees
numpy's and laspy's buffers), after a warm-up read: what the read itself holds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ORIGIN = np.array([1_423_000.0, 4_189_000.0, 60.0])
EXTENT = np.array([2000.0, 2000.0, 40.0])
CROP = [*ORIGIN, *(ORIGIN + EXTENT / [4, 4, 1])]  # a quarter of each side: 1/16 of the points


def make_tile(path: Path, n: int, seed: int = 0) -> None:
    import laspy

    rng = np.random.default_rng(seed)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales, header.offsets = np.array([0.01, 0.01, 0.01]), ORIGIN
    las = laspy.LasData(header)
    xyz = ORIGIN + rng.random((n, 3)) * EXTENT
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    las.intensity = rng.integers(0, 4096, n)
    las.return_number = rng.integers(1, 4, n)
    las.classification = rng.integers(1, 7, n)
    las.gps_time = np.sort(rng.uniform(3e8, 3e8 + 600, n))
    for c in ("red", "green", "blue"):
        las[c] = rng.integers(0, 65535, n)
    las.write(str(path))


LAS_FIELDS = ("intensity", "classification", "return_number", "number_of_returns", "gps_time")


def read_laspy(path: str, everything: bool) -> int:
    import laspy

    las = laspy.read(path)
    xyz = np.stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)], axis=1)
    if everything:
        _ = [np.asarray(las[f]) for f in LAS_FIELDS]
        _ = np.stack([np.asarray(las[c]) for c in ("red", "green", "blue")], axis=1)
    return len(xyz)


def read_pointrecon(path: str, mode: str, chunk_size: int) -> int:
    from pointrecon.io import read_point_cloud

    kw = {"crop": CROP} if mode == "crop" else {"voxel": 1.0} if mode == "voxel" else {}
    return len(read_point_cloud(path, chunk_size=chunk_size, progress=False, **kw))


def _call(path: str, mode: str, chunk_size: int) -> int:
    if mode.startswith("laspy"):
        return read_laspy(path, mode == "laspy all")
    return read_pointrecon(path, mode, chunk_size)


def peak_mb(path: str, mode: str, chunk_size: int) -> float:
    """Peak Python/numpy heap (MB, ``tracemalloc``) of one read: what the read itself holds."""
    import tracemalloc

    tracemalloc.start()
    try:
        _call(path, mode, chunk_size)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(args: argparse.Namespace) -> dict:
    import laspy

    import pointrecon

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for ext in (".las", ".laz"):
            path = Path(tmp) / f"tile{ext}"
            make_tile(path, args.points)
            size = path.stat().st_size
            for mode in ("laspy xyz", "laspy all", "full", "crop", "voxel"):
                _call(str(path), mode, args.chunk_size)  # warm-up (page cache, imports)
                times, kept = [], 0
                for _ in range(args.repeats):
                    t = time.perf_counter()
                    kept = _call(str(path), mode, args.chunk_size)
                    times.append(time.perf_counter() - t)
                med = statistics.median(times)
                rows.append(
                    {
                        "file": ext[1:],
                        "reader": mode if mode.startswith("laspy") else f"pointrecon {mode}",
                        "points_in_file": args.points,
                        "points_returned": kept,
                        "file_mb": round(size / 2**20, 1),
                        "seconds_median": round(med, 4),
                        "seconds_min": round(min(times), 4),
                        "seconds_max": round(max(times), 4),
                        "mpoints_per_s": round(args.points / med / 1e6, 2),
                        "peak_mb": round(peak_mb(str(path), mode, args.chunk_size), 1),
                    }
                )
                print(rows[-1], flush=True)
    return {
        "benchmark": "bm_io",
        "points": args.points,
        "repeats": args.repeats,
        "chunk_size": args.chunk_size,
        "environment": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "laspy": laspy.__version__,
            "lazrs": _version("lazrs"),
            "pointrecon": pointrecon.__version__,
            "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "rows": rows,
    }


def _version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def table(report: dict) -> str:
    head = "| file | reader | points returned | Mpts/s (median) | s (min-max) | peak MB |"
    lines = [head, "|---|---|---|---|---|---|"]
    for r in report["rows"]:
        lines.append(
            f"| {r['file']} | {r['reader']} | {r['points_returned']:,} | {r['mpoints_per_s']} "
            f"| {r['seconds_min']}-{r['seconds_max']} | {r['peak_mb']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from pointrecon.utils.atomic import atomic_write_text

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", type=int, default=2_000_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chunk-size", type=int, default=1_000_000)
    p.add_argument("--out", type=Path, default=Path("benchmarks/runs/bm_io.json"))
    args = p.parse_args(argv)
    report = run(args)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    md = f"# bm_io: {args.points:,} points, {args.repeats} repeats\n\n{table(report)}\n"
    atomic_write_text(args.out.with_suffix(".md"), md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
