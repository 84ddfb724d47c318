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

    return ckpt_io.load_model(path(name), device=device)[0]


def num_input_points(name: str = "default") -> int:
    """The partial size the shipped model ``name`` was trained with."""
    from pointrecon.data.scan_spec import ScanSpec
    from pointrecon.train import checkpoint as ckpt_io

    cfg = ckpt_io.load_config(path(name))
    return ScanSpec.of(cfg.data.train).n_partial


#: the parts of a training config a shipped model keeps: what builds the model and what the
#: scans it was trained on looked like (no machine-specific paths)
_KEPT_KEYS = ("model", "seed", "task_name")
_KEPT_DATA_KEYS = ("scan", "n_partial", "n_complete", "num_views", "noise_std", "dropout", "distance",
                   "width", "height", "fov_deg", "elevation_deg", "categories", "num_samples",
                   "seed", "transform")  # fmt: skip


def export(ckpt: str | Path, folder: str | Path, *, overwrite: bool = False) -> Path:
    """Write the weights and the model-building part of checkpoint ``ckpt``'s config into
    ``folder``, as a shipped model (see :func:`load`); returns the folder.

    ``ckpt`` is a run folder, a checkpoints folder or one checkpoint folder (its best
    checkpoint is used). The config keeps ``model``, the seed and the training scan settings
    (``data.train``), without paths. ``folder``'s files are replaced only with ``overwrite``.
    """
    import shutil

    from omegaconf import OmegaConf

    from pointrecon.train import checkpoint as ckpt_io
    from pointrecon.utils.atomic import atomic_path, atomic_write_text

    src = ckpt_io.resolve_checkpoint(ckpt, "best")
    cfg = ckpt_io.load_config(src)
    out = Path(folder)
    targets = [out / "model.safetensors", out / "config.yaml"]
    if not overwrite and any(t.exists() for t in targets):
        raise CheckpointError(f"{out}: already holds a model; pass overwrite=True to replace it")
    train = cfg.data.train
    kept = {k: cfg[k] for k in _KEPT_KEYS if k in cfg}
    kept["data"] = {"train": {k: train[k] for k in _KEPT_DATA_KEYS if k in train}}
    kept["source_checkpoint"] = src.name
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(targets[0]) as tmp:
        shutil.copyfile(src / "model.safetensors", tmp)
    atomic_write_text(targets[1], OmegaConf.to_yaml(OmegaConf.create(kept)))
    return out


__all__ = ["available", "export", "load", "num_input_points", "path"]
