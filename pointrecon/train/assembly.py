"""Assembly: the one place that reads a composed config and turns it into objects.

The commands compose a config with Hydra and hand it to an :class:`Assembly`; what runs after
receives objects, as lightning-hydra-template's ``trainer.fit(model, datamodule)`` does:

- :class:`~pointrecon.train.trainer.Trainer` gets a model, a loss, optimizer and scheduler
  factories, a :class:`~pointrecon.data.module.CompletionData` and a :class:`TrainerSettings`;
- evaluation gets a model and a data loader; reconstruction a model and a partial size.

Every ``_target_`` of the config, including ``allowed_targets``' extra prefixes, is checked
against the allow-list once, when the :class:`Assembly` is made; the objects are then built
through :func:`pointrecon.utils.instantiate.instantiate` with the same list. Configs stored in
checkpoints are untrusted input and are checked when they are read.

>>> a = Assembly(cfg)                           # cfg: the composed train.yaml
>>> trainer = a.trainer("outputs/run")          # or a.model(), a.data(), a.settings(), ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from pointrecon import pretrained
from pointrecon.data.module import CompletionData
from pointrecon.data.scan_spec import ScanSpec
from pointrecon.errors import CheckpointError, ConfigError
from pointrecon.train import checkpoint as ckpt_io
from pointrecon.train.evaluation import METRICS
from pointrecon.train.seed import seed_everything
from pointrecon.train.trainer import Resume, Trainer, TrainerSettings
from pointrecon.utils.instantiate import check_targets, instantiate

OptimizerFactory = Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


def selection_metric(trainer_cfg: Any) -> tuple[str, bool]:
    """``(metric, lower_is_better)`` that picks the best checkpoint.

    ``trainer.select_metric`` when set, else the older ``trainer.monitor`` (default ``cd_l1``);
    one of the validation metrics of :data:`pointrecon.train.evaluation.METRICS`.
    """
    name = trainer_cfg.get("select_metric") or trainer_cfg.get("monitor") or "cd_l1"
    name = str(name)
    if name not in METRICS:
        raise ConfigError(
            f"trainer.select_metric (or trainer.monitor): expected one of {list(METRICS)}, "
            f"got {name!r}"
        )
    return name, METRICS[name][1]


def _optional_int(value: Any) -> int | None:
    return int(value) if value else None


#: the ``trainer`` keys a ``debug_caps`` entry may bound from above
DEBUG_CAP_KEYS = ("max_epochs", "max_steps", "limit_train_batches", "limit_val_batches")


def debug_caps(cfg: DictConfig) -> tuple[dict[str, int], list[str]]:
    """The ``trainer`` limits after ``debug_caps`` (set by ``debug=fast``), and a note for each
    value a cap lowered.

    A debug preset is meant to win: ``pointrecon train trainer.max_epochs=50 debug=fast`` runs one
    epoch of two batches. Hydra applies command-line values after every config file, so the preset
    states its limits as caps, applied here as ``min(value, cap)`` (unset/0 counts as unlimited).
    Raise or remove a cap on the command line: ``debug_caps.max_epochs=3``, ``debug_caps=null``.
    """
    t = cfg.trainer
    caps = cfg.get("debug_caps") or {}
    out: dict[str, int] = {}
    notes: list[str] = []
    for key in DEBUG_CAP_KEYS:
        value = _optional_int(t.get(key))
        cap = _optional_int(caps.get(key))
        if cap is not None and (value is None or cap < value):
            notes.append(
                f"debug preset: trainer.{key} {value if value is not None else 'unlimited'} -> "
                f"{cap} (debug_caps.{key} wins over trainer.{key}; debug_caps=null lifts it)"
            )
            value = cap
        if value is not None:
            out[key] = value
    for key in caps:
        if key not in DEBUG_CAP_KEYS:
            raise ConfigError(f"debug_caps.{key}: expected one of {list(DEBUG_CAP_KEYS)}")
    return out, notes


def trainer_settings(cfg: DictConfig) -> TrainerSettings:
    """The typed :class:`TrainerSettings` of a composed train config (``trainer``, ``seed``,
    ``data.shuffle``), with the ``debug_caps`` applied (:func:`debug_caps`)."""
    t = cfg.trainer
    limits, _ = debug_caps(cfg)
    metric, lower = selection_metric(t)
    precision = str(t.get("precision", "fp32"))
    if precision not in ("fp32", "bf16"):
        raise ConfigError(f"trainer.precision must be fp32 or bf16, got {precision!r}")
    data = cfg.get("data") or {}
    return TrainerSettings(
        accelerator=str(t.get("accelerator", "cpu")),
        strategy=str(t.get("strategy", "single")),
        backend=str(t.get("backend", "auto")),
        max_epochs=limits.get("max_epochs", 0),
        max_steps=limits.get("max_steps"),
        limit_train_batches=limits.get("limit_train_batches"),
        limit_val_batches=limits.get("limit_val_batches"),
        grad_clip=float(t.grad_clip) if t.get("grad_clip") else None,
        precision=precision,
        compile=bool(t.get("compile", False)),
        deterministic=bool(t.get("deterministic", False)),
        num_threads=_optional_int(t.get("num_threads")),
        val_every=max(int(t.get("val_every", 1)), 1),
        render_every=int(t.get("render_every") or 0),
        log_every=max(int(t.get("log_every", 10)), 1),
        num_log_clouds=int(t.get("num_log_clouds", 2)),
        progress=bool(t.get("progress", True)),
        tensorboard=bool(t.get("tensorboard", True)),
        select_metric=metric,
        select_lower=lower,
        seed=int(cfg.get("seed", 0)),
        shuffle=bool(data.get("shuffle", True)),
    )


# what changes training; everything under these keys is compared, except the names in _NOT_TRAINING
_TRAINING_KEYS = ("seed", "model", "loss", "optim", "sched", "data")
_TRAINER_KEYS = (
    "max_epochs",
    "max_steps",
    "grad_clip",
    "precision",
    "limit_train_batches",
    "deterministic",
)
_NOT_TRAINING = {"num_workers", "cache_dir"}


def _flat(node: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(node, dict) and node:
        for k, v in node.items():
            if k == "scan" and prefix.count(".") == 1 and prefix.startswith("data."):
                _flat(v, prefix, out)  # data.<split>.scan.X compares as data.<split>.X
            elif k not in _NOT_TRAINING:
                _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = node
    return out


def _is_identity(refiner: Any) -> bool:
    """A refiner config without a step: IdentityRefiner, or any refiner with ``steps: 0``."""
    return isinstance(refiner, dict) and (
        str(refiner.get("_target_", "")).endswith(".IdentityRefiner") or refiner.get("steps") == 0
    )


def _training_view(cfg: DictConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _TRAINING_KEYS:
        node = cfg.get(key)
        value = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
        if key == "model" and isinstance(value, dict) and _is_identity(value.get("refiner")):
            value = value | {"refiner": "identity"}  # every spelling of no refinement is equal
        _flat(value, key, out)
    trainer = cfg.get("trainer") or {}
    for key in _TRAINER_KEYS:
        out[f"trainer.{key}"] = trainer.get(key)
    return out


def _refiner_summary(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` with its ``model.refiner.*`` settings as one ``model.refiner`` entry (the class
    and its steps), to compare against a side whose refiner is ``identity``."""
    prefix = "model.refiner."
    sub = {k[len(prefix) :]: v for k, v in view.items() if k.startswith(prefix)}
    if not sub:
        return view
    out = {k: v for k, v in view.items() if not k.startswith(prefix)}
    name = str(sub.get("_target_", "refiner")).rsplit(".", 1)[-1]
    out["model.refiner"] = f"{name}(steps={sub.get('steps', '?')})"
    return out


