"""The per-difficulty table of a ShapeNet-55/34 test run, as PoinTr reports it.

PoinTr's tables give, for the 3 crop difficulties (its paper's Simple, Moderate, Hard; our and
its code's ``easy``, ``median``, ``hard``: 1/4, 1/2, 3/4 of the points removed) the mean over
categories of the per-category means, and the average of the three rows.
:func:`difficulty_tables` builds that table for every method of an evaluation from its
per-sample rows; :func:`write_difficulty_tables` saves it next to the pooled tables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pointrecon.data.shapenet55 import aggregate_by_difficulty, parse_test_id
from pointrecon.train.evaluation import METRICS
from pointrecon.train.report import markdown_table, rows_to_csv
from pointrecon.utils.atomic import atomic_write_text

#: our difficulty key -> the name PoinTr's paper prints
PAPER_NAMES = {"easy": "Simple", "median": "Moderate", "hard": "Hard", "avg": "Avg"}


def _difficulty(row: Mapping[str, Any]) -> str | None:
    value = row.get("difficulty")
    if value not in (None, "", "random"):
        return str(value)
    try:
        return parse_test_id(str(row.get("id", "")))[1]
    except ValueError:
        return None


def has_difficulties(rows: Sequence[Mapping[str, Any]]) -> bool:
    """True when every row belongs to a difficulty (a ShapeNet-55/34 test split)."""
    return bool(rows) and all(_difficulty(row) is not None for row in rows)


def difficulty_tables(
    rows: Sequence[Mapping[str, Any]], methods: Sequence[str]
) -> dict[str, dict[str, dict[str, float]]]:
    """``{method: {difficulty or "avg": {metric: value}}}`` from per-sample rows.

    ``rows`` are an evaluation's ``per_sample.csv`` rows: the first method's metrics have bare
    names (``cd_l1``), the others are prefixed (``input_cd_l1``). Metrics are those of
    :data:`pointrecon.train.evaluation.METRICS` present for every method.
    """
    if not rows:
        raise ValueError("rows: expected per-sample rows, got none")
    if not methods:
        raise ValueError("methods: expected at least one method, got none")
    tables: dict[str, dict[str, dict[str, float]]] = {}
    for i, method in enumerate(methods):
        prefix = "" if i == 0 else f"{method}_"
        keys = [k for k in METRICS if f"{prefix}{k}" in rows[0]]
        if not keys:
            raise ValueError(f"rows: no metric column for method {method!r}; has {sorted(rows[0])}")
        renamed = [
            {"id": r.get("id", ""), "category": r.get("category", "")}
            | ({"difficulty": r["difficulty"]} if "difficulty" in r else {})
            | {k: r[f"{prefix}{k}"] for k in keys}
            for r in rows
        ]
        tables[method] = aggregate_by_difficulty(renamed, metrics=keys)
    return tables


def difficulty_markdown(tables: dict[str, dict[str, dict[str, float]]], title: str = "") -> str:
    """One markdown table per metric: rows are the difficulties then ``avg``, columns methods."""
    methods = list(tables)
    first = tables[methods[0]]
    rows_order = list(first)
    keys = [k for k in METRICS if k in first["avg"]]
    parts = [f"# {title}\n"] if title else []
    for k in keys:
        name, lower = METRICS[k]
        parts.append(f"## {name} per difficulty ({'lower' if lower else 'higher'} is better)\n")
        body = [
            [f"{d} ({PAPER_NAMES.get(d, d)})"]
            + [float(tables[m][d][k]) if d in tables[m] else "-" for m in methods]
            for d in rows_order
        ]
        parts.append(markdown_table(["difficulty", *methods], body) + "\n")
    return "\n".join(parts)


def write_difficulty_tables(
    out_dir: str | os.PathLike,
    tables: dict[str, dict[str, dict[str, float]]],
    *,
    title: str = "",
) -> dict[str, Path]:
    """Write ``metrics_by_difficulty.json``, ``.csv`` and ``.md`` into ``out_dir``."""
    out = Path(out_dir)
    paths = {ext: out / f"metrics_by_difficulty.{ext}" for ext in ("json", "csv", "md")}
    atomic_write_text(paths["json"], json.dumps({"tables": tables}, indent=2))
    long_rows = [
        {"method": m, "difficulty": d} | {k: round(float(v), 6) for k, v in vals.items()}
        for m, table in tables.items()
        for d, vals in table.items()
    ]
    atomic_write_text(paths["csv"], rows_to_csv(long_rows))
    atomic_write_text(paths["md"], difficulty_markdown(tables, title))
    return paths
