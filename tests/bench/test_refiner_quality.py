"""benchmarks/bm_refiner_quality.py at tiny sizes: config-named variants, several seeds and their
summary. No CD value is asserted."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bm():
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(
        "bm_refiner_quality", BENCH / "bm_refiner_quality.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_config_variants_keep_their_sizes(bm):
    todo = bm.cases(["gru", "gru_fast", "conv"], [16, 32])
    names = [(n, h) for n, _, h in todo]
    assert names == [
        ("gru", 128),
        ("gru_fast", 64),
        ("conv, hidden=16", 16),
        ("conv, hidden=32", 32),
    ]
    gru, fast = todo[0][1], todo[1][1]
    assert (gru["local"], gru["embed"], gru["feat_channels"]) == ("knn", "concat", 64)
    assert (fast["local"], fast["embed"], fast["feat_channels"]) == ("conv", "sum", 64)
    model = bm.build(fast, 32, 0, 8, 8)  # the config's sizes win over the arguments
    assert model.refiner.rnn.hidden_size == 64
    with pytest.raises(SystemExit):
        bm.cases(["nope"], [32])


def test_summarize_pairs_by_seed(bm):
    rows = [
        {"variant": "a", "seed": 0, "cd_l1_x1e3": 10.0, "cd_l1_decoder_x1e3": 12.0, "train_s": 1.0},
        {"variant": "b", "seed": 0, "cd_l1_x1e3": 11.0, "cd_l1_decoder_x1e3": 12.0, "train_s": 1.0},
        {"variant": "a", "seed": 1, "cd_l1_x1e3": 20.0, "cd_l1_decoder_x1e3": 22.0, "train_s": 3.0},
        {"variant": "b", "seed": 1, "cd_l1_x1e3": 23.0, "cd_l1_decoder_x1e3": 22.0, "train_s": 1.0},
    ]
    a, b = bm.summarize(rows)
    assert (a["variant"], a["n"], a["cd_l1_x1e3_mean"], a["train_s_mean"]) == ("a", 2, 15.0, 2.0)
    assert a["cd_l1_x1e3_std"] == pytest.approx(50**0.5)
    assert (a["diff_to_first_mean"], a["diff_to_first_std"]) == (0.0, 0.0)
    assert b["diff_to_first_mean"] == 2.0 and b["diff_to_first_std"] == pytest.approx(2**0.5)


def test_tiny_run_with_seeds(bm, tmp_path):
    argv = ["--pretrain", "2", "--iters", "2", "--M", "32", "--N", "32", "--gt", "32"]
    argv += ["--train", "4", "--test", "2", "--batch", "2", "--seeds", "0", "1"]
    assert (
        bm.main([*argv, "--variants", "gru_fast", "none (local_k=0)", "--out", str(tmp_path)]) == 0
    )
    data = json.loads((tmp_path / "refiner_quality.json").read_text())
    assert [(r["variant"], r["seed"]) for r in data["rows"]] == [
        ("gru_fast", 0), ("none (local_k=0)", 0), ("gru_fast", 1), ("none (local_k=0)", 1),
    ]  # fmt: skip
    assert [s["n"] for s in data["summary"]] == [2, 2]
    md = (tmp_path / "refiner_quality.md").read_text()
    assert "seeds [0, 1]" in md and "minus gru_fast" in md and "| gru_fast | 2 |" in md