def training_differences(old: DictConfig, new: DictConfig) -> list[str]:
    """``"key: old -> new"`` for every setting that changes training and differs.

    A refiner replaced by no refinement (or the reverse) is one difference, ``model.refiner``,
    not one per setting of the refiner that is gone.
    """
    a, b = _training_view(old), _training_view(new)
    if ("model.refiner" in a) != ("model.refiner" in b):
        a, b = _refiner_summary(a), _refiner_summary(b)
    return [
        f"{k}: {a.get(k, '<unset>')!r} -> {b.get(k, '<unset>')!r}"
        for k in sorted(set(a) | set(b))
        if a.get(k, "<unset>") != b.get(k, "<unset>")
    ]


_HPARAM_SKIP = ("root", "dir", "cache", "path", "num_workers")


def _hparam_value(value: Any) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)  # lists and the like, as text


def hparams(cfg: DictConfig) -> dict[str, Any]:
    """Flat scalar hyperparameters of a train config for TensorBoard's HParams tab: ``seed``,
    every scalar under ``model``, ``loss``, ``optim`` and ``sched`` (``_target_`` as the class
    name), ``data.batch_size``, the training set's size and scan sizes, and the ``trainer``
    settings that change training (after the ``debug_caps``)."""
    out: dict[str, Any] = {"seed": int(cfg.get("seed", 0))}
    for key in ("model", "loss", "optim", "sched"):
        node = cfg.get(key)
        if isinstance(node, DictConfig):
            for k, v in _flat(OmegaConf.to_container(node, resolve=True), key, {}).items():
                if v is None or v == {} or any(w in k.rsplit(".", 1)[-1] for w in _HPARAM_SKIP):
                    continue
                if k.endswith("._target_") or k.endswith("._partial_"):
                    if k.endswith("._partial_"):
                        continue
                    v = str(v).rsplit(".", 1)[-1]
                out[k] = _hparam_value(v)
    data = cfg.get("data") or {}
    if data.get("batch_size") is not None:
        out["data.batch_size"] = int(data.batch_size)
    train = OmegaConf.to_container(data.train, resolve=True) if "train" in data else {}
    if isinstance(train, dict):
        if train.get("_target_"):
            out["data.train.dataset"] = str(train["_target_"]).rsplit(".", 1)[-1]
        if train.get("num_samples") is not None:
            out["data.train.num_samples"] = _hparam_value(train["num_samples"])
        for k, v in (train.get("scan") or {}).items():
            if isinstance(v, bool | int | float | str):
                out[f"data.train.scan.{k}"] = v
    s = trainer_settings(cfg)
    for k in ("max_epochs", "max_steps", "limit_train_batches", "grad_clip", "precision"):
        value = getattr(s, k)
        if value is not None:
            out[f"trainer.{k}"] = value
    out["trainer.accelerator"] = s.accelerator
    return out


