"""Windowed vs full-length refiner step, timed in interleaved pairs (for machines shared with
other jobs, where load drifts between the cases of a normal benchmark run).

    python benchmarks/bm_refiner_ratio.py [--N 16384 --B 2 --pairs 3 --threads 1] [--out DIR]

For each variant of ``conf/model/refiner/gru.yaml`` (``local``/``embed``), one refiner step
forward+backward (train mode, gradients reset untimed) is timed windowed (W=64) and full length
(W=0) alternately, ``--pairs`` times after one warm-up each; the ratio of each pair is taken and
the median of the pair ratios is reported with their range. Writes ``refiner_ratio.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

VARIANTS = [
    {"local": "knn", "embed": "concat"},
    {"local": "conv", "embed": "concat"},
    {"local": "conv", "embed": "sum"},
]


def _step(model, pts, code) -> float:
    model.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    sum(s.sum() for s in model(pts, code)).backward()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    import bm_models

    from pointrecon.bench.inputs import random_points

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--N", type=int, default=16384)
    p.add_argument("--B", type=int, default=2)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="outputs/refiner_ratio")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = torch.device("cpu")
    pts = random_points(0, args.B, args.N, dev)
    code = bm_models.random_code(0, args.B, 1024, dev)
    rows = []
    for v in VARIANTS:
        models = {
            w: bm_models.build("refiner", "gru", 1024, dev, None, window=w, steps=1, **v).train()
            for w in (64, 0)
        }
        for m in models.values():
            _step(m, pts, code)  # warm-up
        win, full = [], []
        for _ in range(args.pairs):
            win.append(_step(models[64], pts, code))
            full.append(_step(models[0], pts, code))
        ratios = [f / w for w, f in zip(win, full)]
        row = {**v, "window_ms": [1e3 * t for t in win], "full_ms": [1e3 * t for t in full]}
        row.update(
            ratio_median=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios)
        )
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {**vars(args), "torch": torch.__version__, "step": "forward+backward, steps=1"}
    (out / "refiner_ratio.json").write_text(json.dumps({"config": meta, "rows": rows}, indent=2))
    lines = [
        f"GRU refiner step (conf/model/refiner/gru.yaml, steps=1) forward+backward, B={args.B}, "
        f"N={args.N}, CPU, {args.threads} thread(s); windowed (W=64) and full length timed "
        f"alternately, {args.pairs} pairs after a warm-up; ratio = full / windowed per pair.",
        "",
        "| local | embed | windowed ms (median) | full ms (median) | ratio median (min-max) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['local']} | {r['embed']} | {statistics.median(r['window_ms']):.0f} | "
            f"{statistics.median(r['full_ms']):.0f} | {r['ratio_median']:.2f}x "
            f"({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |"
        )
    (out / "refiner_ratio.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
