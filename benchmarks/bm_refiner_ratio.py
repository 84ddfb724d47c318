"""Windowed vs full-length refiner step, timed in interleaved pairs (for machines shared with
other jobs, where load drifts between the cases of a normal benchmark run).

    python benchmarks/bm_refiner_ratio.py [--N 16384 --B 2 --pairs 3 --threads 1] [--out DIR]

For each variant of ``pointrecon/conf/model/refiner/gru.yaml`` (``local``/``embed``, and ``hidden`` where
given: ``--variants conv/sum/64``), one refiner step
forward+backward (train mode, gradients reset untimed) is timed windowed (W=64) and full length
(W=0) alternately, ``--pairs`` times after one warm-up each; the ratio of each pair is taken and
the median of the pair ratios is reported with their range. ``--rnn-alone`` also times the RNN
by itself on fixed features, in pairs the same way: the bound on the step's ratio that cheaper
features alone could reach. Writes ``refiner_ratio.{json,md}``.
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
    {"local": "conv", "embed": "sum", "hidden": 64},
]


def _parse_variant(spec: str) -> dict:
    """``local/embed[/hidden]``, e.g. ``conv/sum`` or ``conv/sum/64``."""
    parts = spec.split("/")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"variant must be local/embed[/hidden], got {spec!r}")
    v: dict = {"local": parts[0], "embed": parts[1]}
    if len(parts) == 3:
        v["hidden"] = int(parts[2])
    return v


def _step(model, pts, code) -> float:
    model.zero_grad(set_to_none=True)
    t0 = time.perf_counter()
    sum(s.sum() for s in model(pts, code)).backward()
    return time.perf_counter() - t0


def _rnn_input(model, pts, code):
    """The RNN's input for ``pts`` as the step builds it (sequence order), detached, with grad."""
    from pointrecon.models import _ops

    with torch.no_grad():
        order, _ = model.order_points(pts)
        if model.local_conv is not None:
            seq = model.point_features(_ops.gather_points(pts, order), code)
        else:
            seq = _ops.gather_points(model.point_features(pts, code), order)
    return seq.requires_grad_()


def _rnn_step(model, seq) -> float:
    """The RNN alone (forward+backward, input gradient included), as in the step."""
    model.zero_grad(set_to_none=True)
    seq.grad = None
    t0 = time.perf_counter()
    model.run_rnn(seq)[0].sum().backward()
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
    p.add_argument(
        "--variants",
        nargs="*",
        type=_parse_variant,
        default=None,
        help="local/embed[/hidden] (hidden: the config's 128 unless given); default: all",
    )
    p.add_argument(
        "--rnn-alone",
        action="store_true",
        help="also time the RNN alone on fixed features (the part of the step W changes)",
    )
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = torch.device("cpu")
    pts = random_points(0, args.B, args.N, dev)
    code = bm_models.random_code(0, args.B, 1024, dev)
    rows = []
    for v in args.variants or VARIANTS:
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
        if args.rnn_alone:
            seqs = {w: _rnn_input(m, pts, code) for w, m in models.items()}
            for w, m in models.items():
                _rnn_step(m, seqs[w])  # warm-up
            rw, rf = [], []
            for _ in range(args.pairs):
                rw.append(_rnn_step(models[64], seqs[64]))
                rf.append(_rnn_step(models[0], seqs[0]))
            row.update(
                rnn_window_ms=[1e3 * t for t in rw],
                rnn_full_ms=[1e3 * t for t in rf],
                rnn_ratio_median=statistics.median(f / w for w, f in zip(rw, rf)),
            )
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {**vars(args), "torch": torch.__version__, "step": "forward+backward, steps=1"}
    (out / "refiner_ratio.json").write_text(json.dumps({"config": meta, "rows": rows}, indent=2))
    lines = [
        f"GRU refiner step (pointrecon/conf/model/refiner/gru.yaml, steps=1) forward+backward, B={args.B}, "
        f"N={args.N}, CPU, {args.threads} thread(s); windowed (W=64) and full length timed "
        f"alternately, {args.pairs} pairs after a warm-up; ratio = full / windowed per pair.",
        "",
        "| local | embed | hidden | windowed ms (median) | full ms (median) | ratio median (min-max) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['local']} | {r['embed']} | {r.get('hidden', 128)} | "
            f"{statistics.median(r['window_ms']):.0f} | "
            f"{statistics.median(r['full_ms']):.0f} | {r['ratio_median']:.2f}x "
            f"({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |"
        )
    if args.rnn_alone:
        lines += [
            "",
            "The RNN alone (same features, fixed; forward+backward with the input gradient):",
            "",
            "| local | embed | hidden | RNN windowed ms | RNN full ms | RNN ratio (median) |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['local']} | {r['embed']} | {r.get('hidden', 128)} | "
                f"{statistics.median(r['rnn_window_ms']):.0f} | "
                f"{statistics.median(r['rnn_full_ms']):.0f} | {r['rnn_ratio_median']:.2f}x |"
            )
    (out / "refiner_ratio.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
