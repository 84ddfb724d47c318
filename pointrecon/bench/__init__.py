"""Benchmark harness: timing, peak memory, environment, roofline, JSON and markdown reports.

The benchmark *cases* live in the repository's ``benchmarks/`` folder (``bm_ops.py``,
``bm_models.py``, ``bm_train_step.py``); this package is the machinery they share, so that the
console script ``pointrecon bench`` works from any working directory and the tests can import it.
"""

from pointrecon.bench.case import Case
from pointrecon.bench.clock import Clock, CpuClock, CudaClock, make_clock
from pointrecon.bench.compare import compare_reports, format_compare
from pointrecon.bench.env import environment
from pointrecon.bench.memory import PeakMemory
from pointrecon.bench.roofline import measure_peak_flops, pair_flops
from pointrecon.bench.stats import Stats, summarize
from pointrecon.bench.timing import measure, run_case

__all__ = [
    "Case",
    "Clock",
    "CpuClock",
    "CudaClock",
    "PeakMemory",
    "Stats",
    "compare_reports",
    "environment",
    "format_compare",
    "make_clock",
    "measure",
    "measure_peak_flops",
    "pair_flops",
    "run_case",
    "summarize",
]
