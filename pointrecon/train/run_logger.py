"""Rank-0 run logs: a CSV of per-epoch metrics and TensorBoard scalars, clouds and images."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.train.report import rows_to_csv
from pointrecon.utils.atomic import atomic_write_text


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

    def close(self) -> None:
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
