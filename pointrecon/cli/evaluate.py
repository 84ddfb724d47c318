"""``pointrecon eval ckpt=<run or checkpoint>``: per-category metrics next to two baselines.

Writes metrics.json/.csv/.md, per_sample.csv and samples/<id>.npz into the Hydra run folder (or
``output_dir=...``); on a ShapeNet-55/34 test split also metrics_by_difficulty.json/.csv/.md
(easy/median/hard and their mean, PoinTr's table). With ``data=kitti``: Fidelity and MMD
(no ground truth exists) and completions/<id>.pcd in each scan's frame. The model is rebuilt from the checkpoint's stored config, which is checked
against the ``_target_`` allow-list first; the data set is the checkpoint's unless ``data=...``
is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir, hydra_output_dir


def run_eval(cfg: DictConfig, output_dir: str | Path) -> dict[str, Any]:
    """Evaluate ``cfg.ckpt`` on ``cfg.split``; returns ``{"tables", "paths"}``."""
    from pointrecon.train.assembly import Assembly
    from pointrecon.train.distributed import resolve_device
    from pointrecon.train.evaluator import evaluate_model
    from pointrecon.train.report import to_markdown

    assembly = Assembly(cfg)
    device = resolve_device(cfg.trainer.accelerator)
    model, path, train_cfg = assembly.load_model(cfg.ckpt, device)
    data_cfg = assembly.eval_data_config(train_cfg)
    loader = assembly.eval_data(train_cfg, str(cfg.split)).loader(str(cfg.split), shuffle=False)
    from pointrecon.data.kitti import KITTI

    if isinstance(loader.dataset, KITTI):
        return run_kitti_eval(cfg, data_cfg, model, loader.dataset, path, device, output_dir)
    result = evaluate_model(
        model,
        loader,
        output_dir,
        device=device,
        baselines=list(cfg.baselines),
        tau=float(cfg.fscore_tau),
        with_emd=bool(cfg.emd),
        emd_exact_max=int(cfg.emd_exact_max),
        with_dcd=bool(cfg.get("dcd", False)),
        save_samples=cfg.save_samples,
        max_batches=cfg.max_batches,
        seed=int(cfg.seed),
        progress=bool(cfg.trainer.progress),
        title=f"{path} on {cfg.split}",
    )
    print(to_markdown(result["tables"], f"{path.name} on split {cfg.split!s}"))
    by_difficulty = report_difficulties(result, output_dir, f"{path.name} on split {cfg.split!s}")
    if by_difficulty is not None:
        result["difficulty_tables"] = by_difficulty
    print(f"results: {Path(output_dir).resolve()}")
    return result


def run_kitti_eval(cfg, data_cfg, model, dataset, path, device, output_dir) -> dict[str, Any]:
    """``data=kitti``: Fidelity and MMD in the box frames, completions written in the scan frame."""
    from pointrecon.data.kitti import load_reference_set
    from pointrecon.train.kitti_eval import evaluate_kitti, kitti_markdown

    ref_path = data_cfg.get("mmd_reference")
    reference = None
    if ref_path:
        reference = load_reference_set(
            ref_path, int(data_cfg.get("mmd_points", 2048)), seed=int(cfg.seed)
        )
    distance = str(data_cfg.get("mmd_distance", "cd_l2"))
    title = f"{path.name} on KITTI cars"
    result = evaluate_kitti(
        model,
        dataset,
        output_dir,
        reference=reference,
        device=device,
        mmd_distance=distance,
        mmd_chunk=int(data_cfg.get("mmd_chunk", 64)),
        write_completions=bool(data_cfg.get("write_completions", True)),
        max_items=None if cfg.max_batches is None else int(cfg.max_batches),
        progress=bool(cfg.trainer.progress),
        title=title,
    )
    print(kitti_markdown(result["tables"], title, distance))
    if reference is None:
        print("MMD skipped: set data.mmd_reference to a folder of complete car clouds")
    print(f"results: {Path(output_dir).resolve()}")
    return result


def report_difficulties(
    result: dict[str, Any], output_dir: str | Path, title: str
) -> dict[str, Any] | None:
    """Print and save the per-difficulty table when the split has difficulties (ShapeNet-55/34
    test: easy/median/hard and their mean, as PoinTr reports); None otherwise."""
    import csv

    from pointrecon.train.difficulty import (
        difficulty_markdown,
        difficulty_tables,
        has_difficulties,
        write_difficulty_tables,
    )

    with open(result["paths"]["per_sample"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not has_difficulties(rows):
        return None
    tables = difficulty_tables(rows, list(result["tables"]))
    paths = write_difficulty_tables(output_dir, tables, title=title)
    result["paths"] |= {f"by_difficulty_{k}": v for k, v in paths.items()}
    print(difficulty_markdown(tables, f"{title}, per difficulty"))
    return tables


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="eval")
@reports_errors("eval")
def _hydra_main(cfg: DictConfig) -> None:
    out = cfg.get("output_dir") or hydra_output_dir()
    run_eval(cfg, out)


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
