"""``pointrecon demo``: the main job on the embedded procedural data, end to end on a CPU.

1. trains the default model with ``experiment=demo`` (about 10 minutes on 2 CPU cores);
2. evaluates its best checkpoint on the held-out test split next to the two baselines (the
   input resampled; the input united with its best mirror image);
3. reconstructs one held-back test scan from a file, in the scan's own coordinate frame;
4. renders input | prediction | ground truth, and prints where everything is.

Extra arguments are Hydra overrides of ``conf/train.yaml`` (e.g. ``trainer.max_epochs=2``).
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np


def _compose(name: str, overrides: list[str]):
    from hydra import compose, initialize_config_dir

    from pointrecon.cli._paths import conf_dir

    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


def run_demo(overrides: list[str], out_root: Path | None = None) -> dict:
    """Run the four steps; returns paths, timings and the evaluation tables."""
    from pointrecon.cli.evaluate import run_eval
    from pointrecon.cli.reconstruct import run_reconstruct
    from pointrecon.cli.train import run_train
    from pointrecon.io import write_points
    from pointrecon.train.trainer import build_loader

    t_start = time.perf_counter()
    cfg = _compose("train", ["experiment=demo", *overrides])
    stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    out = Path(out_root or Path(str(cfg.paths.log_dir)) / "demo" / stamp).resolve()
    print(f"[1/4] training the default model -> {out / 'train'}")
    run_train(cfg, out / "train")
    t_train = time.perf_counter() - t_start

    print(f"[2/4] evaluating on the test split against the baselines -> {out / 'eval'}")
    ecfg = _compose("eval", [f"ckpt={out / 'train'}", "save_samples=null"])
    result = run_eval(ecfg, out / "eval")
    tables = result["tables"]

    print("[3/4] reconstructing one held-back test scan from a file")
    sample = build_loader(cfg, "test", batch_size=1, shuffle=False).dataset[0]
    rng = np.random.default_rng(0)
    partial = sample["partial"].numpy()
    # place the scan in an arbitrary world frame: reconstruct must undo its own normalisation
    scale, offset = 0.37, rng.uniform(-2.0, 2.0, 3).astype(np.float32)
    scan = out / "reconstruct" / f"scan_{sample['id']}.ply"
    write_points(scan, partial * scale + offset)
    rcfg = _compose(
        "reconstruct",
        [
            f"ckpt={out / 'train'}",
            f"input={scan}",
            f"output={scan.with_name('completed.ply')}",
            "mesh=true",
        ],
    )
    try:
        paths = run_reconstruct(rcfg)
    except Exception as e:  # meshing needs Open3D; the completion itself must not fail
        print(f"  meshing failed ({type(e).__name__}: {e}); retrying without a mesh")
        rcfg.mesh = False
        paths = run_reconstruct(rcfg)
    from pointrecon.io import read_points

    pred = (read_points(paths["points"]) - offset) / scale

    print("[4/4] rendering")
    renders = out / "renders"
    try:
        from pointrecon.viz import render_comparison

        renders.mkdir(parents=True, exist_ok=True)
        render_comparison(partial, pred, sample["complete"].numpy(), renders / "held_back.png")
        print(f"  {renders / 'held_back.png'}")
    except Exception as e:
        print(f"  render skipped ({type(e).__name__}: {e})")

    total = time.perf_counter() - t_start
    model, base = tables["model"]["mean"]["cd_l1"], tables["input"]["mean"]["cd_l1"]
    print()
    print(f"time: {total / 60:.1f} min (training {t_train / 60:.1f} min)")
    print(
        f"test CD-L1 x1e3: model {model:.2f} | input baseline {base:.2f} | mirror baseline "
        f"{tables.get('mirror', {}).get('mean', {}).get('cd_l1', float('nan')):.2f} "
        f"({'beats' if model < base else 'does NOT beat'} the input by "
        f"{100 * (base - model) / base:.0f}%)"
    )
    print(f"results:       {out / 'eval' / 'metrics.md'}")
    print(f"per sample:    {out / 'eval' / 'per_sample.csv'} and {out / 'eval' / 'samples'}/")
    print(f"checkpoints:   {out / 'train' / 'checkpoints'}")
    print(f"training logs: {out / 'train' / 'metrics.csv'}; tensorboard --logdir {out / 'train'}")
    print(
        f"reconstruction: {paths['points']}" + (f" (+ {paths['mesh']})" if "mesh" in paths else "")
    )
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
