"""trainer.select_metric: which validation metric picks the best checkpoint (monitor still works)."""

from __future__ import annotations

import csv
import json

import pytest
from omegaconf import OmegaConf

from pointrecon.cli.train import run_train
from pointrecon.errors import ConfigError
from pointrecon.train.assembly import selection_metric

SMALL = [
    "data.batch_size=4",
    "data.train.num_samples=8",
    "data.val.num_samples=4",
    "data.test.num_samples=4",
    "trainer.max_epochs=3",
]


def test_select_metric_overrides_monitor_and_monitor_still_works():
    cfg = OmegaConf.create
    assert selection_metric(cfg({"monitor": "cd_l1", "select_metric": None})) == ("cd_l1", True)
    assert selection_metric(cfg({"monitor": "cd_l2"})) == ("cd_l2", True)  # older configs
    assert selection_metric(cfg({"monitor": "cd_l1", "select_metric": "fscore"})) == (
        "fscore",
        False,
    )
    with pytest.raises(ConfigError, match="trainer.select_metric.*'cd_l3'"):
        selection_metric(cfg({"monitor": "cd_l1", "select_metric": "cd_l3"}))


@pytest.mark.parametrize("metric", ["fscore", "emd", "dcd"])
def test_best_checkpoint_is_chosen_by_select_metric(tiny_cfg, tmp_path, metric):
    cfg = tiny_cfg(*SMALL, f"trainer.select_metric={metric}")
    assert cfg.trainer.monitor == "cd_l1"  # the default of the older key does not interfere
    run_train(cfg, tmp_path / "train")
    with open(tmp_path / "train" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    values = [float(r[f"val_{metric}"]) for r in rows]
    best = json.loads((tmp_path / "train" / "final_metrics.json").read_text())["best_epoch"]
    pick = max if metric == "fscore" else min
    assert values[best - 1] == pick(values)
