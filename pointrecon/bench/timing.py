"""Timing loop: warm-up, rotating inputs, forward and forward+backward measured separately."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from pointrecon.bench.case import Case
from pointrecon.bench.clock import Clock, make_clock
from pointrecon.bench.memory import PeakMemory
from pointrecon.bench.roofline import roofline
from pointrecon.bench.stats import summarize


def measure(
    call: Callable[[int], Any],
    clock: Clock,
    *,
    warmup: int = 2,
    min_runs: int = 5,
    max_runs: int = 50,
    max_time_s: float = 2.0,
    before: Callable[[int], Any] | None = None,
) -> list[float]:
    """Durations in seconds of ``call(i)`` for run indices ``i = 0, 1, ...``.

    The first ``warmup`` runs are discarded. Timed runs continue until at least ``min_runs``
    are taken and either ``max_runs`` is reached or ``max_time_s`` of timed work has elapsed.
    ``before(i)``, if given, runs untimed before each call. The index lets the caller rotate
    through a pool of inputs.
    """
    if warmup < 0 or min_runs < 1 or max_runs < min_runs:
        raise ValueError(
            f"warmup/min_runs/max_runs: expected warmup >= 0 and 1 <= min_runs <= max_runs, "
            f"got {warmup}/{min_runs}/{max_runs}"
        )
    i = 0
    for _ in range(warmup):
        if before is not None:
            before(i)
        clock.time(lambda i=i: call(i))
        i += 1
    clock.sync()
    durations: list[float] = []
    spent = 0.0
    while len(durations) < min_runs or (len(durations) < max_runs and spent < max_time_s):
        if before is not None:
            before(i)
        d = clock.time(lambda i=i: call(i))
        durations.append(d)
        spent += d
        i += 1
    return durations


def _is_float_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


def check_not_zeros(inputs: Sequence[Any], where: str) -> None:
    """Raise ValueError if a floating input is all zeros (or constant): never time on zeros."""
    for j, x in enumerate(inputs):
        if _is_float_tensor(x) and x.numel() > 1:
            flat = x.detach().flatten()
            if bool((flat == flat[0]).all()):
                raise ValueError(
                    f"{where}: input {j} is constant ({flat[0].item()}); use random data"
                )
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size > 1:
            if bool((x == x.flat[0]).all()):
                raise ValueError(f"{where}: input {j} is constant ({x.flat[0]}); use random data")


def _default_loss(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        tensors = [out]
    elif isinstance(out, dict):
        tensors = list(out.values())
    elif isinstance(out, (list, tuple)):
        tensors = list(out)
    else:  # dataclass-like outputs (EncoderOutput, ReconOutput, ...)
        tensors = list(vars(out).values())
    flat: list[torch.Tensor] = []
    for t in tensors:
        if isinstance(t, (list, tuple)):
            flat += [u for u in t if _is_float_tensor(u) and u.requires_grad]
        elif _is_float_tensor(t) and t.requires_grad:
            flat.append(t)
    if not flat:
        raise ValueError("loss: the output has no floating tensor that requires grad")
    total = flat[0].float().sum()
    for t in flat[1:]:
        total = total + t.float().sum()
    return total


def _prepare_pool(case: Case, pool: int, requires_grad: bool) -> list[list[Any]]:
    inputs = []
    for seed in range(pool):
        args = list(case.make_inputs(seed))
        check_not_zeros(args, case.key)
        if requires_grad:
            for j in case.grad_args:
                args[j] = args[j].detach().clone().requires_grad_(True)
        inputs.append(args)
    return inputs


def _shapes(args: Sequence[Any]) -> dict[str, list[int]]:
    return {
        f"arg{j}": list(x.shape)
        for j, x in enumerate(args)
        if isinstance(x, (torch.Tensor, np.ndarray))
    }


def run_case(
    case: Case,
    device: torch.device | str,
    *,
    clock: Clock | None = None,
    pool: int = 4,
    warmup: int = 2,
    min_runs: int = 5,
    max_runs: int = 50,
    max_time_s: float = 2.0,
    peak_flops: float | None = None,
    measure_memory: bool = True,
    peak_bandwidth: float | None = None,
) -> dict[str, Any]:
    """Run one case: forward, then forward+backward; return its JSON record.

    The record has ``key``, ``suite``, ``group``, ``impl``, ``reference``, ``params``, ``dtype``,
    ``shapes``, ``device``, ``status`` (``ok``/``skipped``/``oom``/``error``), ``reason``,
    ``forward`` and ``forward_backward`` (each a :class:`Stats` dict plus ``peak_mem_bytes``, or
    None) and ``roofline`` (per mode, or None).
    """
    device = torch.device(case.device or device)
    clock = clock or make_clock(device)
    record: dict[str, Any] = {
        "key": case.key,
        "suite": case.suite,
        "group": case.group,
        "impl": case.impl,
        "reference": case.reference,
        "params": dict(case.params),
        "dtype": case.dtype,
        "shapes": dict(case.shapes),
        "device": str(device),
        "status": "ok",
        "reason": None,
        "forward": None,
        "forward_backward": None,
        "roofline": None,
        "tags": dict(case.tags),
    }
    if case.skip:
        record.update(status="skipped", reason=case.skip)
        return record
    started = time.perf_counter()
    loss_fn = case.loss or _default_loss
    try:
        modes = [("forward", False)] + ([("forward_backward", True)] if case.backward else [])
        for mode, backward in modes:
            if case.on_mode is not None:
                case.on_mode(backward)
            args_pool = _prepare_pool(case, pool, requires_grad=backward)
            if not record["shapes"]:
                record["shapes"] = _shapes(args_pool[0])

            def before(i: int, args_pool=args_pool) -> None:
                if case.before_each is not None:
                    case.before_each()
                for x in args_pool[i % len(args_pool)]:
                    if isinstance(x, torch.Tensor):
                        x.grad = None

            def call(i: int, args_pool=args_pool, backward=backward) -> Any:
                args = args_pool[i % len(args_pool)]
                if backward:
                    loss_fn(case.fn(*args)).backward()
                    return None
                if case.no_grad_forward:
                    with torch.no_grad():
                        return case.fn(*args)
                return case.fn(*args)

            durations = measure(
                call,
                clock,
                warmup=warmup,
                min_runs=min_runs,
                max_runs=max_runs,
                max_time_s=max_time_s,
                before=before,
            )
            stats = summarize(durations).to_dict()
            if measure_memory:
                before(len(durations))
                with PeakMemory(device) as mem:
                    call(len(durations))
                stats["peak_mem_bytes"] = mem.peak_bytes
                stats["mem_method"] = mem.method
            record[mode] = stats
            if case.flops and peak_flops:
                record["roofline"] = record["roofline"] or {}
                fb = mode == "forward_backward"
                flops = case.flops + (case.backward_flops if fb else 0.0)
                nbytes = None
                if case.bytes is not None:
                    nbytes = case.bytes + (case.backward_bytes if fb else 0.0)
                record["roofline"][mode] = roofline(
                    flops, stats["median_ms"] / 1e3, peak_flops, nbytes, peak_bandwidth
                )
    except torch.cuda.OutOfMemoryError as exc:
        record.update(status="oom", reason=str(exc).splitlines()[0])
    except Exception as exc:  # reported in the JSON, the run goes on
        record.update(status="error", reason=f"{type(exc).__name__}: {exc}")
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    record["wall_s"] = time.perf_counter() - started
    return record
