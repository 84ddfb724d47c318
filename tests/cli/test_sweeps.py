"""Sweeps as people run them: the Optuna sweeper and joblib launcher configs compose, an Optuna
search runs, and sweep-report groups seeds (mean ± std, n) and plots a swept number."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pointrecon.cli.sweep_report import main as sweep_report_main

pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
pytest.importorskip("hydra_plugins.hydra_joblib_launcher")


def test_optuna_and_joblib_configs_compose(compose):
    cfg = compose(
        "train",
        ["experiment=optuna_demo", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2"],
        return_hydra_config=True,
    )
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_.endswith("OptunaSweeper")
    assert sweeper.direction == "minimize" and sweeper.sampler._target_.endswith("TPESampler")
    assert set(sweeper.params) == {"optim.lr", "model.window", "model.steps"}
    assert sweeper.params["optim.lr"].startswith("tag(log, interval(")
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert cfg.hydra.launcher.n_jobs == 2
    assert cfg.model._target_ == "pointrecon.models.CompletionNet"  # the demo model
    assert {"window", "steps"} <= set(cfg.model)
    plain = compose("train", ["hydra/sweeper=optuna"], return_hydra_config=True)
    assert plain.hydra.sweeper._target_.endswith("OptunaSweeper")


# cd_l1 per (lr, seed): mean 12, 8, 15 with sample std 1, 2, 0.5
KNOWN = {
    0.0001: [11.0, 12.0, 13.0],
    0.001: [6.0, 8.0, 10.0],
    0.01: [14.5, 15.0, 15.5],
}


def _fake_multirun(root: Path) -> Path:
    """The layout of a Hydra multirun: <root>/<job num>/ with
    .hydra/overrides.yaml and the run's final_metrics.json."""
    root.mkdir(parents=True)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    num = 0
    for lr, values in KNOWN.items():
        for seed, cd in enumerate(values):
            overrides = ["experiment=tiny", f"optim.lr={lr}", f"seed={seed}"]
            run = root / str(num)
            (run / ".hydra").mkdir(parents=True)
            (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
            final = {
                "epoch": 3,
                "global_step": 30,
                "best_epoch": 3,
                "train_loss": 0.1,
                "val": None,
                "best_val": {"cd_l1": cd, "cd_l2": cd / 10, "fscore": 0.5, "n": 8},
            }
            (run / "final_metrics.json").write_text(json.dumps(final))
            num += 1
    return root


def test_sweep_report_groups_seeds_and_plots_the_swept_number(tmp_path):
    from PIL import Image

    root = _fake_multirun(tmp_path / "multirun")
    assert sweep_report_main([str(root)]) == 0
    groups = {float(r["optim.lr"]): r for r in csv.DictReader((root / "sweep_groups.csv").open())}
    assert set(groups) == set(KNOWN)
    for lr, (mean, std) in {0.0001: (12, 1), 0.001: (8, 2), 0.01: (15, 0.5)}.items():
        g = groups[lr]
        assert (int(g["n"]), g["seeds"]) == (3, "0 1 2")
        assert float(g["cd_l1_mean"]) == pytest.approx(mean)
        assert float(g["cd_l1_std"]) == pytest.approx(std)
        assert "seed" not in g
    md = (root / "sweep_report.md").read_text()
    assert "CD-L1 (x1e3), lower is better" in md and "F@1%, higher is better" in md
    assert "| 0.001 | 3 | 0 1 2 | 8.000 ± 2.000 |" in md
    assert "x = optim.lr (log scale)" in md
    png = root / "sweep_report.png"
    assert png.stat().st_size > 0
    desc = Image.open(png).info["Description"]
    assert desc == "x: optim.lr (log scale); y: best validation CD-L1 (x1e3), lower is better"
    assert len(list(csv.DictReader((root / "sweep_report.csv").open()))) == 9


def test_sweep_report_bars_without_a_numeric_parameter(tmp_path):
    from PIL import Image

    root = _fake_multirun(tmp_path / "m")
    assert sweep_report_main([str(root), "--param", "", "--metric", "fscore"]) == 0
    assert (
        "y: best validation F@1%, higher is better"
        in Image.open(root / "sweep_report.png").info["Description"]
    )
    assert sweep_report_main([str(root), "--param", "experiment"]) == 2


@pytest.mark.slow
def test_two_trial_optuna_sweep_runs(tmp_path, data_cache):
    """experiment=optuna_demo with debug=fast: 2 trials, each a run folder with its metrics, and
    Optuna's result file (about 1 min on 2 cores)."""
    sweep = tmp_path / "optuna"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pointrecon.cli.train",
            "experiment=optuna_demo",
            "debug=fast",
            "hydra.sweeper.n_trials=2",
            "data.batch_size=4",
            "data.train.num_samples=8",
            "data.val.num_samples=4",
            "data.test.num_samples=4",
            "trainer.render_every=0",
            "trainer.tensorboard=false",
            f"paths.root_dir={tmp_path}",
            f"paths.cache_dir={data_cache}",
            f"hydra.sweep.dir={sweep}",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    runs = sorted(sweep.rglob("final_metrics.json"))  # paths in overrides nest folders
    assert len(runs) == 2
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"optim.lr", "model.window", "model.steps"}
    values = [json.loads(p.read_text())["best_val"]["cd_l1"] for p in runs]
    assert best["best_value"] == pytest.approx(min(values))
    assert sweep_report_main([str(sweep)]) == 0
    assert (sweep / "sweep_report.png").is_file()
