"""``pointrecon train``: train a model from ``pointrecon/conf/train.yaml`` plus Hydra overrides.

Examples::

    pointrecon train model=pointnet_gru trainer.max_epochs=50
    pointrecon train experiment=refiner_ablation            # a sweep (multirun)
    pointrecon train resume=true hydra.run.dir=outputs/train/<run>   # continue that run
    torchrun --nproc_per_node=2 -m pointrecon.cli.train trainer=ddp
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir, hydra_output_dir


def run_train(cfg: DictConfig, output_dir: str | Path) -> dict[str, Any]:
    """Train with the composed config ``cfg`` into ``output_dir``; returns the summary."""
    from pointrecon.train.assembly import Assembly

    assembly = Assembly(cfg)
    trainer = assembly.trainer(output_dir)
    try:
        summary = trainer.fit()
    finally:
        trainer.close()
    if trainer.dist.is_main:
        best = summary.get("best_val") or {}
        print(
            f"trained {summary['epoch']} epochs ({summary['global_step']} steps); best epoch "
            f"{summary['best_epoch']}: "
            + ", ".join(f"{k}={best[k]:.4f}" for k in ("cd_l1", "cd_l2", "fscore") if k in best)
        )
        print(f"run folder: {Path(output_dir).resolve()}")
        if cfg.get("evaluate_test"):
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
    summary = run_train(cfg, hydra_output_dir())
    best = summary.get("best_val") or {}
    from pointrecon.train.assembly import selection_metric

    value = best.get(selection_metric(cfg.trainer)[0])
    return json.loads(json.dumps(value)) if value is not None else None


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
