"""The per-difficulty table of a ShapeNet-55 test evaluation, as ``pointrecon eval`` saves it."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import numpy as np
import pytest
from torch import nn
from torch.utils.data import DataLoader

from pointrecon.cli.evaluate import report_difficulties
from pointrecon.data import collate_completion
from pointrecon.data.shapenet55 import ShapeNet55
from pointrecon.train.difficulty import difficulty_tables, has_difficulties
from pointrecon.train.evaluator import evaluate_model

CHAIR, MUG = "03001627", "03797390"


@pytest.fixture(scope="module")
def sn_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("ShapeNet55-34")
    rng = np.random.default_rng(0)
    names = [f"{CHAIR}-m1.npy", f"{CHAIR}-m2.npy", f"{MUG}-m3.npy"]
    (root / "shapenet_pc").mkdir()
    for name in names:
        pts = rng.standard_normal((8192, 3)) * [3.0, 1.0, 0.5]
        np.save(root / "shapenet_pc" / name, pts.astype(np.float32))
    (root / "ShapeNet-55").mkdir()
    for split in ("train", "test"):
        (root / "ShapeNet-55" / f"{split}.txt").write_text("\n".join(names) + "\n")
    return root


def test_eval_prints_and_saves_the_per_difficulty_table(sn_root, tmp_path, capsys):
    ds = ShapeNet55(sn_root, "test", n_partial=256, n_complete=1024, sampling="random")
    loader = DataLoader(ds, batch_size=24, collate_fn=collate_completion)
    result = evaluate_model(
        Echo(), loader, tmp_path, baselines=["input"], progress=False, save_samples=0
    )
    tables = report_difficulties(result, tmp_path, "echo on test")
    out = capsys.readouterr().out
    assert "CD-L1 (x1e3) per difficulty" in out and "easy (Simple)" in out
    assert set(tables) == {"model", "input"}
    saved = json.loads((tmp_path / "metrics_by_difficulty.json").read_text())["tables"]
    assert saved == json.loads(json.dumps(tables))
    assert len(list(csv.DictReader((tmp_path / "metrics_by_difficulty.csv").open()))) == 2 * 4
    rows = list(csv.DictReader((tmp_path / "per_sample.csv").open()))
    assert len(rows) == 3 * 24 and has_difficulties(rows)
    for method, table in tables.items():
        assert list(table) == ["easy", "median", "hard", "avg"]
        prefix = "" if method == "model" else f"{method}_"
        for metric in ("cd_l1", "cd_l2", "fscore"):
            # the mean row is the mean of the three difficulty rows
            three = [table[d][metric] for d in ("easy", "median", "hard")]
            assert table["avg"][metric] == pytest.approx(np.mean(three))
            # each row: mean over categories of the per-category means (PoinTr)
            for d in ("easy", "median", "hard"):
                per_cat = [
                    np.mean([float(r[prefix + metric]) for r in rows if cat_is(r, c, d)])
                    for c in ("chair", "mug")
                ]
                assert table[d][metric] == pytest.approx(np.mean(per_cat), rel=1e-6)
    # harder crops leave less of the shape: the echoed input's CD grows with difficulty
    for method in ("model", "input"):
        cd = [tables[method][d]["cd_l1"] for d in ("easy", "median", "hard")]
        assert cd[0] < cd[1] < cd[2]


class Echo(nn.Module):
    """A stand-in model whose completion is its input."""

    def forward(self, partial, lengths=None, images=None):
        return SimpleNamespace(fine=partial)


def cat_is(row, category, difficulty):
    return row["category"] == category and row["id"].split("__")[1].startswith(difficulty)


def test_no_table_for_splits_without_difficulties(sn_root, tmp_path):
    ds = ShapeNet55(sn_root, "val", n_partial=256, n_complete=1024, sampling="random")
    loader = DataLoader(ds, batch_size=3, collate_fn=collate_completion)
    result = evaluate_model(
        None, loader, tmp_path, baselines=["input"], progress=False, save_samples=0
    )
    assert report_difficulties(result, tmp_path, "val") is None
    assert not (tmp_path / "metrics_by_difficulty.json").exists()
    with pytest.raises(ValueError, match="no metric column for method 'model'"):
        difficulty_tables([{"id": "a__easy_v0", "cd_l1": 1.0}], ["input", "model"])


def test_has_difficulties_needs_every_row():
    rows = [{"id": "a__easy_v0"}, {"id": "b", "difficulty": "hard"}]
    assert has_difficulties(rows)
    assert not has_difficulties(rows + [{"id": "c"}])
    assert not has_difficulties([{"id": "d", "difficulty": "random"}])
    assert not has_difficulties([])
