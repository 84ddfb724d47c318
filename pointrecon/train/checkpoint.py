"""Checkpoints: a folder per save, written atomically, loaded without running any pickle code.

Layout of ``<run>/checkpoints/``::

    epoch_0003/model.safetensors   weights (safetensors: no code, no pickle)
    epoch_0003/state.pt            optimizer, scheduler, epoch, step, RNG state, metric rows;
                                   plain tensors/containers, loads with torch.load(weights_only=True)
    epoch_0003/config.yaml         the resolved run config (untrusted on load: allow-list checked)
    last.json, best.json           pointers {"dir": "epoch_0003", ...}, replaced atomically

A new checkpoint is written into a hidden temporary folder, renamed into place, and only then do
the pointers move to it; a crash at any point leaves the previous checkpoint and pointers intact.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf
from safetensors.torch import load_model as _load_safetensors
from safetensors.torch import save_model
from torch import nn

from pointrecon.errors import CheckpointError, ConfigError
from pointrecon.utils.atomic import atomic_write_text, default_mode
from pointrecon.utils.instantiate import check_targets

WEIGHTS = "model.safetensors"
STATE = "state.pt"
CONFIG = "config.yaml"
POINTERS = ("last", "best")


def save_checkpoint(
    ckpt_root: str | os.PathLike,
    name: str,
    model: nn.Module,
    state: dict[str, Any],
    config: DictConfig | dict | None = None,
    *,
    pointers: Iterable[str] = ("last",),
    keep: int = 1,
) -> Path:
    """Write checkpoint ``ckpt_root/name`` and point ``pointers`` (``last``/``best``) at it.

    Args:
        ckpt_root: the checkpoints folder (created if needed).
        name: folder name of this checkpoint, e.g. ``epoch_0003``.
        model: the bare module (not DDP/compiled wrappers) whose ``state_dict`` is saved.
        state: everything else; must hold only tensors, numbers, strings, None and containers.
        config: the resolved run config, stored as ``config.yaml``.
        pointers: which pointer files to move to this checkpoint.
        keep: besides those the pointers reference, how many newest checkpoints to keep.

    Returns:
        The checkpoint folder.
    """
    root = Path(ckpt_root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=root))
    try:
        os.chmod(tmp, default_mode(is_dir=True))  # mkdtemp makes it owner-only
        save_model(model, str(tmp / WEIGHTS))
        torch.save(state, tmp / STATE)
        if config is not None:
            cfg = config if isinstance(config, DictConfig) else OmegaConf.create(config)
            (tmp / CONFIG).write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
        for f in tmp.iterdir():
            os.chmod(f, default_mode())  # some writers (safetensors) make files owner-only
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():
            old = root / f".{name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, (OSError, RuntimeError)):
            raise CheckpointError(
                f"{final}: cannot write the checkpoint: {_write_failure(root, e)}"
            ) from e
        raise
    meta = {"dir": name, "epoch": state.get("epoch"), "global_step": state.get("global_step")}
    for p in pointers:
        if p not in POINTERS:
            raise ValueError(f"pointers must be among {POINTERS}, got {p!r}")
        atomic_write_text(root / f"{p}.json", json.dumps(meta))
    _prune(root, keep)
    return final


def _write_failure(root: Path, err: BaseException) -> str:
    """Why a write failed, in words; a full disk is named as such (torch reports it obscurely)."""
    chain: BaseException | None = err
    while chain is not None:
        if isinstance(chain, OSError) and chain.errno == errno.ENOSPC:
            return f"no space left on the device holding {root}"
        chain = chain.__cause__ or chain.__context__
    try:
        free = shutil.disk_usage(root).free
    except OSError:
        free = None
    if free is not None and free < 16 * 2**20:
        return f"the disk holding {root} is full ({free} bytes free)"
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first}"


def check_writable(root: str | os.PathLike) -> None:
    """Raise :class:`CheckpointError` now if checkpoints cannot be written into ``root``."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe.", suffix=".tmp"):
            pass
    except OSError as e:
        raise CheckpointError(
            f"{root}: cannot write checkpoints there ({e.strerror or e}); fix the folder's "
            "permissions or choose another hydra.run.dir"
        ) from None


