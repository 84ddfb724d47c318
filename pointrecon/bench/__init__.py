"""Benchmark harness: timing, peak memory, environment, roofline, JSON and markdown reports.

The benchmark *cases* are in :mod:`pointrecon.bench.suites` (``bm_ops``, ``bm_models``,
``bm_train_step``); the other modules are the machinery they share. Both ship in the wheel, so
the console script ``pointrecon bench`` works from any working directory.

Modules: ``case`` (:class:`~pointrecon.bench.case.Case`), ``clock`` (perf_counter / CUDA
events), ``timing`` (``measure``, ``run_case``), ``stats`` (``summarize``: median, p20, p80),
``memory`` (``PeakMemory``: CUDA allocator peak or RSS high-water mark), ``env`` (device,
driver, versions), ``roofline`` (measured FP32 peak, pair FLOPs), ``inputs`` (size grids, random
points), ``report`` (speed-ups, markdown), ``compare`` (ratios between runs), ``runner``.
Nothing is imported here, so ``pointrecon bench compare`` starts without loading torch.
"""
