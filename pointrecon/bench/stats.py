"""Summary statistics of repeated timings: median with the 20th and 80th percentiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Stats:
    """Summary of ``runs`` timings, all in milliseconds.

    Percentiles use linear interpolation between order statistics (``numpy.percentile``'s
    default), so ``median`` of an even number of runs is the mean of the two middle ones.
    """

    median_ms: float
    p20_ms: float
    p80_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    runs: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(seconds: Sequence[float]) -> Stats:
    """Summarise per-run durations given in seconds.

    Shapes:
        seconds: (T,) with T >= 1 timed runs.
    """
    values = np.asarray(list(seconds), dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"seconds: expected a non-empty 1-D sequence, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"seconds: expected finite non-negative durations, got {values.tolist()}")
    ms = values * 1e3
    p20, p50, p80 = np.percentile(ms, [20.0, 50.0, 80.0])
    return Stats(
        median_ms=float(p50),
        p20_ms=float(p20),
        p80_ms=float(p80),
        mean_ms=float(ms.mean()),
        min_ms=float(ms.min()),
        max_ms=float(ms.max()),
        runs=int(ms.size),
    )
