"""Benchmark harness: timing, peak memory, environment, roofline, JSON and markdown reports.

The benchmark *cases* live in the repository's ``benchmarks/`` folder (``bm_ops.py``,
``bm_models.py``, ``bm_train_step.py``); this package is the machinery they share, so that the
console script ``pointrecon bench`` works from any working directory and the tests can import it.

Modules: ``case`` (:class:`~pointrecon.bench.case.Case`), ``clock`` (perf_counter / CUDA
events), ``timing`` (``measure``, ``run_case``), ``stats`` (``summarize``: median, p20, p80),
``memory`` (``PeakMemory``: CUDA allocator peak or RSS high-water mark), ``env`` (device,
driver, versions), ``roofline`` (measured FP32 peak, pair FLOPs), ``inputs`` (size grids, random
points), ``report`` (speed-ups, markdown), ``compare`` (ratios between runs), ``runner``.
Nothing is imported here, so ``pointrecon bench compare`` starts without loading torch.
"""
