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
    from pointrecon.bench.suites import bm_models

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


def test_shipped_steps_read_the_config_and_keep_the_weights(bm):
    from omegaconf import OmegaConf

    from pointrecon import pretrained
    from pointrecon.models import LocalSequenceRefiner

    cfg = OmegaConf.load(pretrained.path("default") / "config.yaml").model
    sizes, steps = bm.shipped_steps("default")
    assert sizes["hidden"] == cfg.hidden and sizes["window"] == cfg.window
    assert sizes["point_channels"] == cfg.encoder.point_channels
    assert sizes["up_factors"] == list(cfg.up_factors)
    assert [i for i, _ in steps] == list(range(cfg.steps))  # the recurrent steps
    shipped = pretrained.load("default").state_dict()
    for i, win in steps:
        assert isinstance(win, LocalSequenceRefiner) and win.training
        assert (win.window, win.up_factor, win.hidden) == (
            cfg.window,
            cfg.up_factors[i],
            cfg.hidden,
        )
        assert win.local_k == cfg.local_k and win.pos_mlp[0].out_features == cfg.feat_channels
        full = bm.full_length_twin(win)
        assert (win.window, full.window) == (cfg.window, 0)  # the original is left windowed
        a, b = win.state_dict(), full.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) and a[k].data_ptr() != b[k].data_ptr() for k in a)
        assert all(torch.equal(a[k], shipped[f"refiners.{i}.{k}"]) for k in a)  # shipped weights


def test_full_length_twin_differs_only_by_window(bm):
    """At M <= W the windowed step is one window: the twin gives the very same outputs; past W
    they differ (the windows restart the RNN)."""
    _, steps = bm.shipped_steps("default")
    i, win = steps[-1]
    full = bm.full_length_twin(win)
    for n, same in ((win.window, True), (3 * win.window, False)):
        ins = bm.shipped_inputs(i, win, 1, n, 32, win.code_proj.in_features)
        a, b = win.step(*ins), full.step(*ins)
        assert [x.shape for x in a] == [x.shape for x in b]
        assert a[1].shape == (1, n * win.up_factor, 3)
        assert all(torch.equal(x, y) for x, y in zip(a, b)) is same


def test_shipped_inputs_pass_the_parents_unrepeated_or_repeated(bm):
    """Step 1 gets one parent row per r_prev points (as CompletionNet chains the steps), or with
    ``repeated`` the same rows repeated r_prev times; both give the same step outputs."""
    _, steps = bm.shipped_steps("default")
    i, win = steps[1]
    a = bm.shipped_inputs(i, win, 2, 40, 16, 512, parent_repeat=4)
    b = bm.shipped_inputs(i, win, 2, 40, 16, 512, parent_repeat=4, repeated=True)
    assert a[4].shape == (2, 10, 64) and a[5] == 4
    assert b[4].shape == (2, 40, 64) and b[5] == 1
    assert torch.equal(b[4], a[4].repeat_interleave(4, dim=1))
    new, old = win.step(*a), win(*b[:5])
    torch.testing.assert_close(new[0], old[0], rtol=0, atol=1e-6)
    torch.testing.assert_close(new[1], old[1], rtol=0, atol=1e-6)
    torch.testing.assert_close(new[2].repeat_interleave(7, dim=1), old[2], rtol=0, atol=1e-6)


def test_shipped_inputs_require_grad(bm):
    _, steps = bm.shipped_steps("default")
    for i, win in steps:
        points, partial, feats, code, parent, q = bm.shipped_inputs(i, win, 2, 40, 16, 512, 4)
        assert points.shape == (2, 40, 3) and partial.shape == (2, 16, 3)
        assert feats.shape == (2, 16, 128) and code.shape == (2, 512)
        assert (parent is None) == (i == 0)
        assert q == (4 if i else 1) and (i == 0 or parent.shape == (2, 10, 64))
        assert all(
            t.requires_grad for t in (points, partial, feats, code) + ((parent,) if i else ())
        )
        assert points.abs().max() <= 1 and partial.abs().max() <= 1


def test_tiny_shipped_run_reports_rows(bm, tmp_path):
    argv = ["--shipped", "--N", "96", "--partial", "24", "--B", "1", "--pairs", "2"]
    assert bm.main([*argv, "--breakdown", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "refiner_ratio.json").read_text())
    assert data["config"]["shipped"] == "default" and data["config"]["sizes"]["hidden"] == 64
    rows = data["rows"]
    assert [(r["step"], r["up_factor"], r["M_in"], r["M_out"]) for r in rows] == [
        (0, 4, 96, 384),
        (1, 7, 96, 672),
    ]
    for r in rows:
        for pre in ("", "local_", "seq_"):
            assert len(r[pre + "window_ms"]) == len(r[pre + "full_ms"]) == 2
            assert r[pre + "ratio_min"] <= r[pre + "ratio_median"] <= r[pre + "ratio_max"]
    assert [r["parent_rows"] for r in rows] == [None, 24]  # one row per parent of step 0
    md = (tmp_path / "refiner_ratio.md").read_text()
    assert "| 1 | 7 | 96 -> 672 |" in md and "| 0 | local features |" in md
    assert bm.main([*argv, "--repeated-parents", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "refiner_ratio.json").read_text())["rows"]
    assert [r["parent_rows"] for r in rows] == [None, 96] and rows[1]["repeated_parents"]


def test_parse_set(bm):
    assert bm._parse_set("local_k=2") == ("local_k", 2)
    assert bm._parse_set("embed=sum") == ("embed", "sum")
    with pytest.raises(argparse.ArgumentTypeError):
        bm._parse_set("embed")


def test_overrides_rebuild_the_steps(bm):
    """An override that keeps every parameter's shape keeps the shipped weights; one that changes
    the parameters (embed=sum) gives the requested module at the shipped sizes."""
    _, shipped = bm.shipped_steps("default")
    sizes, steps = bm.shipped_steps("default", {"local_k": 2})
    assert sizes["overrides"] == {"local_k": 2} and sizes["shipped_weights"]
    for (_, a), (_, b) in zip(shipped, steps):
        assert b.local_k == 2 and b.training and a.local_k != 2
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    sizes, steps = bm.shipped_steps("default", {"embed": "sum", "local": "linear", "local_k": 1})
    assert not sizes["shipped_weights"]
    for (_, a), (_, b) in zip(shipped, steps):
        assert (b.embed, b.local, b.local_k) == ("sum", "linear", 1)
        assert bm.refiner_kwargs(b) == {
            **bm.refiner_kwargs(a),
            "embed": "sum",
            "local": "linear",
            "local_k": 1,
        }
        assert b.rnn.input_size == 3 + b.pos_mlp[0].out_features


def test_tiny_shipped_run_with_overrides(bm, tmp_path):
    argv = ["--shipped", "--N", "96", "--partial", "24", "--B", "1", "--pairs", "1"]
    argv += ["--breakdown", "--out", str(tmp_path), "--set", "embed=sum", "local=linear"]
    assert bm.main(argv) == 0
    data = json.loads((tmp_path / "refiner_ratio.json").read_text())
    assert data["config"]["sizes"]["overrides"] == {"embed": "sum", "local": "linear"}
    assert len(data["rows"]) == 2
    md = (tmp_path / "refiner_ratio.md").read_text()
    assert "overridden: embed=sum local=linear, seeded random weights" in md


def test_set_needs_shipped(bm, tmp_path):
    with pytest.raises(SystemExit):
        bm.main(["--set", "embed=sum", "--out", str(tmp_path)])
