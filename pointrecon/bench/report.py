"""Post-processing of a run: speed-ups against the reference twin and the markdown table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

MODES = ("forward", "forward_backward")


def _median(record: dict[str, Any], mode: str) -> float | None:
    stats = record.get(mode)
    return None if not stats else stats.get("median_ms")


def _comparison_key(record: dict[str, Any]) -> str:
    params = ",".join(f"{k}={v}" for k, v in sorted(record["params"].items()))
    return f"{record['suite']}/{record['group']}[{params}]"


def add_speedups(results: list[dict[str, Any]]) -> None:
    """Set ``record["vs_reference"]`` = reference median / own median per mode (in place).

    The reference is the record with ``reference=True`` among those with the same suite, group
    and params (the naive twin). Values above 1 mean faster than the reference.
    """
    refs = {_comparison_key(r): r for r in results if r.get("reference") and r["status"] == "ok"}
    for r in results:
        ref = refs.get(_comparison_key(r))
        if ref is None or r["status"] != "ok":
            r["vs_reference"] = None
            continue
        entry: dict[str, Any] = {"impl": ref["impl"]}
        for mode in MODES:
            own, base = _median(r, mode), _median(ref, mode)
            entry[mode] = base / own if own and base else None
        r["vs_reference"] = entry


def _fmt_ms(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "-"
    return f"{stats['median_ms']:.3g} ({stats['p20_ms']:.3g}-{stats['p80_ms']:.3g})"


def _fmt_mem(stats: dict[str, Any] | None) -> str:
    if not stats or stats.get("peak_mem_bytes") is None:
        return "-"
    return f"{stats['peak_mem_bytes'] / 2**20:.1f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}x"


def _fmt_share(record: dict[str, Any], mode: str) -> str:
    roof = (record.get("roofline") or {}).get(mode)
    if not roof:
        return "-"
    times = roof.get("x_roofline")
    return f"{100 * roof['share']:.1f}%" + (f" ({times:.3g}x)" if times else "")


def _fmt_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def markdown_table(results: list[dict[str, Any]], env: dict[str, Any] | None = None) -> str:
    """A markdown table per suite; times are medians with the 20th-80th percentile range."""
    lines: list[str] = []
    if env:
        peak = env.get("peak_fp32_gflops")
        bw = env.get("peak_bandwidth_gbps")
        lines.append(
            f"device: {env.get('device')} ({env.get('device_name')}), torch {env.get('torch')}, "
            f"CUDA {env.get('cuda')}, driver {env.get('driver')}"
            + (f", measured FP32 peak {peak:.1f} GFLOP/s" if peak else "")
            + (f", copy bandwidth {bw:.1f} GB/s" if bw else "")
        )
        lines.append("")
    by_suite: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_suite[r["suite"]].append(r)
    header = (
        "| case | impl | params | dtype | fwd ms (p20-p80) | fwd+bwd ms (p20-p80) | "
        "peak MiB fwd / f+b | vs ref fwd / f+b | roofline fwd / f+b | status |"
    )
    for suite, records in by_suite.items():
        lines += [f"### {suite}", "", header, "|" + "---|" * 10]
        for r in records:
            vs = r.get("vs_reference") or {}
            status = r["status"] if r["status"] == "ok" else f"{r['status']}: {r.get('reason')}"
            status = status.replace("|", "/").replace("\n", " ")[:80]
            impl = r["impl"] + (" (ref)" if r.get("reference") else "")
            lines.append(
                f"| {r['group']} | {impl} | {_fmt_params(r['params'])} | {r.get('dtype', '')} | "
                f"{_fmt_ms(r.get('forward'))} | {_fmt_ms(r.get('forward_backward'))} | "
                f"{_fmt_mem(r.get('forward'))} / {_fmt_mem(r.get('forward_backward'))} | "
                f"{_fmt_ratio(vs.get('forward'))} / {_fmt_ratio(vs.get('forward_backward'))} | "
                f"{_fmt_share(r, 'forward')} / {_fmt_share(r, 'forward_backward')} | {status} |"
            )
        lines.append("")
    return "\n".join(lines)
