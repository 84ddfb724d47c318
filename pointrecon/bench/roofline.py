"""Roofline reference: the device's measured peak FP32 rate and memory bandwidth, and the FLOP and
byte counts of the nearest-neighbour cases (knn, Chamfer).

The ideal time of a case is ``max(flops / peak_flops, bytes / peak_bandwidth)``; ``share`` is the
ideal time over the measured time (1 = on the roofline) and ``x_roofline`` its inverse (how many
times slower than the roofline the case runs).
"""

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


#: FLOPs of the backward of one nearest-neighbour distance per query point: the difference (3),
#: 2 g (x - y) (3 mul + 3 mul) and the two accumulations (6) -> 15.
FLOPS_BACKWARD_PER_POINT = 15


def pair_bytes(
    batch: int, n: int, m: int, directions: int = 1, *, k: int = 1, itemsize: int = 4
) -> float:
    """Compulsory DRAM bytes of a tiled nearest-neighbour search (forward).

    Per direction: read both clouds once (``(n + m) * 3 * itemsize``), write ``k`` distances
    (float32) and ``k`` indices (int64) per query point. Re-reads of reference tiles by other
    programs are served from cache and not counted (the roofline's lower bound).
    """
    pair_flops(batch, n, m, directions)  # validates the sizes
    reads = (n + m) * 3 * itemsize * directions
    queries = n if directions == 1 else n + m  # the second direction queries the other cloud
    return float(batch) * (reads + queries * k * (4 + 8))


def nearest_backward_cost(batch: int, n: int, m: int, directions: int = 1, itemsize: int = 4):
    """(FLOPs, bytes) of the fused backward from saved indices, all ``directions``.

    Per query point: read the point, its neighbour, the index and the incoming gradient, write
    its gradient and accumulate into the neighbour's (read + write).
    """
    points = batch * (n if directions == 1 else n + m)
    flops = float(FLOPS_BACKWARD_PER_POINT) * points
    per_point = 3 * itemsize * 2 + 8 + 4 + 3 * 4 + 3 * 4 * 2
    return flops, float(points * per_point)


def measure_peak_bandwidth(device: torch.device | str, *, mib: int | None = None) -> float:
    """Measured memory bandwidth in bytes/s of a large device-to-device copy (best of 5).

    ``mib`` defaults to 1024 on CUDA and 256 on CPU; a copy reads and writes each byte.
    """
    device = torch.device(device)
    n = int(mib or (1024 if device.type == "cuda" else 256)) * 2**20 // 4
    src = torch.ones(n, device=device)
    dst = torch.empty_like(src)
    clock = make_clock(device)
    dst.copy_(src)
    clock.sync()
    best = min(clock.time(lambda: dst.copy_(src)) for _ in range(5))
    return 2.0 * n * 4 / max(best, 1e-12)


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


def roofline(
    flops: float,
    seconds: float,
    peak_flops: float,
    bytes_moved: float | None = None,
    peak_bandwidth: float | None = None,
) -> dict[str, float | str | None]:
    """Ideal time on the roofline, achieved rates and the share of the roofline reached.

    Without ``bytes_moved``/``peak_bandwidth`` the ideal time is compute-only.
    """
    if seconds <= 0 or peak_flops <= 0:
        raise ValueError(f"seconds and peak_flops: expected > 0, got {seconds}, {peak_flops}")
    compute_s = flops / peak_flops
    memory_s = bytes_moved / peak_bandwidth if bytes_moved and peak_bandwidth else 0.0
    ideal_s = max(compute_s, memory_s)
    return {
        "flops": float(flops),
        "bytes": None if bytes_moved is None else float(bytes_moved),
        "ideal_ms": ideal_s * 1e3,
        "bound": "memory" if memory_s > compute_s else "compute",
        "achieved_gflops": flops / seconds / 1e9,
        "achieved_gbps": None if not bytes_moved else bytes_moved / seconds / 1e9,
        "share": ideal_s / seconds,
        "x_roofline": seconds / ideal_s if ideal_s > 0 else None,
    }
