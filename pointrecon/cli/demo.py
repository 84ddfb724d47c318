"""``pointrecon demo``: the main job on the embedded procedural data, end to end on a CPU.

1. trains a compact completion model with ``experiment=demo``;
2. evaluates its best checkpoint on the held-out test split next to the four baselines (the
   input; the input united with its best mirror image; both densified to the output's size);
3. completes one held-back test scan from a file, in the scan's own coordinate frame, with the
   model shipped in the package and with the model just trained;
4. renders input | completion | ground truth for both (one row each), and prints where
   everything is.

Extra arguments are Hydra overrides of ``pointrecon/conf/train.yaml`` (e.g. ``trainer.max_epochs=2``).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np


def run_demo(overrides: list[str], out_root: Path | None = None) -> dict:
    """Run the four steps; returns paths, timings and the evaluation tables."""
    from pointrecon.cli.evaluate import run_eval
    from pointrecon.cli.reconstruct import run_reconstruct
    from pointrecon.cli.train import run_train
    from pointrecon.config import compose
    from pointrecon.data import SyntheticCompletion
    from pointrecon.errors import PointreconError
    from pointrecon.io import read_points, write_points

    t_start = time.perf_counter()
    cfg = compose("train", ["experiment=demo", *overrides])
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    out = Path(out_root or Path(str(cfg.paths.log_dir)) / "demo" / stamp).resolve()
    print(f"[1/4] training a compact completion model -> {out / 'train'}")
    run_train(cfg, out / "train")
    t_train = time.perf_counter() - t_start

    print(f"[2/4] evaluating on the test split against the baselines -> {out / 'eval'}")
    ecfg = compose("eval", [f"ckpt={out / 'train'}", "save_samples=null"])
    result = run_eval(ecfg, out / "eval")
    tables = result["tables"]

    print("[3/4] completing one held-back test scan from a file (shipped model, trained model)")
    held = SyntheticCompletion("test", 1, seed=int(cfg.data.train.seed), n_partial=2048,
                               n_complete=16384, noise_std=0.005)[0]  # fmt: skip
    partial, gt = held["partial"].numpy(), held["complete"].numpy()
    # place the scan in an arbitrary world frame: reconstruct must undo its own normalisation
    rng = np.random.default_rng(0)
    scale, offset = 0.37, rng.uniform(-2.0, 2.0, 3).astype(np.float32)
    scan = out / "reconstruct" / f"scan_{held['id']}.ply"
    write_points(scan, partial * scale + offset)
    preds, paths = {}, {}
    for name, ckpt in (("shipped model", None), ("model trained here", out / "train")):
        stem = "completed_shipped" if ckpt is None else "completed_trained"
        over = [f"input={scan}", f"output={scan.with_name(stem + '.ply')}", "mesh=true"]
        if ckpt is not None:
            over.append(f"ckpt={ckpt}")
        rcfg = compose("reconstruct", over)
        try:
            paths[name] = run_reconstruct(rcfg)
        except PointreconError as e:
            print(f"  {name}: skipped ({e})")
            continue
        except Exception as e:  # meshing needs Open3D; the completion itself must not fail
            print(f"  meshing failed ({type(e).__name__}: {e}); retrying without a mesh")
            # the failed run may have written the points already: this run replaces its own file
            rcfg.mesh, rcfg.overwrite = False, True
            paths[name] = run_reconstruct(rcfg)
        preds[name] = (read_points(paths[name]["points"]) - offset) / scale

    print("[4/4] rendering")
    renders = out / "renders"
    try:
        from pointrecon.viz import render_comparison, save_png

        rows = [
            render_comparison(
                partial, pred, gt, titles=("input scan", name, "ground truth"), error_max=0.05
            )  # fmt: skip
            for name, pred in preds.items()
        ]
        width = max(r.shape[1] for r in rows)
        pad = [
            np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows
        ]
        save_png(np.concatenate(pad, axis=0), renders / "held_back.png")
        print(f"  {renders / 'held_back.png'}")
    except Exception as e:
        print(f"  render skipped ({type(e).__name__}: {e})")

    total = time.perf_counter() - t_start
    mean = {m: t["mean"] for m, t in tables.items()}
    print()
    print(f"time: {total / 60:.1f} min (training {t_train / 60:.1f} min)")
    print("test split (mean over categories):  CD-L1 x1e3 (lower is better) | F@1% (higher)")
    for m, v in mean.items():
        print(f"  {m:<14} {v['cd_l1']:8.2f} | {v['fscore']:.3f}")
    base = min(v["cd_l1"] for m, v in mean.items() if m != "model")
    verdict = "beats" if mean["model"]["cd_l1"] < base else "does NOT beat"
    print(f"the trained model {verdict} the best baseline on CD-L1")
    print(f"results:       {out / 'eval' / 'metrics.md'}")
    print(f"per sample:    {out / 'eval' / 'per_sample.csv'} and {out / 'eval' / 'samples'}/")
    print(f"checkpoints:   {out / 'train' / 'checkpoints'}")
    print(f"training logs: {out / 'train' / 'metrics.csv'}; tensorboard --logdir {out / 'train'}")
    for name, p in paths.items():
        extra = f" (+ {p['mesh']})" if "mesh" in p else ""
        print(f"completion ({name}): {p['points']}{extra}")
    print(f"renders:       {renders}/ and {out / 'train' / 'renders'}/")
    print(f"view them:     pointrecon render --eval-dir {out / 'eval'}")
    return {"out": out, "tables": tables, "time_s": total, "train_time_s": t_train}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    run_demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
