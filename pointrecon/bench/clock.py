"""Clocks that time one call: ``perf_counter`` on CPU, CUDA events on a GPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch


class Clock:
    """Times one call of ``fn`` and returns its duration in seconds.

    Subclasses decide how: wall clock with a device synchronisation, or device events. The
    harness only relies on ``time(fn) -> float``, which lets tests inject a fake clock.
    """

    name = "abstract"

    def time(self, fn: Callable[[], Any]) -> float:
        raise NotImplementedError

    def sync(self) -> None:
        """Wait for queued device work (no-op on CPU)."""


class CpuClock(Clock):
    """``time.perf_counter`` around the call (CPU work is synchronous)."""

    name = "perf_counter"

    def time(self, fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start


class CudaClock(Clock):
    """CUDA events recorded on the current stream around the call.

    The events measure device time between the two records; the clock synchronises on the end
    event before reading it, so back-to-back runs do not overlap in the measurement.
    """

    name = "cuda_events"

    def __init__(self, device: torch.device | str = "cuda") -> None:
        self.device = torch.device(device)
        if self.device.type != "cuda":
            raise ValueError(f"device: CudaClock needs a CUDA device, got {self.device}")

    def time(self, fn: Callable[[], Any]) -> float:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        with torch.cuda.device(self.device):
            start.record()
            fn()
            end.record()
            end.synchronize()
        return start.elapsed_time(end) / 1e3

    def sync(self) -> None:
        torch.cuda.synchronize(self.device)


def make_clock(device: torch.device | str) -> Clock:
    """The clock for ``device``: CUDA events on ``cuda``, ``perf_counter`` otherwise."""
    device = torch.device(device)
    return CudaClock(device) if device.type == "cuda" else CpuClock()
