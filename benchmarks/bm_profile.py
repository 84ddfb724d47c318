"""Profile the two targeted paths with ``torch.profiler`` and print where the time goes.

    python benchmarks/bm_profile.py chamfer [--B 4 --N 8192 --kind l1 --device cpu]
    python benchmarks/bm_profile.py rnn [--B 2 --N 16384 --window 64 --cell gru --steps 1]

``chamfer``: ``pointrecon.metrics.chamfer_<kind>`` forward+backward (issue target: >= 10x faster
than naive ``torch.cdist`` at B=4, N=M=8192 on CPU). ``rnn``: the sequence refiner from
``pointrecon/conf/model/refiner/gru.yaml`` forward+backward (target: windowed >= 10x faster than full length
at N=16384). Prints the operators sorted by total self time (CPU, plus CUDA on a GPU).
"""

from __future__ import annotations

import argparse
import sys

import torch
from torch.profiler import ProfilerActivity, profile

from pointrecon.bench.inputs import random_points


def _chamfer(args, device):
    from pointrecon import metrics

    fn = getattr(metrics, f"chamfer_{args.kind}")
    x = random_points(0, args.B, args.N, device).requires_grad_(True)
    y = random_points(1, args.B, args.M or args.N, device).requires_grad_(True)
    return lambda: fn(x, y).sum().backward()


def _rnn(args, device):
    from pointrecon.bench.suites import bm_models

    overrides = {"cell": args.cell, "window": args.window}
    if args.steps is not None:
        overrides["steps"] = args.steps
    model = bm_models.build("refiner", "gru", 1024, device, None, **overrides).train()
    pts = random_points(0, args.B, args.N, device)
    code = bm_models.random_code(0, args.B, 1024, device)

    def run():
        if args.forward:
            with torch.no_grad():
                model.eval()(pts, code)
            return
        model.train().zero_grad(set_to_none=True)
        sum(s.sum() for s in model(pts, code)).backward()

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=["chamfer", "rnn"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--B", type=int, default=None)
    parser.add_argument("--N", type=int, default=None)
    parser.add_argument("--M", type=int, default=None)
    parser.add_argument("--kind", default="l1", choices=["l1", "l2"])
    parser.add_argument("--cell", default="gru", choices=["gru", "lstm"])
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--rows", type=int, default=15)
    parser.add_argument("--forward", action="store_true", help="rnn: forward only (no_grad)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.target == "chamfer":
        args.B, args.N = args.B or 4, args.N or 8192
        run = _chamfer(args, device)
    else:
        args.B, args.N = args.B or 2, args.N or 16384
        run = _rnn(args, device)
    run()  # warm-up
    activities = [ProfilerActivity.CPU]
    if device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities, profile_memory=True) as prof:
        run()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by=key, row_limit=args.rows, max_name_column_width=40))
    return 0


if __name__ == "__main__":
    sys.exit(main())
