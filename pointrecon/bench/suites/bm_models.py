"""Model benchmarks: every encoder, decoder and refiner config; windowed vs full-length RNN.

Run with the suite (``pointrecon bench bench=models``) or alone: ``python -m pointrecon.bench.suites.bm_models
[hydra overrides]``. Sizes come from ``pointrecon/conf/bench/sizes/<preset>.yaml`` (key ``models``).

Components are built from ``pointrecon/conf/model/{encoder,decoder,refiner}/<name>.yaml`` through the
instantiate allow-list, with the global code width set to ``code`` (the ``${..encoder.
out_channels}`` interpolation resolves against a parent node this file provides). Forward is
timed in eval mode under ``no_grad``; forward+backward in train mode, gradients reset untimed.

Group ``rnn/<cell>`` is the sequence refiner built from ``refiner/gru.yaml`` with ``cell`` and
``window`` overridden (everything else equal); its reference is the full-length run
(``window=0``), so the "vs ref" column is the windowed speed-up. The grid may also set ``steps``,
``embed`` (``concat`` or ``sum`` of the per-point embeddings) and ``local`` (where the refiner's local context comes from: ``knn`` searched every step,
``knn_once``, or ``conv`` along the sequence); each value is compared with its own full-length run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from pointrecon.bench.case import Case, failed_case
from pointrecon.bench.inputs import grid, random_points

SUITE = "models"


def conf_root() -> Path:
    from pointrecon.cli._paths import conf_dir

    return Path(conf_dir())


def component_names(kind: str) -> list[str]:
    """Config names under ``pointrecon/conf/model/<kind>/`` (``encoder``, ``decoder``, ``refiner``)."""
    return sorted(p.stem for p in (conf_root() / "model" / kind).glob("*.yaml"))


def _load_with_defaults(path: Path) -> DictConfig:
    """A group option with its same-group ``defaults`` (e.g. ``identity`` = ``gru`` + steps 0)
    merged under it, as Hydra composes it."""
    node = OmegaConf.load(path)
    bases = [d for d in node.pop("defaults", []) if isinstance(d, str) and d != "_self_"]
    merged = [_load_with_defaults(path.with_name(f"{b}.yaml")) for b in bases]
    return OmegaConf.merge(*merged, node) if merged else node


def component_config(kind: str, name: str, code: int, **overrides: Any) -> DictConfig:
    """``pointrecon/conf/model/<kind>/<name>.yaml`` inside a parent node whose encoder has ``code`` channels."""
    path = conf_root() / "model" / kind / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{kind}: no config {path}")
    node = _load_with_defaults(path)
    parent = OmegaConf.create({"encoder": {"out_channels": code}})
    if kind != "encoder":
        parent[kind] = node
        node = parent[kind]
    for key, value in overrides.items():
        node[key] = value
    return node


def build(
    kind: str, name: str, code: int, device: torch.device, s: dict | None = None, **overrides: Any
):
    """Instantiate a component config; ``s["overrides"][kind][name]`` (size preset) and
    ``overrides`` replace keys of the YAML (e.g. narrower layers for the tiny preset)."""
    from pointrecon.utils.instantiate import instantiate

    preset = ((s or {}).get("overrides") or {}).get(kind) or {}
    merged = {**(preset.get(name) or {}), **overrides}
    return instantiate(component_config(kind, name, code, **merged)).to(device)


def random_images(seed: int, batch: int, height: int, width: int, device) -> torch.Tensor:
    """Depth-like images (B, 1, H, W): values in [1, 3] with about 30 % empty (0) pixels."""
    gen = torch.Generator().manual_seed(10_007 * seed + height)
    depth = 1 + 2 * torch.rand(batch, 1, height, width, generator=gen)
    hit = torch.rand(batch, 1, height, width, generator=gen) > 0.3
    return (depth * hit).to(device)


def random_code(seed: int, batch: int, code: int, device) -> torch.Tensor:
    gen = torch.Generator().manual_seed(7 * seed + code)
    return torch.randn(batch, code, generator=gen).to(device)


def _module_case(module: torch.nn.Module, **kwargs: Any) -> Case:
    return Case(
        suite=SUITE,
        fn=module,
        before_each=lambda: module.zero_grad(set_to_none=True),
        on_mode=lambda backward: module.train(backward),
        **kwargs,
    )


def _guard(group: str, factory) -> list[Case]:
    try:
        return factory()
    except Exception as exc:  # the config or model is broken: record and go on
        return [failed_case(SUITE, group, exc)]


def encoder_cases(s: dict, device: torch.device) -> list[Case]:
    out = []
    B, N, code = int(s.get("B", 2)), int(s.get("N", 2048)), int(s.get("code", 1024))
    H, W = s.get("image", [120, 160])
    names = s.get("encoders")
    for name in component_names("encoder") if names is None else names:

        def make(name=name) -> list[Case]:
            model = build("encoder", name, code, device, s)
            if "image" in name:
                params = {"B": B, "H": H, "W": W}
                inputs = lambda seed: (random_images(seed, B, H, W, device),)  # noqa: E731
            else:
                params = {"B": B, "N": N}
                inputs = lambda seed: (random_points(seed, B, N, device),)  # noqa: E731
            return [
                _module_case(
                    model,
                    group=f"encoder/{name}",
                    impl="pointrecon",
                    params=params,
                    make_inputs=inputs,
                    loss=lambda o: o.code.sum(),
                )
            ]

        out += _guard(f"encoder/{name}", make)
    return out


def decoder_cases(s: dict, device: torch.device) -> list[Case]:
    out = []
    B, code = int(s.get("B", 2)), int(s.get("code", 1024))
    names = s.get("decoders")
    for name in component_names("decoder") if names is None else names:

        def make(name=name) -> list[Case]:
            model = build("decoder", name, code, device, s)
            return [
                _module_case(
                    model,
                    group=f"decoder/{name}",
                    impl="pointrecon",
                    params={"B": B, "C": code},
                    make_inputs=lambda seed: (random_code(seed, B, code, device),),
                )
            ]

        out += _guard(f"decoder/{name}", make)
    return out


def refiner_cases(s: dict, device: torch.device) -> list[Case]:
    out = []
    B, M, code = int(s.get("B", 2)), int(s.get("M", 2048)), int(s.get("code", 1024))
    names = s.get("refiners")
    for name in component_names("refiner") if names is None else names:

        def make(name=name) -> list[Case]:
            model = build("refiner", name, code, device, s)
            has_params = any(True for _ in model.parameters())
            return [
                _module_case(
                    model,
                    group=f"refiner/{name}",
                    impl="pointrecon",
                    params={"B": B, "M": M},
                    make_inputs=lambda seed: (
                        random_points(seed, B, M, device),
                        random_code(seed, B, code, device),
                    ),
                    backward=has_params,
                    grad_args=(1,),
                )
            ]

        out += _guard(f"refiner/{name}", make)
    return out


def rnn_cases(spec: Any, s: dict, device: torch.device) -> list[Case]:
    out = []
    code = int(s.get("code", 1024))
    defaults = {"B": 2, "N": [2048, 16384], "window": [64, 0], "cell": ["gru", "lstm"]}
    for p in grid(spec, {**defaults, "steps": None, "local": None, "embed": None}):
        B, N, window, cell = p["B"], p["N"], p["window"], p["cell"]
        extra = {k: p[k] for k in ("steps", "local", "embed") if k in p}

        def make(B=B, N=N, window=window, cell=cell, p=p, extra=extra) -> list[Case]:
            model = build("refiner", "gru", code, device, s, cell=cell, window=window, **extra)
            params = {k: v for k, v in p.items() if k not in ("window", "cell")}
            return [
                _module_case(
                    model,
                    group=f"rnn/{cell}",
                    impl="full" if window == 0 else f"window={window}",
                    params=params,
                    reference=window == 0,
                    make_inputs=lambda seed: (
                        random_points(seed, B, N, device),
                        random_code(seed, B, code, device),
                    ),
                    grad_args=(1,),
                    tags={"config": "refiner/gru.yaml", "overrides": {"cell": cell, **extra}},
                )
            ]

        out += _guard(f"rnn/{cell}", make)
    return out


def cases(sizes: dict[str, Any], device: torch.device) -> list[Case]:
    """Every model case for the ``models`` section of a size preset.

    Keys: ``B``, ``N`` (encoder points), ``M`` (refiner points), ``code`` (global code width),
    ``image`` ([H, W]), optional name lists ``encoders``/``decoders``/``refiners`` (None: every config,
    [] none), ``rnn`` (grid over ``B``, ``N``, ``window``, ``cell``, ``steps``) and ``overrides``
    (``{kind: {name: {key: value}}}`` replacing config keys, e.g. narrow layers for smoke runs).
    """
    out = encoder_cases(sizes, device)
    out += decoder_cases(sizes, device)
    out += refiner_cases(sizes, device)
    if sizes.get("rnn") is not None:
        out += rnn_cases(sizes["rnn"], sizes, device)
    return out


if __name__ == "__main__":
    from pointrecon.cli.bench import main

    sys.argv = [sys.argv[0], f"bench={SUITE}", *sys.argv[1:]]
    sys.exit(main())
