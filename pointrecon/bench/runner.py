"""Collect the cases of the selected suites, run them, write ``bench.json`` and ``bench.md``."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import resource
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from pointrecon.bench.case import Case
from pointrecon.bench.env import environment
from pointrecon.bench.report import add_speedups, markdown_table
from pointrecon.bench.roofline import measure_peak_bandwidth, measure_peak_flops
from pointrecon.bench.timing import run_case
from pointrecon.utils.atomic import atomic_write_text

SCHEMA = "pointrecon.bench/1"
SUITES = ("ops", "models", "train_step")


def resolve_device(name: str) -> torch.device:
    """``auto`` -> ``cuda`` when available, else ``cpu``; checks that CUDA exists if asked."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"device: expected auto, cpu, cuda or cuda:<i>, got {name!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {name!r} requested but torch.cuda.is_available() is False")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device: expected auto, cpu, cuda or cuda:<i>, got {name!r}")
    return device


def resolve_sizes(sizes: Any, device: torch.device, conf_dir: str | Path) -> dict[str, Any]:
    """The size preset as a plain dict.

    ``sizes`` is the composed ``bench.sizes`` node (``bench/sizes=<preset>`` picks the group
    option) or a bare preset name (``bench.sizes=gpu`` on the command line). The preset file
    ``pointrecon/conf/bench/sizes/<preset>.yaml`` is the base and the node's other keys are merged over it.
    Preset ``auto`` means ``gpu`` on CUDA and ``cpu`` otherwise.
    """
    if isinstance(sizes, str):
        sizes = OmegaConf.create({"preset": sizes})
    elif not isinstance(sizes, DictConfig):
        sizes = OmegaConf.create(dict(sizes or {}))
    name = str(sizes.get("preset", "auto"))
    if name == "auto":
        name = "gpu" if device.type == "cuda" else "cpu"
    folder = Path(conf_dir) / "bench" / "sizes"
    available = sorted(p.stem for p in folder.glob("*.yaml") if p.stem != "auto")
    if name not in available:
        raise ValueError(f"bench.sizes: expected one of {['auto', *available]}, got {name!r}")
    base = OmegaConf.load(folder / f"{name}.yaml")
    extra = OmegaConf.masked_copy(sizes, [k for k in sizes if k != "preset"])
    merged = OmegaConf.merge(base, extra, {"preset": name})
    return OmegaConf.to_container(merged, resolve=True)


def load_case_module(suite: str, cases_dir: str | Path | None = None) -> ModuleType:
    """The case module of ``suite``: ``pointrecon.bench.suites.bm_<suite>``, or
    ``<cases_dir>/bm_<suite>.py`` imported by path when ``cases_dir`` is given."""
    if suite not in SUITES:
        raise ValueError(f"bench.suites: expected names from {SUITES}, got {suite!r}")
    if not cases_dir:
        return importlib.import_module(f"pointrecon.bench.suites.bm_{suite}")
    path = Path(cases_dir) / f"bm_{suite}.py"
    if not path.is_file():
        raise FileNotFoundError(f"bench.cases_dir: no case file {path}")
    name = f"pointrecon_bench_cases_{suite}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def collect_cases(
    suites: list[str], sizes: Mapping[str, Any], device: torch.device, cases_dir: Any = None
) -> tuple[list[Case], list[dict[str, Any]]]:
    """Cases of every suite, plus error records for suites whose case factory failed.

    A suite without a section in the size preset contributes no case."""
    cases: list[Case] = []
    errors: list[dict[str, Any]] = []
    for suite in suites:
        if sizes.get(suite) is None:  # the preset has no sizes for this suite: nothing to run
            continue
        try:
            module = load_case_module(suite, cases_dir)
            cases += module.cases(dict(sizes.get(suite) or {}), device)
        except Exception as exc:
            errors.append(
                {
                    "key": f"{suite}/<collect>",
                    "suite": suite,
                    "group": "<collect>",
                    "impl": "-",
                    "reference": False,
                    "params": {},
                    "dtype": "",
                    "shapes": {},
                    "device": str(device),
                    "status": "error",
                    "reason": f"{type(exc).__name__}: {exc}",
                    "forward": None,
                    "forward_backward": None,
                    "roofline": None,
                    "tags": {},
                }
            )
    return cases, errors


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process so far: on a shared machine, a better guide than
    the wall time to how long the run takes on an idle one."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


def run_benchmarks(cfg: DictConfig, out_dir: str | Path, conf_dir: str | Path) -> dict[str, Any]:
    """Run the suites of ``cfg.bench.suites`` and write ``bench.json`` / ``bench.md`` in
    ``out_dir``. Returns the report (the JSON's content)."""
    started = time.perf_counter()
    device = resolve_device(str(cfg.device))
    sizes = resolve_sizes(cfg.bench.sizes, device, conf_dir)
    timing = dict(sizes.get("timing") or {})
    suites = list(cfg.bench.suites)
    torch.manual_seed(int(cfg.seed))
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg.threads))
    env = environment(device)
    if cfg.get("roofline", True):
        peak = measure_peak_flops(device, size=cfg.get("peak_matmul_size"))
        env["peak_fp32_gflops"] = peak / 1e9
        bandwidth = measure_peak_bandwidth(device)
        env["peak_bandwidth_gbps"] = bandwidth / 1e9
    else:
        peak = bandwidth = None
        env["peak_fp32_gflops"] = env["peak_bandwidth_gbps"] = None
    cases, results = collect_cases(suites, sizes, device, cfg.get("cases_dir"))
    bar = tqdm(cases, desc="bench", unit="case", file=sys.stderr, dynamic_ncols=True)
    for case in bar:
        bar.set_postfix_str(case.key[:60])
        results.append(
            run_case(
                case,
                device,
                pool=int(timing.get("pool", 4)),
                warmup=int(timing.get("warmup", 2)),
                min_runs=int(timing.get("min_runs", 5)),
                max_runs=int(timing.get("max_runs", 50)),
                max_time_s=float(timing.get("max_time_s", 2.0)),
                peak_flops=peak,
                peak_bandwidth=bandwidth,
                measure_memory=bool(timing.get("memory", True)),
            )
        )
    add_speedups(results)
    report = {
        "schema": SCHEMA,
        "env": env,
        "config": {
            "suites": suites,
            "device": str(device),
            "sizes": sizes,
            "seed": int(cfg.seed),
        },
        "results": results,
        "wall_s": time.perf_counter() - started,
        "cpu_s": _cpu_seconds(),
    }
    text = json.dumps(report, indent=1, default=str) + "\n"
    table = markdown_table(results, env) + "\n"
    targets = [Path(out_dir) / "bench"]
    if cfg.get("results_dir"):
        targets.append(Path(str(cfg.results_dir)) / result_name(env))
    for stem in targets:
        atomic_write_text(stem.with_suffix(".json"), text)
        atomic_write_text(stem.with_suffix(".md"), table)
    return report


def result_name(env: dict[str, Any]) -> str:
    """``<device type>-<device name>-<YYYYMMDD>`` as a file stem, e.g. ``cuda-nvidia-h100-...``."""
    name = re.sub(r"[^a-z0-9]+", "-", str(env.get("device_name", "unknown")).lower()).strip("-")
    kind = str(env.get("device", "cpu")).split(":")[0]
    day = str(env.get("timestamp", ""))[:10].replace("-", "")
    return f"{kind}-{name}-{day}"