def check_lr(lr: Any) -> None:
    """ConfigError unless ``lr`` is None or a finite number >= 0."""
    if lr is None:
        return
    try:
        ok = math.isfinite(float(lr)) and float(lr) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"optim.lr must be a finite number >= 0, got {lr!r}")


def resolve_model_checkpoint(ckpt: str | Path | None) -> str | Path:
    """``ckpt`` with the shipped-model names replaced by their folders: None or
    ``"pretrained"`` -> the default shipped model, ``"pretrained:NAME"`` -> model NAME."""
    if ckpt is None or str(ckpt) == "pretrained":
        return pretrained.path("default")
    if str(ckpt).startswith("pretrained:"):
        return pretrained.path(str(ckpt).split(":", 1)[1])
    return ckpt


@dataclass(frozen=True)
class Assembly:
    """Objects from one composed config; the allow-list is checked when it is made.

    Args:
        cfg: a composed root config (``train.yaml``, ``eval.yaml``, ``reconstruct.yaml``, ...).
    """

    cfg: DictConfig

    def __post_init__(self) -> None:
        check_targets(self.cfg, self.allowed)

    @property
    def allowed(self) -> list[str]:
        """Extra trusted ``_target_`` prefixes (``allowed_targets``)."""
        return [str(x) for x in (self.cfg.get("allowed_targets") or [])]

    def build(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        """Instantiate ``node`` through the allow-list."""
        return instantiate(node, *args, extra_allowed=self.allowed, **kwargs)

    # ------------------------------------------------------------ training parts
    def model(self) -> torch.nn.Module:
        return self.build(self.cfg.model)

    def loss(self) -> torch.nn.Module:
        return self.build(self.cfg.loss)

    def optimizer(self) -> OptimizerFactory:
        """``params -> optimizer`` (the ``_partial_`` optim config), learning rate checked."""
        check_lr(self.cfg.optim.get("lr"))
        return self.build(self.cfg.optim)

    def scheduler(self) -> SchedulerFactory | None:
        """``optimizer -> scheduler``, or None when ``sched`` is unset."""
        sched = self.cfg.get("sched")
        if not sched or not sched.get("_target_"):
            return None
        return self.build(sched)

    def settings(self) -> TrainerSettings:
        return trainer_settings(self.cfg)

    def data(self, splits: Iterable[str] = ("train", "val"), node: Any = None) -> CompletionData:
        """The data sets of ``splits`` from ``node`` (default: ``cfg.data``)."""
        node = self.cfg.data if node is None else node
        datasets = {}
        for split in splits:
            if split not in node:
                raise ConfigError(
                    f"data.{split} is not set in the data config (keys: {list(node)})"
                )
            datasets[split] = self.build(node[split])
        return CompletionData(
            datasets,
            batch_size=int(node.get("batch_size", 8)),
            num_workers=int(node.get("num_workers", 0)),
            shuffle=bool(node.get("shuffle", True)),
        )

    def resume(self, output_dir: str | Path) -> Resume | None:
        """What ``resume=true`` / ``ckpt_path=...`` continue from, with the differences in the
        settings that change training (an error unless ``resume_override=true``)."""
        if not (self.cfg.get("resume") or self.cfg.get("ckpt_path")):
            return None
        if self.cfg.get("ckpt_path"):
            path = ckpt_io.resolve_checkpoint(self.cfg.ckpt_path, "last")
        else:
            ckpts = Path(output_dir) / "checkpoints"
            if not (ckpts / "last.json").is_file():
                raise CheckpointError(
                    f"{ckpts}: resume=true but this run folder has no checkpoint to resume; give "
                    "hydra.run.dir=<the run folder> or ckpt_path=<a checkpoint>"
                )
            path = ckpt_io.resolve_checkpoint(ckpts, "last")
        diffs = training_differences(ckpt_io.load_config(path, self.allowed), self.cfg)
        if diffs and not self.cfg.get("resume_override", False):
            raise CheckpointError(
                f"{path}: the config differs from the checkpoint's in settings that change "
                f"training: {'; '.join(diffs)}. Resume with the checkpoint's settings, or give "
                "resume_override=true to continue with the new ones (the optimizer and schedule "
                "are then rebuilt)"
            )
        return Resume(path, tuple(diffs))

    def trainer(self, output_dir: str | Path) -> Trainer:
        """A :class:`Trainer` for the composed ``train.yaml`` writing into ``output_dir``."""
        settings = self.settings()
        if settings.num_threads:
            torch.set_num_threads(settings.num_threads)
        seed_everything(settings.seed, deterministic=settings.deterministic)
        resume = self.resume(output_dir)
        _, notes = debug_caps(self.cfg)
        return Trainer(
            model=self.model(),
            loss=self.loss(),
            optimizer=self.optimizer(),
            scheduler=self.scheduler(),
            data=self.data(("train", "val")),
            settings=settings,
            output_dir=output_dir,
            config=self.cfg,
            resume=resume,
            hparams=hparams(self.cfg),
            config_text=OmegaConf.to_yaml(self.cfg, resolve=True),
            notes=notes,
        )

    # ------------------------------------------------------------ evaluation and inference
    def load_model(
        self, ckpt: str | Path | None, device: str | torch.device = "cpu"
    ) -> tuple[torch.nn.Module, Path, DictConfig]:
        """(model in eval mode, checkpoint folder, its training config) of ``ckpt``: a run,
        checkpoints or checkpoint folder; None / ``pretrained`` / ``pretrained:NAME`` for a
        shipped model."""
        return ckpt_io.load_model(resolve_model_checkpoint(ckpt), self.allowed, str(device))

    def eval_data_config(self, train_cfg: DictConfig) -> DictConfig:
        """The data config evaluation uses: ``cfg.data``, or the checkpoint's when unset."""
        return self.cfg.get("data") or train_cfg.data

    def eval_data(self, train_cfg: DictConfig, split: str) -> CompletionData:
        """The ``split`` data of :meth:`eval_data_config`."""
        return self.data((split,), node=self.eval_data_config(train_cfg))


def num_input_points(cfg: DictConfig, train_cfg: DictConfig) -> int:
    """``num_input_points`` of a reconstruct/eval-meshes config, else the partial size the
    model was trained with (``data.train.scan.n_partial``, 2048 when unknown)."""
    n_in = cfg.get("num_input_points")
    if n_in is None:
        n_in = ScanSpec.of((train_cfg.get("data") or {}).get("train")).n_partial
    return int(n_in)


def build_trainer(cfg: DictConfig, output_dir: str | Path) -> Trainer:
    """``Assembly(cfg).trainer(output_dir)``."""
    return Assembly(cfg).trainer(output_dir)
