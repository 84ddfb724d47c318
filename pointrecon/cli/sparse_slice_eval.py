"""``python -m pointrecon.cli.sparse_slice_eval CKPT [--k 4] [--num-samples 128] [--out t.md]``:
a sparse-slice model against the contour and linear-interpolation baselines on the synthetic
test split (CD-L1 x 1e3 and F-Score@1%, every method resampled to the same number of points)."""

from __future__ import annotations

import argparse
import json
import sys

from pointrecon.errors import PointreconError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m pointrecon.cli.sparse_slice_eval", description=__doc__.splitlines()[0]
    )
    p.add_argument("ckpt", nargs="?", help="run or checkpoint folder (omit: baselines only)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--num-samples", type=int, default=128)
    p.add_argument("--k", type=int, default=4, help="keep every k-th slice")
    p.add_argument("--seed", type=int, default=0, help="data set seed")
    p.add_argument("--num-points", type=int, default=2048, help="points per method when scored")
    p.add_argument("--cache-dir", default=None)
    p.add_argument("--out", default=None, help="write the table (.md) or the results (.json)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pointrecon.data.sparse_slices import SparseSliceCompletion
    from pointrecon.train.sparse_slice_eval import evaluate_sparse_slices, format_table
    from pointrecon.utils.atomic import atomic_write_text

    try:
        model, data_kw = None, {}
        if args.ckpt:
            from pointrecon.train.checkpoint import load_model

            model, _, train_cfg = load_model(args.ckpt, [], "cpu")
            train = (train_cfg.get("data", {}) or {}).get("train", {}) or {}
            for key in ("n_partial", "resolution", "anisotropy", "axis"):
                if key in train:
                    value = train[key]
                    data_kw[key] = list(value) if hasattr(value, "__len__") else value
        data = SparseSliceCompletion(
            args.split,
            args.num_samples,
            args.seed,
            k=args.k,
            n_complete=args.num_points,
            cache_dir=args.cache_dir,
            **data_kw,
        )
        results = evaluate_sparse_slices(model, data, num_points=args.num_points)
    except PointreconError as exc:
        print(f"sparse_slice_eval: error: {exc}", file=sys.stderr)
        return 1
    table = format_table(results)
    print(f"{data!r}\n{table}")
    if args.out:
        text = json.dumps(results, indent=2) if args.out.endswith(".json") else table + "\n"
        atomic_write_text(args.out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
