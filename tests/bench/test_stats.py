"""Harness statistics: percentiles against numpy on a fake clock, warm-up, input rotation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pointrecon.bench.case import Case
from pointrecon.bench.clock import Clock
from pointrecon.bench.roofline import nearest_backward_cost, pair_bytes, pair_flops, roofline
from pointrecon.bench.stats import summarize
from pointrecon.bench.timing import check_not_zeros, measure, run_case


class FakeClock(Clock):
    """Returns pre-set durations and records which run index each call used."""

    name = "fake"

    def __init__(self, durations):
        self.durations = list(durations)
        self.calls = 0

    def time(self, fn):
        fn()
        d = self.durations[self.calls]
        self.calls += 1
        return d


def test_summarize_matches_numpy_percentiles():
    rng = np.random.default_rng(0)
    seconds = rng.uniform(0.001, 0.05, size=17)
    stats = summarize(seconds)
    ms = seconds * 1e3
    assert stats.median_ms == pytest.approx(np.median(ms))
    assert stats.p20_ms == pytest.approx(np.percentile(ms, 20))
    assert stats.p80_ms == pytest.approx(np.percentile(ms, 80))
    assert stats.mean_ms == pytest.approx(ms.mean())
    assert (stats.min_ms, stats.max_ms, stats.runs) == (
        pytest.approx(ms.min()),
        pytest.approx(ms.max()),
        17,
    )


def test_summarize_hand_computed_even_count():
    # 4 runs of 1, 2, 3, 4 ms: median 2.5; p20 at rank 0.6 -> 1.6; p80 at rank 2.4 -> 3.4
    stats = summarize([0.001, 0.004, 0.002, 0.003])
    assert (stats.median_ms, stats.p20_ms, stats.p80_ms) == pytest.approx((2.5, 1.6, 3.4))


@pytest.mark.parametrize("bad", [[], [0.1, float("nan")], [-1.0]])
def test_summarize_rejects_bad_input(bad):
    with pytest.raises(ValueError, match="seconds"):
        summarize(bad)


def test_measure_discards_warmup_and_rotates_inputs():
    durations = [9.0, 9.0] + [0.003, 0.001, 0.002, 0.005, 0.004]
    clock = FakeClock(durations)
    seen = []
    out = measure(
        lambda i: seen.append(i % 3), clock, warmup=2, min_runs=5, max_runs=5, max_time_s=0
    )
    assert out == durations[2:]  # the two slow warm-up runs are not in the statistics
    assert seen == [0, 1, 2, 0, 1, 2, 0]  # a pool of 3 inputs is cycled
    stats = summarize(out)
    assert stats.median_ms == pytest.approx(np.median(np.array(durations[2:]) * 1e3))


def test_measure_stops_on_time_budget_after_min_runs():
    clock = FakeClock([0.5] * 100)
    out = measure(lambda i: None, clock, warmup=0, min_runs=3, max_runs=100, max_time_s=1.2)
    assert len(out) == 3  # 3 runs (min) reach 1.5 s > 1.2 s
    clock = FakeClock([0.25] * 100)
    out = measure(lambda i: None, clock, warmup=0, min_runs=1, max_runs=100, max_time_s=1.0)
    assert len(out) == 4  # stops once 1.0 s of timed work is spent
    clock = FakeClock([0.25] * 100)
    out = measure(lambda i: None, clock, warmup=0, min_runs=1, max_runs=3, max_time_s=1.0)
    assert len(out) == 3  # max_runs caps it first


def test_run_case_times_distinct_inputs_forward_and_backward():
    seen_forward, seen_backward = set(), set()

    def fn(x):
        (seen_backward if x.requires_grad else seen_forward).add(float(x.detach().sum()))
        return x * 2

    case = Case(
        suite="ops",
        group="double",
        impl="torch",
        params={"N": 8},
        make_inputs=lambda seed: (torch.rand(8, generator=torch.Generator().manual_seed(seed)),),
        fn=fn,
    )
    record = run_case(case, "cpu", pool=3, warmup=1, min_runs=4, max_runs=4, max_time_s=0)
    assert record["status"] == "ok", record["reason"]
    assert len(seen_forward) == 3 and len(seen_backward) == 3
    assert record["forward"]["runs"] == 4 and record["forward_backward"]["runs"] == 4
    assert record["shapes"] == {"arg0": [8]}


def test_zero_inputs_are_refused():
    with pytest.raises(ValueError, match="constant"):
        check_not_zeros([torch.zeros(4, 3)], "case")
    with pytest.raises(ValueError, match="constant"):
        check_not_zeros([np.zeros((4, 3), np.float32)], "case")
    check_not_zeros([torch.rand(4, 3), torch.zeros(4, dtype=torch.int64)], "case")
    case = Case(
        suite="ops",
        group="g",
        impl="i",
        params={},
        make_inputs=lambda seed: (torch.zeros(5, 3),),
        fn=lambda x: x,
    )
    record = run_case(case, "cpu", pool=1, warmup=0, min_runs=1, max_runs=1)
    assert record["status"] == "error" and "constant" in record["reason"]


def test_roofline_formula():
    assert pair_flops(2, 10, 20, directions=2) == 8 * 2 * 10 * 20 * 2
    r = roofline(flops=1e9, seconds=0.5, peak_flops=1e10)
    assert r["ideal_ms"] == pytest.approx(100.0)
    assert r["achieved_gflops"] == pytest.approx(2.0)
    assert r["share"] == pytest.approx(0.2)
    assert r["x_roofline"] == pytest.approx(5.0) and r["bound"] == "compute"
    with pytest.raises(ValueError, match="n"):
        pair_flops(1, 0, 3)


def test_roofline_with_bytes_takes_the_slower_bound():
    # 1 GFLOP at 10 GFLOP/s = 0.1 s; 4 GB at 10 GB/s = 0.4 s: memory-bound, ideal 0.4 s
    r = roofline(1e9, 0.8, 1e10, bytes_moved=4e9, peak_bandwidth=1e10)
    assert r["bound"] == "memory" and r["ideal_ms"] == pytest.approx(400.0)
    assert r["share"] == pytest.approx(0.5) and r["x_roofline"] == pytest.approx(2.0)
    assert r["achieved_gbps"] == pytest.approx(5.0)
    # knn one way: both clouds read once, K float32 distances + int64 indices written per query
    assert pair_bytes(2, 10, 20, 1, k=4) == 2 * ((10 + 20) * 3 * 4 + 10 * 4 * 12)
    # Chamfer: each direction reads both clouds and writes one result per query point
    assert pair_bytes(2, 10, 20, 2) == 2 * (2 * (10 + 20) * 3 * 4 + (10 + 20) * 12)
    flops, nbytes = nearest_backward_cost(2, 10, 20, 2)
    assert flops == 15 * 2 * 30 and nbytes > 0


def test_peak_memory_sees_a_known_allocation():
    from pointrecon.bench.memory import PeakMemory

    size = 64 * 2**20
    with PeakMemory("cpu") as mem:
        x = torch.ones(size // 4, dtype=torch.float32)  # 64 MiB, written so it is resident
        del x
    if mem.method != "rss_hwm":
        pytest.skip(f"resident-set peak cannot be reset here (method {mem.method})")
    assert 0.9 * size <= mem.peak_bytes <= 4 * size
    with PeakMemory("cpu") as small:
        torch.ones(16)
    assert small.peak_bytes < size / 4  # the peak was reset between blocks


def test_environment_records_versions():
    from pointrecon.bench.env import environment

    env = environment("cpu")
    assert env["device"] == "cpu" and env["torch"] == torch.__version__
    assert env["device_name"] == env["cpu"] and env["cpu_count"] >= 1
    assert "scipy" in env["packages"] and env["timestamp"].endswith("+00:00")
