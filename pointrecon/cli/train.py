"""``pointrecon train``: train a model from ``pointrecon/conf/train.yaml`` plus Hydra overrides.

Examples::

    pointrecon train model=pointnet_gru trainer.max_epochs=50
    pointrecon train experiment=refiner_ablation            # a sweep (multirun)
    pointrecon train resume=true hydra.run.dir=outputs/train/<run>   # continue that run
    torchrun --nproc_per_node=2 -m pointrecon.cli.train trainer=ddp
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir, hydra_output_dir

# what a run leaves before its first checkpoint: Hydra's config copy and log, the run lock, the
# TensorBoard events of the config, the empty checkpoint folder
_RUN_SCAFFOLD = {".hydra", "train.log", ".lock", "tb", "checkpoints"}


def remove_empty_run_folder(run_dir: str | Path) -> bool:
    """Delete ``run_dir`` if it holds only what a run writes before its first checkpoint
    (:data:`_RUN_SCAFFOLD`: no checkpoint, no metrics, nothing else); True if deleted.

    A folder with any other entry (a checkpoint, metrics, a file of the user's), or a
    ``checkpoints`` folder with anything but unfinished temporary files, is kept.
    """
    run = Path(run_dir)
    if not run.is_dir() or run.is_symlink():
        return False
    for p in run.iterdir():
        if p.name not in _RUN_SCAFFOLD and not (p.name.startswith(".") and ".tmp" in p.name):
            return False
        if p.name in ("checkpoints", "tb") and (p.is_symlink() or not p.is_dir()):
            return False  # not the folder a run makes: keep it
        if p.name == "checkpoints" and any(
            not (q.name.startswith(".") and ".tmp" in q.name) for q in p.iterdir()
        ):
            return False
        if p.name == "tb" and any(not q.name.startswith("events.") for q in p.rglob("*")):
            return False
    shutil.rmtree(run, ignore_errors=True)
    return not run.exists()


def run_train(cfg: DictConfig, output_dir: str | Path) -> dict[str, Any]:
    """Train with the composed config ``cfg`` into ``output_dir``; returns the summary.

    Under ``torchrun`` every process gets its own Hydra run folder; the ranks other than 0
    remove theirs (when it differs from rank 0's and holds nothing but Hydra's files).
    """
    from pointrecon.train.assembly import Assembly
    from pointrecon.train.distributed import from_main_rank

    assembly = Assembly(cfg)
    trainer = assembly.trainer(output_dir)
    try:
        if not trainer.dist.is_main:
            main_dir = from_main_rank(trainer.dist, str(Path(output_dir).resolve()))
            if main_dir != str(Path(output_dir).resolve()):
                remove_empty_run_folder(output_dir)
        elif trainer.dist.initialized:
            from_main_rank(trainer.dist, str(Path(output_dir).resolve()))
        summary = trainer.fit()
        if trainer.dist.is_main:
            best = summary.get("best_val") or {}
            trainer.info(
                f"trained {summary['epoch']} epochs ({summary['global_step']} steps); best epoch "
                f"{summary['best_epoch']}: "
                + ", ".join(f"{k}={best[k]:.4f}" for k in ("cd_l1", "cd_l2", "fscore") if k in best)
            )
            trainer.info(f"run folder: {Path(output_dir).resolve()}")
    finally:
        trainer.close()
    if trainer.dist.is_main and cfg.get("evaluate_test"):
        evaluate_best(assembly, Path(output_dir))
    return summary


def evaluate_best(assembly, run_dir: Path) -> dict[str, Any]:
    """Evaluate the run's best checkpoint on the test split into ``<run>/test``."""
    from pointrecon.train.evaluator import evaluate_model
    from pointrecon.train.report import to_markdown

    model, path, _ = assembly.load_model(run_dir)
    result = evaluate_model(
        model,
        assembly.data(("test",)).loader("test", shuffle=False),
        run_dir / "test",
        progress=assembly.settings().progress,
        title=f"{path.name} on split test",
    )
    print(to_markdown(result["tables"], f"{path.name} on split test"))
    return result


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="train")
@reports_errors("train")
def _hydra_main(cfg: DictConfig) -> float | None:
    out = hydra_output_dir()
    try:
        summary = run_train(cfg, out)
    except BaseException:
        # a run that failed before its first checkpoint leaves no empty folder behind
        if remove_empty_run_folder(out):
            import sys

            print(
                f"pointrecon train: removed the run folder {out}: the run stopped before "
                "writing a checkpoint",
                file=sys.stderr,
            )
        raise
    best = summary.get("best_val") or {}
    from pointrecon.train.assembly import selection_metric

    value = best.get(selection_metric(cfg.trainer)[0])
    return json.loads(json.dumps(value)) if value is not None else None


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
