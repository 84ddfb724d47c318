"""Models that ship inside the package, ready to complete a scan without training.

Each model is a folder beside this file holding ``model.safetensors`` (the weights),
``config.yaml`` (the model config and the scan settings it was trained for, checked against the
allow-list like any checkpoint config) and ``MODEL_CARD.md`` (data, recipe, frame and
orientation assumptions, measured results).

>>> from pointrecon import pretrained
>>> model = pretrained.load("default")          # a CompletionNet in eval mode, on the CPU
>>> pretrained.path("default")                 # the folder, usable wherever a ckpt= is taken
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from pointrecon.errors import CheckpointError

_ROOT = Path(__file__).resolve().parent


def available() -> list[str]:
    """Names of the shipped models (folders with weights beside this module)."""
    return sorted(p.name for p in _ROOT.iterdir() if (p / "model.safetensors").is_file())


def path(name: str = "default") -> Path:
    """The folder of shipped model ``name``; a checkpoint folder for ``ckpt=`` arguments."""
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError(f"name must be the name of a shipped model, got {name!r}")
    folder = _ROOT / name
    if not (folder / "model.safetensors").is_file():
        raise CheckpointError(
            f"{folder}: no shipped model named {name!r} (available: {available() or 'none'})"
        )
    return folder


def load(name: str = "default", device: str = "cpu") -> nn.Module:
    """The shipped model ``name`` in eval mode on ``device``, built through the allow-list."""
    from pointrecon.train import checkpoint as ckpt_io
    from pointrecon.utils.instantiate import instantiate

    folder = path(name)
    cfg = ckpt_io.load_config(folder)
    model = instantiate(cfg.model)
    ckpt_io.load_weights(model, folder, device=device)
    return model.to(device).eval()


def num_input_points(name: str = "default") -> int:
    """The partial size the shipped model ``name`` was trained with."""
    from pointrecon.train import checkpoint as ckpt_io

    cfg = ckpt_io.load_config(path(name))
    return int(cfg.data.train.n_partial)


__all__ = ["available", "load", "num_input_points", "path"]
