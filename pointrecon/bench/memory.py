"""Peak memory of a block of code: CUDA allocator peak on a GPU, resident set size on CPU."""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from types import TracebackType

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_rss_peak() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0: ``echo 5 > clear_refs``)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _ru_maxrss_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale


class PeakMemory:
    """Context manager measuring the extra memory a block needs at its peak.

    ``peak_bytes`` is the peak during the block minus what was in use when it started, so
    resident inputs and weights are not counted. ``method`` names how it was measured:

    - ``cuda_max_memory_allocated``: ``torch.cuda.max_memory_allocated`` after
      ``reset_peak_memory_stats`` (exact for the caching allocator);
    - ``rss_hwm``: Linux ``VmHWM`` after resetting it through ``/proc/self/clear_refs``, minus
      ``VmRSS`` at entry. Approximate: the C allocator may serve small buffers from memory it
      already holds, so it is a lower bound on the working set;
    - ``ru_maxrss``: fallback where the reset is impossible; 0 unless the block raises the
      process's lifetime peak.
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.peak_bytes: int | None = None
        self.method = ""
        self._start = 0

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
            self.method = "cuda_max_memory_allocated"
        elif _reset_rss_peak() and _status_kib("VmRSS") is not None:
            self._start = (_status_kib("VmRSS") or 0) * 1024
            self.method = "rss_hwm"
        else:
            self._start = _ru_maxrss_bytes()
            self.method = "ru_maxrss"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            return
        if self.method == "cuda_max_memory_allocated":
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        elif self.method == "rss_hwm":
            peak = (_status_kib("VmHWM") or 0) * 1024
        else:
            peak = _ru_maxrss_bytes()
        self.peak_bytes = max(0, int(peak) - int(self._start))
