"""Roofline reference: the device's measured peak FP32 rate and pair-distance FLOP counts."""

from __future__ import annotations

import torch

from pointrecon.bench.clock import make_clock

#: FLOPs charged per (query point, reference point) pair per direction: 3 subtractions,
#: 3 multiply-adds for the squared norm (6 FLOPs), one comparison/min -> 8 by convention.
FLOPS_PER_PAIR = 8


def pair_flops(batch: int, n: int, m: int, directions: int = 1) -> float:
    """FLOPs of an exhaustive nearest-neighbour search: 8 per point pair per direction.

    Chamfer searches both ways (``directions=2``); ``knn(x, y)`` one way.
    """
    for name, value in (("batch", batch), ("n", n), ("m", m), ("directions", directions)):
        if int(value) < 1:
            raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return float(FLOPS_PER_PAIR) * batch * n * m * directions


def measure_peak_flops(
    device: torch.device | str, *, size: int | None = None, repeats: int = 5
) -> float:
    """Measured FP32 FLOP/s of a large square matmul on ``device`` (best of ``repeats``).

    TF32 is switched off for the measurement so the reference is true FP32. ``size`` defaults
    to 8192 on CUDA and 1024 on CPU (2 n^3 FLOPs per product).
    """
    device = torch.device(device)
    n = int(size or (8192 if device.type == "cuda" else 1024))
    gen = torch.Generator(device="cpu").manual_seed(0)
    a = torch.rand(n, n, generator=gen).to(device) + 0.5
    b = torch.rand(n, n, generator=gen).to(device) + 0.5
    clock = make_clock(device)
    prev_tf32 = torch.backends.cuda.matmul.allow_tf32
    prev_prec = torch.get_float32_matmul_precision()
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")
        torch.mm(a, b)  # warm-up
        clock.sync()
        best = min(clock.time(lambda: torch.mm(a, b)) for _ in range(max(1, repeats)))
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev_tf32
        torch.set_float32_matmul_precision(prev_prec)
    return 2.0 * n**3 / max(best, 1e-12)


def roofline(flops: float, seconds: float, peak_flops: float) -> dict[str, float]:
    """Ideal time at ``peak_flops``, achieved rate and the share of peak reached."""
    if seconds <= 0 or peak_flops <= 0:
        raise ValueError(f"seconds and peak_flops: expected > 0, got {seconds}, {peak_flops}")
    achieved = flops / seconds
    return {
        "flops": float(flops),
        "ideal_ms": flops / peak_flops * 1e3,
        "achieved_gflops": achieved / 1e9,
        "share": achieved / peak_flops,
    }
