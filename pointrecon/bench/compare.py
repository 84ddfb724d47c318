"""Ratios between two benchmark runs (``pointrecon bench compare a.json b.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pointrecon.errors import DataError

MODES = ("forward", "forward_backward")
SCHEMA = "pointrecon.bench/1"


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a run's JSON, checking that it is a pointrecon benchmark report."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise DataError(path, "file not found") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(path, f"not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise DataError(path, f"expected a benchmark report with schema {SCHEMA!r}, got {found!r}")
    return data


def _ratio(a: float | None, b: float | None) -> float | None:
    return b / a if a and b is not None else None


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per case key present in both runs (ok in both), in ``a``'s order.

    Each row: ``key``, per mode ``{mode}_a_ms``, ``{mode}_b_ms`` and ``{mode}_ratio`` = b / a
    of the medians (below 1: b is faster), and ``mem_ratio`` = b / a of forward+backward peak
    memory (forward when there is no backward).
    """
    b_by_key = {r["key"]: r for r in b["results"] if r["status"] == "ok"}
    rows: list[dict[str, Any]] = []
    for ra in a["results"]:
        rb = b_by_key.get(ra["key"])
        if ra["status"] != "ok" or rb is None:
            continue
        row: dict[str, Any] = {"key": ra["key"]}
        for mode in MODES:
            ma = (ra.get(mode) or {}).get("median_ms")
            mb = (rb.get(mode) or {}).get("median_ms")
            row[f"{mode}_a_ms"], row[f"{mode}_b_ms"] = ma, mb
            row[f"{mode}_ratio"] = _ratio(ma, mb)
        mode = "forward_backward" if ra.get("forward_backward") else "forward"
        row["mem_ratio"] = _ratio(
            (ra.get(mode) or {}).get("peak_mem_bytes"), (rb.get(mode) or {}).get("peak_mem_bytes")
        )
        rows.append(row)
    return rows


def format_compare(
    a: dict[str, Any], b: dict[str, Any], names: tuple[str, str] = ("a", "b")
) -> str:
    """Markdown table of :func:`compare_reports` with the two devices in the header."""

    def f(x: float | None, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    na, nb = names
    lines = [
        f"a = {na}: {a['env'].get('device_name')} ({a['env'].get('timestamp')})",
        f"b = {nb}: {b['env'].get('device_name')} ({b['env'].get('timestamp')})",
        "ratio = b / a of median times (below 1: b is faster)",
        "",
        "| case | fwd a ms | fwd b ms | fwd b/a | f+b a ms | f+b b ms | f+b b/a | mem b/a |",
        "|" + "---|" * 8,
    ]
    rows = compare_reports(a, b)
    for r in rows:
        lines.append(
            f"| {r['key']} | {f(r['forward_a_ms'], '.3g')} | {f(r['forward_b_ms'], '.3g')} | "
            f"{f(r['forward_ratio'], '.3f')} | {f(r['forward_backward_a_ms'], '.3g')} | "
            f"{f(r['forward_backward_b_ms'], '.3g')} | {f(r['forward_backward_ratio'], '.3f')} | "
            f"{f(r['mem_ratio'], '.3f')} |"
        )
    only_a = {r["key"] for r in a["results"]} - {r["key"] for r in b["results"]}
    only_b = {r["key"] for r in b["results"]} - {r["key"] for r in a["results"]}
    if only_a or only_b:
        lines += ["", f"cases only in a: {len(only_a)}, only in b: {len(only_b)}"]
    if not rows:
        lines += ["", "no case ran in both reports"]
    return "\n".join(lines)
