"""Data benchmark: completion pairs per second, generated and loaded from the cache.

    python benchmarks/bm_data.py [--num-samples 64] [--workers 2] [--n-partial 2048]
        [--n-complete 16384] [--repeats 3] [--out benchmarks/runs/bm_data.json]

Three measurements on :class:`pointrecon.data.SyntheticCompletion`:

- ``generate``: shape + simulated scan + surface sampling + normalisation, in the main process
  (pairs/s of ``dataset.generate``; also the share spent in ``make_shape``);
- ``generate_loader``: a cold cache filled through a DataLoader with ``--workers`` workers
  (what the first epoch costs);
- ``cached_loader``: later epochs, a DataLoader with ``--workers`` workers reading the ``.npz``
  cache and collating batches (target: >= 50 pairs/s on 2 cores).

Each loader figure is the median of ``--repeats`` full passes (worker start-up included, as an
epoch pays it). Results go to JSON (with versions and the CPU) and a printed table.
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
import torch
from torch.utils.data import DataLoader

from pointrecon.data import SyntheticCompletion, collate_completion, make_shape
from pointrecon.utils.atomic import atomic_write_text


def _loader_pass(ds, batch_size: int, workers: int) -> float:
    loader = DataLoader(
        ds, batch_size=batch_size, num_workers=workers, collate_fn=collate_completion
    )
    t = time.perf_counter()
    n = sum(b["partial"].batch_size for b in loader)
    dt = time.perf_counter() - t
    assert n == len(ds)
    return dt


def run(args: argparse.Namespace) -> dict:
    kw = dict(n_partial=args.n_partial, n_complete=args.n_complete)
    n = args.num_samples
    results: dict[str, dict] = {}

    # 1. generation in the main process
    ds = SyntheticCompletion("train", n, args.seed, **kw)
    ds.generate(0)  # warm-up (imports, Open3D start-up)
    t = time.perf_counter()
    for i in range(n):
        ds.generate(i)
    dt = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(n):
        make_shape(*ds.shape_key(i)[:2])
    shape_dt = time.perf_counter() - t
    results["generate"] = dict(pairs=n, seconds=dt, pairs_per_s=n / dt, shape_ms=1e3 * shape_dt / n)

    with tempfile.TemporaryDirectory(prefix="bm_data_") as cache:
        # 2. cold cache through workers
        ds = SyntheticCompletion("val", n, args.seed, cache_dir=cache, **kw)
        dt = _loader_pass(ds, args.batch_size, args.workers)
        results["generate_loader"] = dict(pairs=n, seconds=dt, pairs_per_s=n / dt)
        # 3. warm cache through workers
        times = [_loader_pass(ds, args.batch_size, args.workers) for _ in range(args.repeats)]
        med = statistics.median(times)
        results["cached_loader"] = dict(
            pairs=n,
            seconds=med,
            pairs_per_s=n / med,
            spread_pairs_per_s=[n / max(times), n / min(times)],
            cache_bytes_per_pair=sum(p.stat().st_size for p in Path(cache).rglob("*.npz")) / n,
        )
    return {
        "benchmark": "data",
        "params": dict(vars(args), out=str(args.out)),
        "results": results,
        "target_cached_pairs_per_s": 50,
        "env": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "cpu": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
    }


def table(report: dict) -> str:
    rows = [("measurement", "pairs", "seconds", "pairs/s")]
    for name, r in report["results"].items():
        rows.append((name, str(r["pairs"]), f"{r['seconds']:.2f}", f"{r['pairs_per_s']:.1f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    g = report["results"]["generate"]
    lines.append(f"make_shape: {g['shape_ms']:.2f} ms/shape; target cached >= 50 pairs/s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--num-samples", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--n-partial", type=int, default=2048)
    p.add_argument("--n-complete", type=int, default=16384)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("benchmarks/runs/bm_data.json"))
    args = p.parse_args(argv)
    report = run(args)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
