"""CPU smoke run of the benchmark runner at tiny sizes: JSON schema and every case ran.

No timing is asserted: these only check that the suite runs end to end and reports what it must.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pointrecon.bench.runner import SCHEMA, collect_cases, resolve_device, resolve_sizes
from pointrecon.config import compose as compose_root
from pointrecon.config import conf_dir

STATS_KEYS = {"median_ms", "p20_ms", "p80_ms", "mean_ms", "min_ms", "max_ms", "runs"}
ENV_KEYS = {"device", "device_name", "driver", "cuda", "torch", "python", "packages", "timestamp"}
TINY = ["device=cpu", "bench/sizes=tiny", "peak_matmul_size=64"]
FAST = ["bench.sizes.timing.min_runs=1", "bench.sizes.timing.max_runs=1"]


def _compose(overrides):
    return compose_root("bench", overrides)


def _check_stats(stats, where):
    assert STATS_KEYS <= set(stats), where
    assert stats["runs"] >= 1
    assert stats["p20_ms"] <= stats["median_ms"] <= stats["p80_ms"], where
    assert isinstance(stats["peak_mem_bytes"], int) and stats["peak_mem_bytes"] >= 0, where
    assert stats["mem_method"] in ("rss_hwm", "ru_maxrss", "cuda_max_memory_allocated")


def _check_report(report, suites):
    assert report["schema"] == SCHEMA
    assert ENV_KEYS <= set(report["env"])
    assert report["env"]["peak_fp32_gflops"] > 0
    assert report["config"]["suites"] == suites
    assert report["config"]["sizes"]["preset"] == "tiny"
    for r in report["results"]:
        where = r["key"]
        assert {"suite", "group", "impl", "params", "dtype", "shapes", "device"} <= set(r)
        assert r["suite"] in suites
        assert r["status"] in ("ok", "skipped"), f"{where}: {r['status']} {r['reason']}"
        if r["status"] == "skipped":
            # only a peer that is not installed may be missing
            assert "not installed" in r["reason"], f"{where}: {r['reason']}"
            continue
        assert r["shapes"], where
        _check_stats(r["forward"], where)
        if r["forward_backward"] is not None:
            _check_stats(r["forward_backward"], where)
        if r["group"] == "knn" or r["group"].startswith("chamfer"):
            roof = r["roofline"]["forward"]
            assert roof["flops"] > 0 and roof["share"] > 0, where
    # every non-reference row's speed-up is the reference's median over its own, per mode
    ok = [r for r in report["results"] if r["status"] == "ok"]
    refs = {
        (r["suite"], r["group"], json.dumps(r["params"], sort_keys=True)): r
        for r in ok
        if r["reference"]
    }
    compared = 0
    for r in ok:
        ref = refs.get((r["suite"], r["group"], json.dumps(r["params"], sort_keys=True)))
        if ref is None or ref is r:
            continue
        assert r["vs_reference"]["impl"] == ref["impl"], r["key"]
        for mode in ("forward", "forward_backward"):
            if r[mode] is None or ref[mode] is None:
                continue
            want = ref[mode]["median_ms"] / r[mode]["median_ms"]
            assert r["vs_reference"][mode] == pytest.approx(want, rel=1e-9), (r["key"], mode)
            compared += 1
    assert compared > 0, "no row was compared with a reference"


def _run(tmp_path, suites, extra=()):
    from pointrecon.bench.runner import run_benchmarks

    cfg = _compose([*TINY, *FAST, f"bench.suites=[{','.join(suites)}]", *extra])
    device = resolve_device(cfg.device)
    sizes = resolve_sizes(cfg.bench.sizes, device, conf_dir())
    expected, errors = collect_cases(suites, sizes, device)
    assert not errors, errors
    report = run_benchmarks(cfg, tmp_path, conf_dir())
    on_disk = json.loads((tmp_path / "bench.json").read_text())
    assert on_disk["results"] == json.loads(json.dumps(report["results"], default=str))
    assert (tmp_path / "bench.md").read_text().count("\n| ") >= len(expected)
    _check_report(on_disk, suites)
    # every case of the preset ran (or was skipped as a missing peer), each exactly once
    keys = [r["key"] for r in on_disk["results"]]
    assert sorted(keys) == sorted(c.key for c in expected)
    assert len(set(keys)) == len(keys)
    return on_disk


def test_smoke_ops(tmp_path):
    report = _run(tmp_path, ["ops"])
    groups = {r["group"] for r in report["results"]}
    assert {"knn", "fps", "serialize", "chamfer_l1", "chamfer_l2", "emd"} <= groups
    ks = {r["params"]["K"] for r in report["results"] if r["group"] == "knn"}
    assert ks == {1, 8, 16}
    impls = {r["impl"] for r in report["results"] if r["group"] == "chamfer_l1"}
    assert {"pointrecon", "cdist", "scipy-ckdtree"} <= impls


def test_smoke_models_subset(tmp_path):
    # one case of each kind; the full model list runs in the slow test below
    extra = [
        "bench.sizes.models.encoders=[pointnet]",
        "bench.sizes.models.decoders=[fc]",
        "bench.sizes.models.refiners=[identity]",
        "bench.sizes.models.rnn.cell=[gru]",
        "bench.sizes.train_step.dtype=[float32]",
    ]
    report = _run(tmp_path, ["models", "train_step"], extra)
    keys = {(r["group"], r["impl"]) for r in report["results"]}
    assert keys == {
        ("encoder/pointnet", "pointrecon"),
        ("decoder/fc", "pointrecon"),
        ("refiner/identity", "pointrecon"),
        ("rnn/gru", "full"),
        ("rnn/gru", "window=16"),
        ("pcn+coarse_to_fine+gru", "eager-float32"),
    }
    windowed = next(r for r in report["results"] if r["impl"] == "window=16")
    assert windowed["vs_reference"]["impl"] == "full"


@pytest.mark.slow
def test_smoke_models_and_train_step(tmp_path):
    report = _run(tmp_path, ["models", "train_step"])
    groups = {r["group"] for r in report["results"]}
    assert {"encoder/pointnet", "decoder/folding", "refiner/gru", "rnn/gru", "rnn/lstm"} <= groups
    rnn = {r["impl"] for r in report["results"] if r["group"] == "rnn/gru"}
    assert rnn == {"full", "window=16"}
    steps = {r["impl"] for r in report["results"] if r["suite"] == "train_step"}
    assert steps == {"eager-float32", "eager-bfloat16"}


def test_sizes_presets_and_overrides():
    cfg = _compose(["device=cpu", "bench/sizes=tiny", "bench.sizes.ops.knn.N=96"])
    sizes = resolve_sizes(cfg.bench.sizes, resolve_device("cpu"), conf_dir())
    assert sizes["ops"]["knn"]["N"] == 96 and sizes["ops"]["fps"]["N"] == 256
    auto = _compose(["device=cpu"])  # default preset: auto -> cpu sizes on a CPU device
    assert resolve_sizes(auto.bench.sizes, resolve_device("cpu"), conf_dir())["preset"] == "cpu"
    named = _compose(["device=cpu", "bench.sizes=gpu"])  # a bare preset name also works
    gpu = resolve_sizes(named.bench.sizes, resolve_device("cpu"), conf_dir())
    assert gpu["train_step"]["B"] == 32 and gpu["train_step"]["M"] == 16384
    with pytest.raises(ValueError, match="bench.sizes"):
        resolve_sizes("huge", resolve_device("cpu"), conf_dir())
    # the targets preset: no train_step section, empty encoder/decoder/refiner lists
    targets = resolve_sizes("targets", resolve_device("cpu"), conf_dir())
    cases, errors = collect_cases(["models", "train_step"], targets, resolve_device("cpu"))
    assert not errors
    assert {(c.group, c.impl, c.params["N"]) for c in cases} == {
        ("rnn/gru", impl, n) for impl in ("full", "window=64") for n in (2048, 16384)
    }
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")


def test_gpu_check_preset_builds_every_case():
    sizes = resolve_sizes("gpu_check", resolve_device("cpu"), conf_dir())
    cases, errors = collect_cases(["ops", "models", "train_step"], sizes, resolve_device("cpu"))
    assert not errors
    chamfer = {
        c.impl: c
        for c in cases
        if c.group == "chamfer_l1" and c.params == {"B": 32, "N": 16384, "kind": "l1", "M": 16384}
    }
    assert {"pointrecon", "pointrecon-chunked", "cdist"} <= set(chamfer)
    assert chamfer["pointrecon"].flops == 8 * 32 * 16384 * 16384 * 2
    assert chamfer["pointrecon"].bytes > 0 and chamfer["pointrecon"].backward_flops > 0
    assert chamfer["cdist"].skip  # the 32 x 16384 x 16384 matrix is over the preset's limit
    rnn = {(c.impl, c.params["local"]) for c in cases if c.group == "rnn/gru"}
    assert rnn == {(w, loc) for w in ("full", "window=64") for loc in ("knn", "conv")}
    steps = {c.impl for c in cases if c.suite == "train_step"}
    assert steps == {f"{m}-{d}" for m in ("eager", "compile") for d in ("float32", "bfloat16")}


def test_cli_writes_json_to_the_run_folder(tmp_path):
    cmd = [sys.executable, "-m", "pointrecon.cli.bench", *TINY, *FAST, "bench=ops"]
    cmd += ["bench.sizes.ops={knn: {B: 1, N: 32, K: [1]}}", f"hydra.run.dir={tmp_path}"]
    cmd += [f"results_dir={tmp_path / 'results'}"]
    cmd += ["bench.sizes.ops.fps=null", "bench.sizes.ops.serialize=null"]
    cmd += ["bench.sizes.ops.chamfer=null", "bench.sizes.ops.emd=null"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads((tmp_path / "bench.json").read_text())
    assert {r["group"] for r in report["results"]} == {"knn"}
    assert "| knn | naive (ref) |" in out.stdout  # the markdown table is printed at the end
    day = report["env"]["timestamp"][:10].replace("-", "")
    saved = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(saved) == 2 and saved[0].startswith("cpu-") and saved[0].endswith(f"-{day}.json")
    assert json.loads((tmp_path / "results" / saved[0]).read_text()) == report