def remove_debris(folder: str | os.PathLike) -> list[Path]:
    """Delete what interrupted writes leave in ``folder``: hidden ``.*.tmp*`` files and folders
    (checkpoints, pointers, atomic writes) and ``.*.old`` checkpoint folders. Returns them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    gone = []
    for p in folder.iterdir():
        if p.name.startswith(".") and (".tmp" in p.name or p.name.endswith(".old")):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            gone.append(p)
    return gone


def _prune(root: Path, keep: int) -> None:
    referenced = set()
    for p in POINTERS:
        f = root / f"{p}.json"
        if f.is_file():
            try:
                referenced.add(json.loads(f.read_text())["dir"])
            except (ValueError, KeyError):
                pass
    dirs = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    newest = {d.name for d in dirs[-keep:]} if keep > 0 else set()
    for d in dirs:
        if d.name not in referenced and d.name not in newest:
            shutil.rmtree(d, ignore_errors=True)


def resolve_checkpoint(path: str | os.PathLike, which: str = "best") -> Path:
    """The checkpoint folder that ``path`` names.

    ``path`` may be a checkpoint folder (holding ``model.safetensors``), a checkpoints folder
    (its ``which`` pointer, falling back to ``last``), a run folder (its ``checkpoints/``), or
    ``<checkpoints>/best`` / ``<checkpoints>/last``.
    """
    p = Path(path).expanduser()
    if (p / WEIGHTS).is_file():
        return p
    if not p.exists() and p.name in POINTERS and (p.parent / f"{p.name}.json").is_file():
        return _follow(p.parent, p.name)
    if p.is_dir() and (p / "checkpoints").is_dir():
        p = p / "checkpoints"
    if p.is_dir():
        for name in (which, "last"):
            if (p / f"{name}.json").is_file():
                return _follow(p, name)
    if not p.exists():
        raise CheckpointError(f"{path}: no such checkpoint (file or folder not found)")
    raise CheckpointError(
        f"{path}: not a checkpoint: expected a folder with {WEIGHTS}, a checkpoints folder "
        "with last.json/best.json, or a run folder with checkpoints/"
    )


def _follow(root: Path, name: str) -> Path:
    f = root / f"{name}.json"
    try:
        target = root / str(json.loads(f.read_text(encoding="utf-8"))["dir"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{f}: unreadable checkpoint pointer ({e})") from e
    if target.resolve().parent != root.resolve() or not (target / WEIGHTS).is_file():
        raise CheckpointError(f"{f}: points to {target}, which is not a checkpoint folder")
    return target


def load_state(ckpt: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict:
    """``state.pt`` of checkpoint folder ``ckpt``, loaded with ``weights_only=True``.

    Raises:
        CheckpointError: missing file, or a pickle that asks for anything but tensors and plain
            containers (it is refused before any of its code runs).
    """
    f = Path(ckpt) / STATE
    if not f.is_file():
        raise CheckpointError(f"{f}: missing checkpoint state file")
    try:
        state = torch.load(f, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(
            f"{f}: refused to load: the file holds objects other than tensors and plain "
            f"containers, which could run code (torch.load weights_only=True said: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__})"
        ) from e
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise CheckpointError(f"{f}: corrupt or truncated checkpoint state ({e})") from e
    if not isinstance(state, dict):
        raise CheckpointError(f"{f}: expected a dict, found {type(state).__name__}")
    return state


def load_weights(model: nn.Module, ckpt: str | os.PathLike, device: str = "cpu") -> None:
    """Load ``model.safetensors`` of checkpoint folder ``ckpt`` into ``model`` (strict)."""
    f = Path(ckpt) / WEIGHTS
    if not f.is_file():
        raise CheckpointError(f"{f}: missing checkpoint weights file")
    try:
        missing, unexpected = _load_safetensors(model, str(f), strict=False, device=str(device))
    except Exception as e:  # safetensors raises several types for bad headers
        raise CheckpointError(f"{f}: unreadable weights ({type(e).__name__}: {e})") from e
    if missing or unexpected:
        raise CheckpointError(
            f"{f}: weights do not match the model: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}"
        )


def load_config(ckpt: str | os.PathLike, extra_allowed: Iterable[str] = ()) -> DictConfig:
    """The run config stored beside checkpoint ``ckpt``, checked against the allow-list.

    Raises:
        CheckpointError: missing/unreadable file, or a ``_target_`` outside the allow-list.
    """
    f = Path(ckpt) / CONFIG
    if not f.is_file():
        raise CheckpointError(f"{f}: missing checkpoint config file")
    try:
        cfg = OmegaConf.load(f)
    except Exception as e:
        raise CheckpointError(f"{f}: unreadable config ({e})") from e
    if not isinstance(cfg, DictConfig):
        raise CheckpointError(f"{f}: expected a mapping, found {type(cfg).__name__}")
    # a checkpoint cannot widen the allow-list by itself: only the caller's extras count
    extra = list(extra_allowed)
    try:
        check_targets(cfg, extra)
    except ConfigError as e:
        raise CheckpointError(f"{f}: untrusted config refused: {e}") from e
    return cfg


def load_model(
    ckpt: str | os.PathLike, extra_allowed: Iterable[str] = (), device: str = "cpu"
) -> tuple[nn.Module, Path, DictConfig]:
    """(model in eval mode on ``device``, checkpoint folder, its training config).

    ``ckpt`` is a run folder, a checkpoints folder or one checkpoint folder (its best
    checkpoint is used), or a shipped model's folder. The model is rebuilt from the stored
    ``model`` config, checked against the allow-list, and the weights are loaded into it.
    """
    from pointrecon.utils.instantiate import instantiate

    path = resolve_checkpoint(ckpt, "best")
    extra = list(extra_allowed)
    train_cfg = load_config(path, extra)
    model = instantiate(train_cfg.model, extra_allowed=extra)
    load_weights(model, path, device=device)
    return model.to(device).eval(), path, train_cfg
