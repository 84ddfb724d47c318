"""``pointrecon eval-meshes dir=<folder of meshes> [ckpt=...]``: completion quality on meshes
the model never saw, next to the baselines (see :mod:`pointrecon.train.mesh_eval`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir, hydra_output_dir


def run_eval_meshes(cfg: DictConfig, output_dir: str | Path) -> dict[str, Any]:
    """Evaluate ``cfg.ckpt`` (default: the shipped model) on the meshes under ``cfg.dir``."""
    from pointrecon.train.assembly import Assembly, num_input_points
    from pointrecon.train.distributed import resolve_device
    from pointrecon.train.mesh_eval import evaluate_meshes, mesh_files
    from pointrecon.train.report import to_markdown

    assembly = Assembly(cfg)
    files = mesh_files(str(cfg.dir))
    device = resolve_device(cfg.trainer.accelerator)
    model, path, train_cfg = assembly.load_model(cfg.ckpt, device)
    n_in = num_input_points(cfg, train_cfg)
    title = f"{path} on {len(files)} meshes in {cfg.dir}"
    result = evaluate_meshes(
        model, files, output_dir, num_input_points=int(n_in), views=int(cfg.views),
        num_views=int(cfg.num_views), n_complete=int(cfg.n_complete),
        noise_std=float(cfg.noise_std), seed=int(cfg.seed), tau=float(cfg.fscore_tau),
        renders=bool(cfg.renders), progress=bool(cfg.trainer.progress), title=title,
    )  # fmt: skip
    print(to_markdown(result["tables"], title))
    print(f"results: {Path(output_dir).resolve()}")
    return result


@hydra.main(version_base="1.3", config_path=conf_dir(), config_name="eval_meshes")
@reports_errors("eval-meshes")
def _hydra_main(cfg: DictConfig) -> None:
    run_eval_meshes(cfg, cfg.get("output_dir") or hydra_output_dir())


def main() -> None:
    _hydra_main()


if __name__ == "__main__":
    main()
