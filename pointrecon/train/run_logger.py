"""Rank-0 run logs: ``train.log`` (the console lines, through :mod:`logging`), a CSV of
per-epoch metrics, and TensorBoard scalars, clouds, images, hyperparameters and the config."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.train.report import rows_to_csv
from pointrecon.utils.atomic import atomic_write_text

LOG_NAME = "train.log"


class _ConsoleHandler(logging.Handler):
    """Writes records to the current ``sys.stdout`` through ``tqdm.write`` (a progress bar, if
    any, is redrawn below the line)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stdout)
        except Exception:  # noqa: BLE001 - logging must never stop training
            self.handleError(record)


class TextLog:
    """The run's console messages, also appended to ``<out_dir>/train.log`` with a timestamp.

    Each run has its own ``pointrecon.run`` logger (a :class:`logging.Logger` outside the
    logging tree, so runs in threads of one process do not mix and nothing reaches the root
    logger: Hydra's job logging, which puts a ``train.log`` handler and a console handler on the
    root logger, would print every line twice). ``out_dir=None``: writes nothing (other ranks).
    """

    def __init__(self, out_dir: str | os.PathLike | None, *, console: bool = True) -> None:
        self.handlers: list[logging.Handler] = []
        self.logger = logging.Logger("pointrecon.run", logging.INFO)
        self.enabled = out_dir is not None
        if not self.enabled:
            return
        path = Path(out_dir) / LOG_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(path, mode="a", encoding="utf-8")
        file.setFormatter(logging.Formatter("[%(asctime)s][%(levelname)s] %(message)s"))
        self.handlers.append(file)
        if console:
            con = _ConsoleHandler()
            con.setFormatter(logging.Formatter("%(message)s"))
            self.handlers.append(con)
        for h in self.handlers:
            self.logger.addHandler(h)

    def info(self, msg: str) -> None:
        if self.enabled:
            self.logger.info(msg)

    def warning(self, msg: str) -> None:
        if self.enabled:
            self.logger.warning(msg)

    def close(self) -> None:
        for h in self.handlers:
            self.logger.removeHandler(h)
            h.close()
        self.handlers = []
        self.enabled = False


class RunLogger:
    """Writes ``metrics.csv`` (rewritten atomically each epoch) and TensorBoard events.

    Args:
        out_dir: the run folder; TensorBoard events go to ``out_dir/tb``.
        tensorboard: create a ``SummaryWriter`` (skipped with a warning if unavailable).
        rows: metric rows from an earlier run being resumed.
    """

    def __init__(
        self, out_dir: str | os.PathLike, *, tensorboard: bool = True, rows: list | None = None
    ) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict[str, Any]] = list(rows or [])
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(str(self.out_dir / "tb"))
            except Exception as e:  # tensorboard missing or broken: logs still go to CSV
                warnings.warn(f"TensorBoard logging disabled: {e}", stacklevel=2)

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self.writer is not None:
            self.writer.add_scalar(tag, float(value), step)

    def row(self, row: dict[str, Any]) -> None:
        """Append one epoch's metrics and rewrite ``metrics.csv``."""
        self.rows.append(dict(row))
        atomic_write_text(self.out_dir / "metrics.csv", rows_to_csv(self.rows))

    def clouds(self, tag: str, points: np.ndarray, step: int, colors: np.ndarray | None = None):
        """A point cloud (N, 3) to TensorBoard's mesh plugin (``add_mesh``)."""
        if self.writer is None:
            return
        import torch

        kw = {}
        if colors is not None:
            kw["colors"] = torch.as_tensor(colors[None], dtype=torch.uint8)
        self.writer.add_mesh(tag, vertices=torch.as_tensor(points[None]), global_step=step, **kw)

    def image(self, tag: str, image: np.ndarray, step: int) -> None:
        """An (H, W, 3) uint8 image."""
        if self.writer is not None:
            self.writer.add_image(tag, image, step, dataformats="HWC")

    def config_text(self, yaml_text: str) -> None:
        """The resolved config as a markdown code block (TensorBoard's Text tab, tag ``config``)."""
        if self.writer is not None:
            self.writer.add_text("config", f"```yaml\n{yaml_text.rstrip()}\n```", 0)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        """One HParams-dashboard entry: ``hparams`` (scalars) with the final ``metrics``, written
        into this run's ``tb`` folder (metric tags ``hparam/<name>``)."""
        if self.writer is None or not hparams:
            return
        self.writer.add_hparams(
            dict(hparams),
            {f"hparam/{k}": float(v) for k, v in metrics.items()},
            run_name=".",
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
