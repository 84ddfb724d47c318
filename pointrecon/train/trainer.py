"""The training loop: config in, trained model, logs and checkpoints out.

Everything is built from the run config through :func:`pointrecon.utils.instantiate.instantiate`
(model, loss, ``_partial_`` optimizer and scheduler, data sets). One process, or one per device
under ``torchrun`` with ``trainer.strategy=ddp``.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from pointrecon.errors import CheckpointError, ConfigError
from pointrecon.train import checkpoint as ckpt_io
from pointrecon.train.distributed import barrier, cleanup_distributed, setup_distributed
from pointrecon.train.evaluation import batch_metrics, summarize
from pointrecon.train.run_lock import RunLock
from pointrecon.train.run_logger import RunLogger
from pointrecon.train.seed import get_rng_state, seed_everything, set_rng_state
from pointrecon.utils.atomic import atomic_write_text
from pointrecon.utils.instantiate import instantiate


def selection_metric(trainer_cfg: Any) -> tuple[str, bool]:
    """``(metric, lower_is_better)`` that picks the best checkpoint.

    ``trainer.select_metric`` when set, else the older ``trainer.monitor`` (default ``cd_l1``);
    one of the validation metrics of :data:`pointrecon.train.evaluation.METRICS`.
    """
    from pointrecon.train.evaluation import METRICS

    name = trainer_cfg.get("select_metric") or trainer_cfg.get("monitor") or "cd_l1"
    name = str(name)
    if name not in METRICS:
        raise ConfigError(
            f"trainer.select_metric (or trainer.monitor): expected one of {list(METRICS)}, "
            f"got {name!r}"
        )
    return name, METRICS[name][1]


def build_loader(cfg: DictConfig, split: str, **kw: Any) -> DataLoader:
    """A DataLoader over ``cfg.data[split]`` with :func:`pointrecon.data.collate_completion`."""
    from pointrecon.data import collate_completion

    if split not in cfg.data:
        raise ConfigError(f"data.{split} is not set in the data config (keys: {list(cfg.data)})")
    extra = list(cfg.get("allowed_targets") or [])
    dataset = instantiate(cfg.data[split], extra_allowed=extra)
    kw.setdefault("batch_size", int(cfg.data.get("batch_size", 8)))
    kw.setdefault("num_workers", int(cfg.data.get("num_workers", 0)))
    return DataLoader(dataset, collate_fn=collate_completion, **kw)


def model_inputs(batch: dict, device: torch.device) -> dict[str, Any]:
    """``forward`` keyword arguments of a Reconstructor from a collated batch."""
    partial = batch["partial"]
    lengths = partial.lengths.to(device) if partial.lengths is not None else None
    images = batch.get("depth")
    return {
        "partial": partial.points.to(device, non_blocking=True),
        "lengths": lengths,
        "images": images.to(device) if images is not None else None,
    }


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
            if k not in _NOT_TRAINING:
                _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = node
    return out


def _training_view(cfg: DictConfig) -> dict[str, Any]:
    from omegaconf import OmegaConf

    out: dict[str, Any] = {}
    for key in _TRAINING_KEYS:
        node = cfg.get(key)
        value = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
        _flat(value, key, out)
    trainer = cfg.get("trainer") or {}
    for key in _TRAINER_KEYS:
        out[f"trainer.{key}"] = trainer.get(key)
    return out


def _check_lr(lr: Any) -> None:
    if lr is None:
        return
    try:
        ok = math.isfinite(float(lr)) and float(lr) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"optim.lr must be a finite number >= 0, got {lr!r}")


def training_differences(old: DictConfig, new: DictConfig) -> list[str]:
    """``"key: old -> new"`` for every setting that changes training and differs."""
    a, b = _training_view(old), _training_view(new)
    return [
        f"{k}: {a.get(k, '<unset>')!r} -> {b.get(k, '<unset>')!r}"
        for k in sorted(set(a) | set(b))
        if a.get(k, "<unset>") != b.get(k, "<unset>")
    ]


class Trainer:
    """Trains ``cfg.model`` on ``cfg.data.train``, validating on ``cfg.data.val`` every epoch.

    Args:
        cfg: the composed ``train.yaml`` config.
        output_dir: the run folder (Hydra's output dir); logs and checkpoints go there.
    """

    def __init__(self, cfg: DictConfig, output_dir: str | Path) -> None:
        self.cfg = cfg
        t = cfg.trainer
        self.out = Path(output_dir)
        self.dist = setup_distributed(t.strategy, t.accelerator, t.get("backend", "auto"))
        self.device = self.dist.device
        self.lock: RunLock | None = None
        try:
            if self.dist.is_main:
                self.lock = RunLock(self.out)  # one live training per run folder
                # nothing else writes here now: clear what killed runs left
                for folder in (self.out, self.out / "checkpoints"):
                    ckpt_io.remove_debris(folder)
            self._setup(cfg)
            if self.dist.is_main:  # fail now, not after the first epoch
                ckpt_io.check_writable(self.out / "checkpoints")
        except BaseException:
            self.close()
            raise

    def _setup(self, cfg: DictConfig) -> None:
        t = cfg.trainer
        if t.get("num_threads"):
            torch.set_num_threads(int(t.num_threads))
        seed_everything(int(cfg.seed), deterministic=bool(t.deterministic))
        extra = list(cfg.get("allowed_targets") or [])
        self.model = instantiate(cfg.model, extra_allowed=extra).to(self.device)
        self.loss_fn = instantiate(cfg.loss, extra_allowed=extra).to(self.device)
        _check_lr(cfg.optim.get("lr"))
        self.optimizer = instantiate(cfg.optim, extra_allowed=extra)(self.model.parameters())
        for group in self.optimizer.param_groups:
            _check_lr(group.get("lr"))
        self.scheduler = None
        if cfg.get("sched") and cfg.sched.get("_target_"):
            self.scheduler = instantiate(cfg.sched, extra_allowed=extra)(self.optimizer)
        self.select_metric, self.select_lower = selection_metric(t)
        self.bf16 = t.precision == "bf16" and self.device.type == "cuda"
        if t.precision == "bf16" and not self.bf16:
            warnings.warn("trainer.precision=bf16 is used on CUDA only; running fp32", stacklevel=2)
        elif t.precision not in ("fp32", "bf16"):
            raise ConfigError(f"trainer.precision must be fp32 or bf16, got {t.precision!r}")

        bs = int(cfg.data.batch_size)
        train_set = build_loader(cfg, "train", batch_size=bs).dataset
        self.sampler = DistributedSampler(
            train_set,
            num_replicas=self.dist.world_size,
            rank=self.dist.rank,
            shuffle=bool(cfg.data.get("shuffle", True)),
            seed=int(cfg.seed),
        )
        from pointrecon.data import collate_completion

        self.train_loader = DataLoader(
            train_set,
            batch_size=bs,
            sampler=self.sampler,
            num_workers=int(cfg.data.get("num_workers", 0)),
            collate_fn=collate_completion,
            drop_last=len(train_set) >= bs * self.dist.world_size,
        )
        self.val_loader = build_loader(cfg, "val", shuffle=False) if self.dist.is_main else None

        self.net: torch.nn.Module = self.model
        if self.dist.initialized:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if t.compile:
            self.net = torch.compile(self.net)

        self.epoch = 0
        self.global_step = 0
        self.best_score = math.inf
        self.best_epoch = -1
        self.history: list[float] = []
        rows: list[dict] = []
        if cfg.get("resume") or cfg.get("ckpt_path"):
            rows = self._resume()
        self.logger = (
            RunLogger(self.out, tensorboard=bool(t.get("tensorboard", True)), rows=rows)
            if self.dist.is_main
            else None
        )
        self._render_warned = False

    # ---------------------------------------------------------------- checkpoints
    def _find_resume_checkpoint(self) -> Path:
        if self.cfg.get("ckpt_path"):
            return ckpt_io.resolve_checkpoint(self.cfg.ckpt_path, "last")
        ckpts = self.out / "checkpoints"
        if (ckpts / "last.json").is_file():
            return ckpt_io.resolve_checkpoint(ckpts, "last")
        raise CheckpointError(
            f"{ckpts}: resume=true but this run folder has no checkpoint to resume; give "
            "hydra.run.dir=<the run folder> or ckpt_path=<a checkpoint>"
        )

    def _resume(self) -> list[dict]:
        path = self._find_resume_checkpoint()
        extra = list(self.cfg.get("allowed_targets") or [])
        diffs = training_differences(ckpt_io.load_config(path, extra), self.cfg)
        override = bool(self.cfg.get("resume_override", False))
        if diffs and not override:
            raise CheckpointError(
                f"{path}: the config differs from the checkpoint's in settings that change "
                f"training: {'; '.join(diffs)}. Resume with the checkpoint's settings, or give "
                "resume_override=true to continue with the new ones (the optimizer and schedule "
                "are then rebuilt)"
            )
        ckpt_io.load_weights(self.model, path, device=str(self.device))
        state = ckpt_io.load_state(path, map_location=self.device)
        try:
            if not diffs:
                self.optimizer.load_state_dict(state["optimizer"])
                if self.scheduler is not None and state.get("scheduler") is not None:
                    self.scheduler.load_state_dict(state["scheduler"])
            elif self.scheduler is not None:
                with warnings.catch_warnings():  # stepping before optimizer.step() is intended
                    warnings.simplefilter("ignore")
                    for _ in range(int(state["epoch"])):  # the new schedule at this epoch
                        self.scheduler.step()
            self.epoch = int(state["epoch"])
            self.global_step = int(state["global_step"])
            self.best_score = float(state["best_score"])
            self.best_epoch = int(state["best_epoch"])
            self.history = [float(x) for x in state.get("history", [])]
            set_rng_state(state["rng"])
        except (KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"{path}: incomplete training state ({e})") from e
        self.resumed_from = path
        self.resume_differences = diffs
        if self.dist.is_main:
            how = (
                "with resume_override=true: the optimizer and schedule were rebuilt from the new "
                "config (optimizer moments not restored); differences: " + "; ".join(diffs)
                if diffs
                else "exactly (weights, optimizer, schedule, RNG state and metrics restored)"
            )
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / "resume_note.txt", "a", encoding="utf-8") as fh:
                fh.write(
                    f"{time.strftime('%Y-%m-%d %H:%M:%S')} resumed from {path} at epoch "
                    f"{self.epoch} {how}\n"
                )
        return list(state.get("metric_rows", []))

    def _save(self, improved: bool) -> None:
        state = {
            "epoch": self.epoch,
            "global_step": self.global_step,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": get_rng_state(),
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "history": list(self.history),
            "metric_rows": self.logger.rows if self.logger else [],
        }
        pointers = ["last", "best"] if improved else ["last"]
        ckpt_io.save_checkpoint(
            self.out / "checkpoints",
            f"epoch_{self.epoch:04d}",
            self.model,
            state,
            self.cfg,
            pointers=pointers,
        )

    # ---------------------------------------------------------------- loop
    def _autocast(self):
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def train_epoch(self, max_epochs: int) -> float:
        """One pass over the training set; returns the mean loss."""
        t = self.cfg.trainer
        self.net.train()
        self.sampler.set_epoch(self.epoch)
        if hasattr(self.train_loader.dataset, "set_epoch"):  # epoch-seeded augmentation
            self.train_loader.dataset.set_epoch(self.epoch)
        limit = t.get("limit_train_batches")
        total = len(self.train_loader) if not limit else min(int(limit), len(self.train_loader))
        bar = tqdm(
            self.train_loader,
            total=total,
            desc=f"epoch {self.epoch + 1}/{max_epochs}",
            disable=not (t.progress and self.dist.is_main),
            leave=False,
            dynamic_ncols=True,
        )
        losses, n_clouds, t0 = [], 0, time.perf_counter()
        for i, batch in enumerate(bar):
            if limit and i >= int(limit):
                break
            if t.get("max_steps") and self.global_step >= int(t.max_steps):
                break
            gt = batch["complete"]
            with self._autocast():
                out = self.net(**model_inputs(batch, self.device))
            out = type(out)(
                out.coarse.float(), out.fine.float(), [s.float() for s in out.steps or []]
            )
            gt_len = gt.lengths.to(self.device) if gt.lengths is not None else None
            loss = self.loss_fn(out, gt.points.to(self.device), gt_len)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"non-finite training loss {loss.item()} at step {self.global_step}"
                )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if t.grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), float(t.grad_clip))
            self.optimizer.step()
            self.global_step += 1
            value = float(loss.detach())
            losses.append(value)
            self.history.append(value)
            n_clouds += len(gt.points) * self.dist.world_size
            rate = n_clouds / max(time.perf_counter() - t0, 1e-9)
            bar.set_postfix(loss=f"{value:.4f}", clouds_s=f"{rate:.1f}")
            if self.logger and self.global_step % max(int(t.log_every), 1) == 0:
                self.logger.scalar("train/loss", value, self.global_step)
                self.logger.scalar("train/clouds_per_s", rate, self.global_step)
        bar.close()
        return sum(losses) / max(len(losses), 1)

    @torch.no_grad()
    def validate(self) -> dict[str, dict[str, float]]:
        """Metrics per category on the validation set (rank 0 only)."""
        t = self.cfg.trainer
        self.model.eval()
        records, first = [], None
        limit = t.get("limit_val_batches")
        for i, batch in enumerate(self.val_loader):
            if limit and i >= int(limit):
                break
            with self._autocast():
                out = self.model(**model_inputs(batch, self.device))
            gt = batch["complete"]
            gt_len = gt.lengths.to(self.device) if gt.lengths is not None else None
            m = batch_metrics(
                out.fine.float(),
                gt.points.to(self.device),
                gt_len,
                with_emd=self.select_metric == "emd",
                with_dcd=self.select_metric == "dcd",
            )
            for j, cat in enumerate(batch["category"]):
                records.append({"category": cat} | {k: v[j] for k, v in m.items()})
            if first is None:
                first = (batch, out.fine.float().cpu())
        if first is None:
            raise ValueError("the validation set (data.val) yielded no batch: it is empty")
        self._log_samples(*first)
        return summarize(records)

    def _log_samples(self, batch: dict, pred: torch.Tensor) -> None:
        t = self.cfg.trainer
        if self.logger is None:
            return
        partial, gt = batch["partial"], batch["complete"]
        for j in range(min(int(t.get("num_log_clouds", 2)), len(pred))):
            n = int(partial.lengths[j]) if partial.lengths is not None else partial.points.shape[1]
            tag = f"val/{batch['id'][j]}"
            self.logger.clouds(f"{tag}/pred", pred[j].numpy(), self.epoch)
            if self.epoch == 1 or not self.logger.writer:
                self.logger.clouds(f"{tag}/partial", partial.points[j, :n].numpy(), self.epoch)
                self.logger.clouds(f"{tag}/gt", gt.points[j].numpy(), self.epoch)
        every = int(t.get("render_every") or 0)
        if every and self.epoch % every == 0:
            try:
                from pointrecon.viz import render_comparison

                n = int(partial.lengths[0]) if partial.lengths is not None else None
                path = self.out / "renders" / f"epoch_{self.epoch:04d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                img = render_comparison(
                    partial.points[0, :n].numpy(), pred[0].numpy(), gt.points[0].numpy(), path
                )
                self.logger.image("val/render", img, self.epoch)
            except Exception as e:  # rendering is optional: never stop training for it
                if not self._render_warned:
                    warnings.warn(f"render skipped: {type(e).__name__}: {e}", stacklevel=2)
                    self._render_warned = True

    def fit(self, stop_after_epochs: int | None = None) -> dict[str, Any]:
        """Train until ``trainer.max_epochs`` (or ``max_steps``); returns the final summary.

        Args:
            stop_after_epochs: leave after this many epochs of this call, as an interruption
                would (the last checkpoint allows ``resume=true`` to continue).
        """
        t = self.cfg.trainer
        max_epochs = int(t.max_epochs)
        run_epochs, last_val = 0, None
        try:
            while self.epoch < max_epochs:
                if t.get("max_steps") and self.global_step >= int(t.max_steps):
                    break
                t0 = time.perf_counter()
                train_loss = self.train_epoch(max_epochs)
                self.epoch += 1
                run_epochs += 1
                lr = self.optimizer.param_groups[0]["lr"]
                if self.scheduler is not None:
                    self.scheduler.step()
                if self.dist.is_main:
                    row = {
                        "epoch": self.epoch,
                        "step": self.global_step,
                        "lr": lr,
                        "train_loss": train_loss,
                    }
                    improved = False
                    if self.epoch % max(int(t.val_every), 1) == 0 or self.epoch == max_epochs:
                        last_val = self.validate()
                        for k, v in last_val["mean"].items():
                            row[f"val_{k}"] = v
                        for cat, vals in last_val.items():
                            if cat != "mean":
                                row |= {f"val_{cat}_{k}": v for k, v in vals.items() if k != "n"}
                        score = last_val["mean"][self.select_metric]
                        if not self.select_lower:
                            score = -score
                        if score < self.best_score:
                            self.best_score, self.best_epoch, improved = score, self.epoch, True
                    row["time_s"] = time.perf_counter() - t0
                    self.logger.row(row)
                    for k, v in row.items():
                        if k not in ("epoch", "step") and "_" in k and k.startswith("val_"):
                            self.logger.scalar("val/" + k[4:], v, self.epoch)
                    self.logger.scalar("train/epoch_loss", train_loss, self.epoch)
                    self.logger.scalar("train/lr", lr, self.epoch)
                    self._save(improved)
                barrier(self.dist)
                if stop_after_epochs is not None and run_epochs >= stop_after_epochs:
                    break
        finally:
            if self.logger:
                self.logger.close()
        summary = {
            "epoch": self.epoch,
            "global_step": self.global_step,
            "best_epoch": self.best_epoch,
            "train_loss": self.logger.rows[-1]["train_loss"]
            if self.logger and self.logger.rows
            else None,
            "val": last_val,
            "best_val": self._best_row(),
        }
        if self.dist.is_main:
            atomic_write_text(self.out / "final_metrics.json", json.dumps(summary, indent=2))
        return summary

    def _best_row(self) -> dict | None:
        if not self.logger:
            return None
        for r in self.logger.rows:
            if r["epoch"] == self.best_epoch:
                return {k[4:]: v for k, v in r.items() if k.startswith("val_")}
        return None

    def close(self) -> None:
        """Leave the process group and free the run folder."""
        cleanup_distributed(self.dist)
        if self.lock is not None:
            self.lock.release()
