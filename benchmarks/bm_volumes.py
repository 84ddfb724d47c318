"""Volume benchmarks: marching cubes + surface sampling on 128^3 and 256^3 volumes, and the
sparse-slice model's forward and forward+backward.

``python benchmarks/bm_volumes.py [--sizes 128 256] [--device cpu|cuda] [--batch 8]
[--points 1024] [--out results.json]``. Timings use the suite's clocks (CUDA events on a GPU),
warm-up, median and 20-80 % spread; peak extra memory per case; device and versions to JSON.

Marching cubes runs on a smooth analytic field (a sphere with ripples, about 6 % of the voxels
on the surface band) through :func:`pointrecon.volumes.extract_surface`; ``sample`` is 16384
area-weighted surface samples; ``mc+sample`` is the ``pointrecon volume`` path end to end
(without reading the file). The peer reference is scikit-image's ``marching_cubes`` alone.
The model cases use :class:`pointrecon.models.SparseSliceNet` with its default config on
contours of ``--slices`` slices of ``--points`` points per cloud.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from pointrecon.bench.clock import make_clock
from pointrecon.bench.env import environment
from pointrecon.bench.memory import PeakMemory
from pointrecon.bench.stats import summarize
from pointrecon.bench.timing import measure


def rippled_sphere(n: int) -> np.ndarray:
    """A smooth (n, n, n) field: positive inside a rippled sphere of radius ~0.35 n."""
    x = (np.arange(n, dtype=np.float32) - n / 2) / n
    i, j, k = np.meshgrid(x, x, x, indexing="ij", sparse=True)
    r = np.sqrt(i**2 + j**2 + k**2)
    return (0.35 + 0.03 * np.sin(12 * np.arctan2(j, i)) * np.cos(9 * k) - r).astype(np.float32)


def _time(fn, clock, device, max_time_s: float) -> dict:
    with PeakMemory(device) as mem:
        secs = measure(lambda _i: fn(), clock, warmup=1, min_runs=3, max_runs=20,
                       max_time_s=max_time_s)  # fmt: skip
    return summarize(secs).to_dict() | {"peak_bytes": mem.peak_bytes}


def bench_marching_cubes(sizes: list[int], max_time_s: float) -> list[dict]:
    from skimage.measure import marching_cubes

    from pointrecon.io import VolumeData, sample_surface
    from pointrecon.volumes import extract_surface

    clock = make_clock("cpu")
    rows = []
    for n in sizes:
        field = rippled_sphere(n)
        vol = VolumeData(field, np.diag([0.8, 0.8, 1.2, 1.0]))
        mesh = extract_surface(vol, 0.0)
        shape = {"volume": [n, n, n], "faces": int(len(mesh.faces))}
        cases = {
            "skimage.marching_cubes (peer)": lambda f=field: marching_cubes(f, 0.0),
            "extract_surface": lambda v=vol: extract_surface(v, 0.0),
            "sample 16384": lambda m=mesh: sample_surface(m, 16384, seed=0),
            "mc+sample": lambda v=vol: sample_surface(extract_surface(v, 0.0), 16384, seed=0),
        }
        for name, fn in cases.items():
            rows.append({"case": f"volume/{name}", "shape": shape, "mode": "forward"}
                        | _time(fn, clock, "cpu", max_time_s))  # fmt: skip
            print(_line(rows[-1]), flush=True)
    return rows


def contour_batch(batch: int, points: int, slices: int, seed: int = 0) -> torch.Tensor:
    """Contours of a rippled cylinder on ``slices`` planes (B, points, 3), partial-fitted frame."""
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(0, slices, (batch, points), generator=g)
    ang = torch.rand(batch, points, generator=g) * 6.2832
    r = 0.6 + 0.1 * torch.sin(3 * ang + t)
    z = (t.float() / max(slices - 1, 1)) * 1.6 - 0.8
    return torch.stack([r * ang.cos(), r * ang.sin(), z], -1)


def bench_model(device: str, batch: int, points: int, slices: int, max_time_s: float) -> list[dict]:
    from pointrecon.losses import ChamferLoss
    from pointrecon.models import SparseSliceNet

    torch.manual_seed(0)
    dev = torch.device(device)
    model = SparseSliceNet().to(dev)
    x = contour_batch(batch, points, slices).to(dev)
    gt = contour_batch(batch, 2048, 4 * slices, seed=1).to(dev)
    loss = ChamferLoss(kind="l1")
    clock = make_clock(dev)

    def forward():
        with torch.no_grad():
            return model.eval()(partial=x)

    def forward_backward():
        model.train().zero_grad(set_to_none=True)
        loss(model(partial=x).fine, gt).backward()

    out = model(partial=x).fine.shape
    shape = {"partial": [batch, points, 3], "slices": slices, "fine": list(out)}
    rows = []
    for name, fn in (("forward", forward), ("forward+backward", forward_backward)):
        rows.append({"case": "models/sparse_slice", "shape": shape, "mode": name}
                    | _time(fn, clock, dev, max_time_s))  # fmt: skip
        print(_line(rows[-1]), flush=True)
    return rows


def _line(r: dict) -> str:
    mem = "-" if r["peak_bytes"] is None else f"{r['peak_bytes'] / 2**20:.0f} MiB"
    return (
        f"| {r['case']} | {r['mode']} | {json.dumps(r['shape'])} | {r['median_ms']:.1f} "
        f"| {r['p20_ms']:.1f}-{r['p80_ms']:.1f} | {r['runs']} | {mem} |"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--points", type=int, default=1024)
    p.add_argument("--slices", type=int, default=10)
    p.add_argument("--max-time", type=float, default=5.0, help="timed seconds per case")
    p.add_argument("--out", default=None, help="JSON file for the results")
    args = p.parse_args(argv)
    print("| case | mode | shape | median ms | p20-p80 ms | runs | peak mem |")
    print("|---|---|---|---|---|---|---|")
    rows = bench_marching_cubes(args.sizes, args.max_time)
    rows += bench_model(args.device, args.batch, args.points, args.slices, args.max_time)
    if args.out:
        from pointrecon.utils.atomic import atomic_write_text

        doc = {"env": environment(args.device), "dtype": "float32", "results": rows}
        atomic_write_text(Path(args.out), json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
