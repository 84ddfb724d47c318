"""benchmarks/bm_refiner_ratio.py at tiny sizes: variant parsing, the baseline being the same
module with W = 0, and the report's fields. No timing is asserted."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bm():
    return _load("bm_refiner_ratio")


def test_parse_variant(bm):
    assert bm._parse_variant("conv/sum") == {"local": "conv", "embed": "sum"}
    assert bm._parse_variant("knn/concat/64") == {"local": "knn", "embed": "concat", "hidden": 64}
    with pytest.raises(argparse.ArgumentTypeError):
        bm._parse_variant("conv")


def test_full_length_baseline_is_the_same_module():
    bm_models = _load("bm_models")
    dev = torch.device("cpu")
    kw = {"steps": 1, "local": "conv", "embed": "sum", "hidden": 64}
    win = bm_models.build("refiner", "gru", 32, dev, None, window=64, **kw)
    full = bm_models.build("refiner", "gru", 32, dev, None, window=0, **kw)
    assert (win.window, full.window) == (64, 0)
    assert win.rnn.hidden_size == full.rnn.hidden_size == 64
    a, b = win.state_dict(), full.state_dict()
    assert a.keys() == b.keys()
    assert all(a[k].shape == b[k].shape for k in a)
    assert full.local_conv is not None and win.local_conv is not None  # local features in both


def test_tiny_run_reports_rows(bm, tmp_path):
    argv = ["--N", "256", "--B", "1", "--pairs", "2", "--rnn-alone", "--out", str(tmp_path)]
    assert bm.main([*argv, "--variants", "conv/sum/16", "knn/concat"]) == 0
    rows = json.loads((tmp_path / "refiner_ratio.json").read_text())["rows"]
    assert [(r["local"], r["embed"], r.get("hidden")) for r in rows] == [
        ("conv", "sum", 16),
        ("knn", "concat", None),
    ]
    for r in rows:
        assert len(r["window_ms"]) == len(r["full_ms"]) == len(r["rnn_full_ms"]) == 2
        assert r["ratio_min"] <= r["ratio_median"] <= r["ratio_max"]
        assert r["rnn_ratio_median"] > 0
    md = (tmp_path / "refiner_ratio.md").read_text()
    assert "| conv | sum | 16 |" in md and "| knn | concat | 128 |" in md
    assert "The RNN alone" in md
