"""End-to-end training step: encoder + decoder + refiner + chamfer + optimizer step.

Run with the suite (``pointrecon bench bench=train_step``) or alone:
``python -m pointrecon.bench.suites.bm_train_step [hydra overrides]``. Sizes come from
``pointrecon/conf/bench/sizes/<preset>.yaml`` (key ``train_step``): partial inputs of ``N`` points
completed to ``M`` (2048 -> 16384, batch 32 on GPU), in fp32 and bf16 autocast, eager and
``torch.compile``. One timed call is a whole step: zero_grad, forward, Chamfer-L1 on the coarse
output and on every refiner step (in fp32), backward, AdamW step. The reference of each group
is eager fp32.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import torch

from pointrecon.bench.case import Case, failed_case
from pointrecon.bench.inputs import grid, random_points

SUITE = "train_step"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def _chamfer_l1():
    try:
        from pointrecon.losses import ChamferLoss

        return ChamferLoss(kind="l1", reduction="mean")
    except ImportError:
        from pointrecon.metrics import chamfer_l1

        return lambda pred, gt: chamfer_l1(pred, gt, reduction="mean")


def build_model(s: dict, device: torch.device) -> torch.nn.Module:
    """Reconstructor from ``pointrecon/conf/model/{encoder,decoder,refiner}/<name>.yaml`` (+ overrides)."""
    from omegaconf import OmegaConf

    from pointrecon.bench.suites import bm_models
    from pointrecon.utils.instantiate import instantiate

    root = bm_models.conf_root() / "model"
    node = OmegaConf.create({"_target_": "pointrecon.models.Reconstructor"})
    for kind in ("encoder", "decoder", "refiner"):
        node[kind] = bm_models._load_with_defaults(root / kind / f"{s.get(kind)}.yaml")
        for key, value in (s.get(f"{kind}_overrides") or {}).items():
            node[kind][key] = value
    return instantiate(node).to(device)


def make_step(model, loss_fn, optimizer, dtype: torch.dtype, device: torch.device):
    forward = model

    def step(partial: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        ctx = (
            torch.autocast(device_type=device.type, dtype=dtype)
            if dtype != torch.float32
            else contextlib.nullcontext()
        )
        with ctx:
            out = forward(partial)
        loss = loss_fn(out.coarse.float(), gt)
        for pts in out.steps or [out.fine]:
            loss = loss + loss_fn(pts.float(), gt)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def cases(sizes: dict[str, Any], device: torch.device) -> list[Case]:
    """Training-step cases over the grid ``B``, ``N``, ``M``, ``dtype``, ``compile``.

    Keys besides the grid: ``encoder``, ``decoder``, ``refiner`` (config names) and
    ``<kind>_overrides`` (e.g. ``decoder_overrides: {num_coarse: 128}`` for small CPU sizes;
    ``M`` must equal the decoder's output size), ``lr``.
    """
    s = {"encoder": "pcn", "decoder": "coarse_to_fine", "refiner": "gru", "lr": 1e-4, **sizes}
    spec = {k: s[k] for k in ("B", "N", "M", "dtype", "compile") if k in s}
    defaults = {"B": 32, "N": 2048, "M": 16384, "dtype": ["float32", "bfloat16"]}
    group = f"{s['encoder']}+{s['decoder']}+{s['refiner']}"
    out: list[Case] = []
    for p in grid(spec, {**defaults, "compile": [False, True]}):
        B, N, M, dtype, compiled = p["B"], p["N"], p["M"], p["dtype"], bool(p["compile"])
        impl = f"{'compile' if compiled else 'eager'}-{dtype}"
        try:
            if dtype not in DTYPES:
                raise ValueError(f"train_step.dtype: expected one of {list(DTYPES)}, got {dtype!r}")
            model = build_model(s, device)
            if compiled:
                model = torch.compile(model)
            opt = torch.optim.AdamW(model.parameters(), lr=float(s["lr"]))
            step = make_step(model, _chamfer_l1(), opt, DTYPES[dtype], device)
        except Exception as exc:
            out.append(failed_case(SUITE, group, exc))
            continue
        out.append(
            Case(
                suite=SUITE,
                group=group,
                impl=impl,
                params={"B": B, "N": N, "M": M},
                make_inputs=lambda seed, B=B, N=N, M=M: (
                    random_points(2 * seed, B, N, device),
                    random_points(2 * seed + 1, B, M, device),
                ),
                fn=step,
                backward=False,
                no_grad_forward=False,
                on_mode=lambda backward, model=model: model.train(),
                reference=impl == "eager-float32",
                dtype=dtype,
                tags={"compile": compiled, "step": "zero_grad+forward+chamfer_l1+backward+adamw"},
            )
        )
    return out


if __name__ == "__main__":
    from pointrecon.cli.bench import main

    sys.argv = [sys.argv[0], f"bench={SUITE}", *sys.argv[1:]]
    sys.exit(main())
