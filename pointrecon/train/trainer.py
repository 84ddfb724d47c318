"""The training loop: objects in, trained model, logs and checkpoints out.

:class:`Trainer` receives what it trains (model, loss, optimizer and scheduler factories, a
:class:`~pointrecon.data.module.CompletionData`, :class:`TrainerSettings`) and reads no config;
:mod:`pointrecon.train.assembly` builds those from a composed config. One process, or one per
device under ``torchrun`` with ``strategy="ddp"``.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from pointrecon.data.module import CompletionData
from pointrecon.errors import CheckpointError
from pointrecon.models.inputs import model_inputs
from pointrecon.train import checkpoint as ckpt_io
from pointrecon.train.distributed import barrier, cleanup_distributed, setup_distributed
from pointrecon.train.evaluation import METRICS, batch_metrics, summarize
from pointrecon.train.run_lock import RunLock
from pointrecon.train.run_logger import RunLogger, TextLog
from pointrecon.train.seed import get_rng_state, set_rng_state
from pointrecon.utils.atomic import atomic_write_text

#: on a CPU, an estimated epoch (or run) longer than this, in seconds, is reported as too large
#: for the machine, with the smaller presets to try
SLOW_EPOCH_S = 300.0
SLOW_RUN_S = 3600.0
#: optimizer steps timed for the estimate (the first, with its warm-up, and those after it)
ESTIMATE_STEPS = 3
SMALLER_PRESETS = (
    "`debug=fast` (1 epoch of 2 batches, to check that everything runs) or `experiment=demo` "
    "(a model and data sized for a CPU: minutes on 2 cores)"
)


def duration(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3.2 h``, ``2.5 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _peak_memory_gb() -> float | None:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux
    except (ImportError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class TrainerSettings:
    """How :class:`Trainer` runs (the ``trainer`` config group, typed).

    Attributes:
        accelerator, strategy, backend: device (``cpu``/``cuda``/``auto``), ``single``/``ddp``
            and the DDP backend (``auto``/``gloo``/``nccl``).
        max_epochs, max_steps: stop after this many epochs, or optimizer steps (None: no limit).
        limit_train_batches, limit_val_batches: batches per epoch (None: all).
        grad_clip: max gradient norm (None: no clipping).
        precision: ``fp32`` or ``bf16`` (autocast, on CUDA only).
        compile: wrap the model in ``torch.compile``.
        deterministic, seed, num_threads: reproducibility settings (applied by the assembly).
        val_every, render_every, log_every, num_log_clouds: validation, render and log cadence.
        progress, tensorboard: tqdm bar, TensorBoard events.
        select_metric, select_lower: validation metric that picks the best checkpoint, and
            whether lower is better.
        shuffle: shuffle the training set.
    """

    accelerator: str = "cpu"
    strategy: str = "single"
    backend: str = "auto"
    max_epochs: int = 20
    max_steps: int | None = None
    limit_train_batches: int | None = None
    limit_val_batches: int | None = None
    grad_clip: float | None = 1.0
    precision: str = "fp32"
    compile: bool = False
    deterministic: bool = False
    num_threads: int | None = None
    val_every: int = 1
    render_every: int = 0
    log_every: int = 10
    num_log_clouds: int = 2
    progress: bool = True
    tensorboard: bool = True
    select_metric: str = "cd_l1"
    select_lower: bool = True
    seed: int = 0
    shuffle: bool = True


@dataclass(frozen=True)
class Resume:
    """A checkpoint to continue from, and the training settings that differ from it (empty:
    an exact resume; else the optimizer and schedule are rebuilt)."""

    path: Path
    differences: tuple[str, ...] = ()


class Trainer:
    """Trains ``model`` on ``data``'s ``train`` split, validating on ``val``.

    Args:
        model: the network; ``model(**model_inputs(batch))`` returns a ``ReconOutput``.
        loss: ``loss(output, gt_points, gt_lengths)`` -> scalar.
        optimizer: ``params -> torch.optim.Optimizer`` (e.g. a ``functools.partial``).
        scheduler: ``optimizer -> LR scheduler`` stepped once per epoch, or None.
        data: the data sets (``train``, ``val``) and their loader settings.
        settings: how to train.
        output_dir: the run folder; logs and checkpoints go there.
        config: the run's resolved config, stored with every checkpoint (it is not read here).
        resume: continue from this checkpoint.
        hparams: scalar hyperparameters for TensorBoard's HParams tab, written with the final
            validation metrics at the end of :meth:`fit`.
        config_text: the config as YAML, shown in TensorBoard's Text tab.
        notes: lines logged when training starts (e.g. limits a debug preset applied).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        loss: torch.nn.Module,
        optimizer: Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer],
        scheduler: Callable[[torch.optim.Optimizer], Any] | None,
        data: CompletionData,
        settings: TrainerSettings,
        output_dir: str | Path,
        *,
        config: Any = None,
        resume: Resume | None = None,
        hparams: dict[str, Any] | None = None,
        config_text: str | None = None,
        notes: Iterable[str] = (),
    ) -> None:
        self.settings = s = settings
        self.config = config
        self.hparams = dict(hparams or {})
        self.config_text = config_text
        self.notes = list(notes)
        self.out = Path(output_dir)
        self.dist = setup_distributed(s.strategy, s.accelerator, s.backend)
        self.device = self.dist.device
        self.lock: RunLock | None = None
        self.text = TextLog(None)
        try:
            if self.dist.is_main:
                self.lock = RunLock(self.out)  # one live training per run folder
                self.text = TextLog(self.out)
                # nothing else writes here now: clear what killed runs left
                for folder in (self.out, self.out / "checkpoints"):
                    ckpt_io.remove_debris(folder)
            self._setup(model, loss, optimizer, scheduler, data, resume)
            if self.dist.is_main:  # fail now, not after the first epoch
                ckpt_io.check_writable(self.out / "checkpoints")
        except BaseException:
            self.close()
            raise

    def _setup(self, model, loss, optimizer, scheduler, data: CompletionData, resume) -> None:
        s = self.settings
        self.model = model.to(self.device)
        self.loss_fn = loss.to(self.device)
        self.optimizer = optimizer(self.model.parameters())
        for group in self.optimizer.param_groups:
            lr = group.get("lr")
            if lr is not None and not (math.isfinite(float(lr)) and float(lr) >= 0):
                raise ValueError(f"optimizer lr must be a finite number >= 0, got {lr!r}")
        self.scheduler = scheduler(self.optimizer) if scheduler is not None else None
        self.select_metric, self.select_lower = s.select_metric, s.select_lower
        self.bf16 = s.precision == "bf16" and self.device.type == "cuda"
        if s.precision == "bf16" and not self.bf16:
            warnings.warn("trainer.precision=bf16 is used on CUDA only; running fp32", stacklevel=2)
        elif s.precision not in ("fp32", "bf16"):
            raise ValueError(f"precision must be fp32 or bf16, got {s.precision!r}")

        self.data = data
        bs = int(data.batch_size)
        train_set = data.dataset("train")
        self.sampler = DistributedSampler(
            train_set,
            num_replicas=self.dist.world_size,
            rank=self.dist.rank,
            shuffle=data.shuffle,
            seed=s.seed,
        )
        self.train_loader = data.loader(
            "train",
            sampler=self.sampler,
            drop_last=len(train_set) >= bs * self.dist.world_size,
        )
        self.val_loader = data.loader("val", shuffle=False) if self.dist.is_main else None

        self.net: torch.nn.Module = self.model
        if self.dist.initialized:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if s.compile:
            self.net = torch.compile(self.net)

        self.epoch = 0
        self.global_step = 0
        self.best_score = math.inf
        self.best_epoch = -1
        self.history: list[float] = []
        rows: list[dict] = []
        if resume is not None:
            rows = self._resume(resume)
        self.logger = (
            RunLogger(self.out, tensorboard=s.tensorboard, rows=rows) if self.dist.is_main else None
        )
        if self.logger and self.config_text:
            self.logger.config_text(self.config_text)
        self._render_warned = False
        self._timed = False

    # ---------------------------------------------------------------- checkpoints
    def _resume(self, resume: Resume) -> list[dict]:
        path, diffs = resume.path, list(resume.differences)
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
            self.config,
            pointers=pointers,
        )

    # ---------------------------------------------------------------- loop
    def _autocast(self):
        if self.bf16:
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def train_epoch(self, max_epochs: int) -> float:
        """One pass over the training set; returns the mean loss."""
        t = self.settings
        self.net.train()
        self.sampler.set_epoch(self.epoch)
        if hasattr(self.train_loader.dataset, "set_epoch"):  # epoch-seeded augmentation
            self.train_loader.dataset.set_epoch(self.epoch)
        limit = t.limit_train_batches
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
        steps_before = self.global_step
        for i, batch in enumerate(bar):
            if limit and i >= int(limit):
                break
            if t.max_steps and self.global_step >= t.max_steps:
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
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), t.grad_clip)
            self.optimizer.step()
            self.global_step += 1
            if not self._timed:
                self._time_steps(t0, i, total, max_epochs, steps_before)
            value = float(loss.detach())
            losses.append(value)
            self.history.append(value)
            n_clouds += len(gt.points) * self.dist.world_size
            rate = n_clouds / max(time.perf_counter() - t0, 1e-9)
            bar.set_postfix(loss=f"{value:.4f}", clouds_s=f"{rate:.1f}")
            if self.logger and self.global_step % t.log_every == 0:
                self.logger.scalar("train/loss", value, self.global_step)
                self.logger.scalar("train/clouds_per_s", rate, self.global_step)
        bar.close()
        return sum(losses) / max(len(losses), 1)

    def _time_steps(
        self, t0: float, i: int, total: int, max_epochs: int, steps_before: int
    ) -> None:
        """Time the first :data:`ESTIMATE_STEPS` optimizer steps and report once.

        The first step carries the warm-up (loader workers starting, the first batch, lazy
        allocations), so the estimate comes from the steps after it. Where the first step alone
        already predicts a long run on a CPU, the warning comes at once rather than later.
        """
        now = time.perf_counter()
        if i == 0:
            self._first_step = (now - t0, now)
            first_s = now - t0
            left = self._steps_left(total, max_epochs, steps_before)
            if min(total, left) == 1 or self._is_slow(first_s * total, first_s * left):
                self._timed = True
                self._report_first_step(first_s, total, max_epochs, steps_before, first_s)
            return
        if i + 1 >= min(ESTIMATE_STEPS, total):
            self._timed = True
            first_s, t1 = self._first_step
            self._report_first_step((now - t1) / i, total, max_epochs, steps_before, first_s)

    def _steps_left(self, batches: int, max_epochs: int, steps_before: int) -> int:
        steps = batches * max(max_epochs - self.epoch, 1)
        if self.settings.max_steps:
            steps = max(min(steps, self.settings.max_steps - steps_before), 1)
        return steps

    def _is_slow(self, epoch_s: float, run_s: float) -> bool:
        return self.device.type == "cpu" and (epoch_s > SLOW_EPOCH_S or run_s > SLOW_RUN_S)

    def _report_first_step(
        self, step_s: float, batches: int, max_epochs: int, steps_before: int, first_s: float
    ) -> None:
        """The time per epoch and for the run that ``step_s`` (seconds per optimizer step)
        predicts, and on a CPU, when that is long (:data:`SLOW_EPOCH_S`, :data:`SLOW_RUN_S`), the
        smaller presets to try. ``first_s`` is the first step's time, warm-up included."""
        s = self.settings
        steps = self._steps_left(batches, max_epochs, steps_before)
        epoch_s, run_s = step_s * batches, step_s * steps
        epochs = max_epochs - self.epoch
        then = "" if step_s == first_s else f", then {duration(step_s)} per step"
        line = (
            f"first training step: {duration(first_s)}{then}; estimated {duration(epoch_s)} per epoch "
            f"({batches} batches), {duration(run_s)} for the run ({epochs} epoch{'s' if epochs != 1 else ''}"
            + (f", at most {s.max_steps} steps" if s.max_steps else "")
            + ", validation not counted)"
        )
        if not self._is_slow(epoch_s, run_s):
            self.text.info(line)
            return
        mem = _peak_memory_gb()
        self.text.warning(
            f"{line}. This is long for a CPU"
            + (f" (peak memory so far {mem:.1f} GB)" if mem else "")
            + ": these model and data sizes are meant for a GPU. On this machine try "
            + SMALLER_PRESETS
            + "; or lower data.batch_size, trainer.max_epochs or trainer.limit_train_batches."
        )

    def _start_message(self, max_epochs: int) -> None:
        s = self.settings
        n_params = sum(p.numel() for p in self.model.parameters())
        limit = s.limit_train_batches
        total = len(self.train_loader) if not limit else min(int(limit), len(self.train_loader))
        self.text.info(
            f"training {type(self.model).__name__} ({n_params / 1e6:.2f} M parameters) on "
            f"{self.device}: {total} batches of {self.data.batch_size} per epoch, epochs "
            f"{self.epoch + 1}..{max_epochs}"
            + (f", at most {s.max_steps} steps" if s.max_steps else "")
            + f"; run folder {self.out.resolve()}"
        )
        for note in self.notes:
            self.text.info(note)

    def _epoch_message(self, row: dict, max_epochs: int, elapsed: float, run_epochs: int) -> None:
        title, lower = METRICS[self.select_metric]
        val = row.get(f"val_{self.select_metric}")
        best = self.best_score if self.select_lower else -self.best_score
        left = max_epochs - self.epoch
        eta = elapsed / max(run_epochs, 1) * left
        parts = [
            f"epoch {self.epoch}/{max_epochs}",
            f"train loss {row['train_loss']:.4f}",
            f"val {title} " + (f"{val:.3f}" if val is not None else "-"),
            f"best {best:.3f} (epoch {self.best_epoch}, {'lower' if lower else 'higher'} is better)"
            if self.best_epoch > 0
            else "best -",
            f"elapsed {duration(elapsed)}",
            f"ETA {duration(eta)}" if left else "done",
        ]
        self.text.info(" | ".join(parts))

    def final_metrics(self) -> dict[str, float]:
        """The best epoch's mean validation metrics and the last training loss."""
        best = self._best_row() or {}
        out = {k: float(best[k]) for k in METRICS if isinstance(best.get(k), (int, float))}
        if self.logger and self.logger.rows:
            out["train_loss"] = float(self.logger.rows[-1]["train_loss"])
        return out

    @torch.no_grad()
    def validate(self) -> dict[str, dict[str, float]]:
        """Metrics per category on the validation set (rank 0 only)."""
        t = self.settings
        self.model.eval()
        records, first = [], None
        limit = t.limit_val_batches
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
        t = self.settings
        if self.logger is None:
            return
        partial, gt = batch["partial"], batch["complete"]
        for j in range(min(t.num_log_clouds, len(pred))):
            n = int(partial.lengths[j]) if partial.lengths is not None else partial.points.shape[1]
            tag = f"val/{batch['id'][j]}"
            self.logger.clouds(f"{tag}/pred", pred[j].numpy(), self.epoch)
            if self.epoch == 1 or not self.logger.writer:
                self.logger.clouds(f"{tag}/partial", partial.points[j, :n].numpy(), self.epoch)
                self.logger.clouds(f"{tag}/gt", gt.points[j].numpy(), self.epoch)
        every = t.render_every
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
        t = self.settings
        max_epochs = t.max_epochs
        run_epochs, last_val = 0, None
        start = time.perf_counter()
        self._timed = False
        self._start_message(max_epochs)
        try:
            while self.epoch < max_epochs:
                if t.max_steps and self.global_step >= t.max_steps:
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
                    if self.epoch % t.val_every == 0 or self.epoch == max_epochs:
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
                    self._epoch_message(row, max_epochs, time.perf_counter() - start, run_epochs)
                barrier(self.dist)
                if stop_after_epochs is not None and run_epochs >= stop_after_epochs:
                    break
            if self.logger and self.hparams:
                self.logger.hparams(self.hparams, self.final_metrics())
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

    def info(self, msg: str) -> None:
        """A line on the console and in ``train.log`` (rank 0 only)."""
        self.text.info(msg)

    def close(self) -> None:
        """Leave the process group, close ``train.log`` and free the run folder."""
        cleanup_distributed(self.dist)
        self.text.close()
        if self.lock is not None:
            self.lock.release()
