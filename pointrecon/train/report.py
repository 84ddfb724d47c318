"""Result tables of an evaluation: JSON, CSV and markdown, one row per (method, category)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from pointrecon.train.evaluation import METRICS
from pointrecon.utils.atomic import atomic_write_text


def _metric_keys(tables: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    first = next(iter(tables.values()))["mean"]
    return [k for k in METRICS if k in first]


def to_csv_rows(tables: dict[str, dict[str, dict[str, float]]]) -> list[dict]:
    """Long-format rows ``method, category, n, <metrics>`` from ``{method: summarize(...)}``."""
    keys = _metric_keys(tables)
    rows = []
    for method, table in tables.items():
        for cat, vals in table.items():
            rows.append(
                {"method": method, "category": cat, "n": int(vals["n"])}
                | {k: round(float(vals[k]), 6) for k in keys}
            )
    return rows


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text of ``rows`` (columns: the union of keys, in first-seen order)."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A GitHub markdown table; floats with 3 decimals."""

    def fmt(v: object) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


#: metric key -> a note printed under its table
METRIC_NOTES: dict[str, str] = {
    "emd": (
        "EMD here is exact (Hungarian) up to `emd_exact_max` points and Sinkhorn-approximated "
        "above. Published EMD numbers (PCN, MSN, PoinTr and others) use MSN's auction "
        "approximation, whose values differ: do not compare this column with papers' EMD."
    ),
}


def to_markdown(tables: dict[str, dict[str, dict[str, float]]], title: str = "") -> str:
    """One table per metric: rows are categories (then ``mean``), columns are methods."""
    keys = _metric_keys(tables)
    methods = list(tables)
    cats = [c for c in next(iter(tables.values())) if c != "mean"] + ["mean"]
    parts = [f"# {title}\n"] if title else []
    for k in keys:
        name, lower = METRICS[k]
        parts.append(f"## {name} ({'lower' if lower else 'higher'} is better)\n")
        rows = [
            [cat, int(tables[methods[0]][cat]["n"])]
            + [float(tables[m][cat][k]) if cat in tables[m] else "-" for m in methods]
            for cat in cats
        ]
        parts.append(markdown_table(["category", "n", *methods], rows) + "\n")
        if k in METRIC_NOTES:
            parts.append(f"Note: {METRIC_NOTES[k]}\n")
    return "\n".join(parts)


def write_tables(
    out_dir: str | os.PathLike,
    tables: dict[str, dict[str, dict[str, float]]],
    *,
    title: str = "",
    extra: dict | None = None,
) -> dict[str, Path]:
    """Write ``metrics.json``, ``metrics.csv`` and ``metrics.md`` (atomically) into ``out_dir``."""
    out = Path(out_dir)
    paths = {ext: out / f"metrics.{ext}" for ext in ("json", "csv", "md")}
    atomic_write_text(paths["json"], json.dumps({"tables": tables} | (extra or {}), indent=2))
    atomic_write_text(paths["csv"], rows_to_csv(to_csv_rows(tables)))
    atomic_write_text(paths["md"], to_markdown(tables, title))
    return paths
