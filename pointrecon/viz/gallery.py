"""Best, median and worst samples per category of an evaluation run, as PNGs and an HTML page.

An evaluation run folder holds ``per_sample.csv`` (columns id, category, cd_l1, cd_l2, fscore,
...) and ``samples/<id>.npz`` with float32 arrays ``partial``, ``pred``, ``gt``.
"""

from __future__ import annotations

import csv
import html
import math
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.errors import DataError

HIGHER_IS_BETTER = ("fscore", "precision", "recall", "accuracy", "iou")


def read_per_sample(path: str | os.PathLike) -> list[dict[str, str]]:
    """Rows of ``per_sample.csv``; DataError when missing or without ``id``/``category``."""
    p = Path(path)
    if not p.is_file():
        raise DataError(p, "per_sample.csv not found (is this an evaluation run folder?)")
    with open(p, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise DataError(p, "no rows")
    missing = {"id", "category"} - set(rows[0])
    if missing:
        raise DataError(p, f"missing columns {sorted(missing)}; has {sorted(rows[0])}")
    return rows


def _value(row: dict[str, str], metric: str) -> float:
    try:
        v = float(row.get(metric, "nan"))
    except ValueError:
        return math.nan
    return v


def select_samples(
    rows: list[dict[str, str]], metric: str = "cd_l1"
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Per category: [("best", row), ("median", row), ("worst", row)] by ``metric``.

    Lower is better except for f-score-like metrics (``HIGHER_IS_BETTER``). Rows whose metric is
    missing or not finite are ignored; a category with fewer than three samples lists each once.
    """
    if rows and metric not in rows[0]:
        raise ValueError(f"metric: column {metric!r} not in per_sample.csv (has {sorted(rows[0])})")
    by_cat: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if math.isfinite(_value(row, metric)):
            by_cat.setdefault(row["category"], []).append(row)
    sign = -1.0 if metric in HIGHER_IS_BETTER else 1.0
    out = {}
    for cat in sorted(by_cat):
        ranked = sorted(by_cat[cat], key=lambda r: (sign * _value(r, metric), r["id"]))
        picks = [("best", 0), ("median", len(ranked) // 2), ("worst", len(ranked) - 1)]
        seen, chosen = set(), []
        for name, i in picks:
            if i not in seen:
                seen.add(i)
                chosen.append((name, ranked[i]))
        out[cat] = chosen
    return out


def _fmt(value: str) -> str:
    try:
        return f"{float(value):.4g}"
    except ValueError:
        return value


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120] or "_"


def gallery_html(entries: list[dict[str, Any]], *, title: str, metrics: list[str]) -> str:
    """A static HTML page: one section per category, one card per image with its metrics.

    ``entries``: dicts with category, rank, id, image (path relative to the page), and metrics.
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em;color:#222}"
        "figure{display:inline-block;margin:0 1em 1.5em 0;vertical-align:top}"
        "img{max-width:100%;border:1px solid #ddd}"
        "table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 8px;text-align:left}"
        "</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    cats = list(dict.fromkeys(x["category"] for x in entries))
    for cat in cats:
        parts.append(f"<h2>{e(cat)}</h2>")
        for x in (x for x in entries if x["category"] == cat):
            cells = "".join(
                f"<tr><th>{e(m)}</th><td>{e(str(x['metrics'].get(m, '')))}</td></tr>"
                for m in metrics
            )
            parts.append(
                f'<figure><img src="{e(x["image"], quote=True)}" alt="{e(x["id"])}">'
                f"<figcaption><b>{e(x['rank'])}</b> &middot; {e(x['id'])}"
                f"<table>{cells}</table></figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_eval_gallery(
    run_dir: str | os.PathLike,
    out_dir: str | os.PathLike | None = None,
    *,
    metric: str = "cd_l1",
    width: int = 320,
    height: int = 320,
    renderer: str | None = None,
    progress: bool = True,
) -> Path:
    """Render best/median/worst samples per category of an evaluation run and write index.html.

    Samples whose ``samples/<id>.npz`` is missing or unreadable are skipped with a warning, so the
    page references only images that exist. All pictures share one error colour scale.

    Returns:
        The path of the HTML page (``out_dir/index.html``; ``out_dir`` defaults to
        ``run_dir/gallery``).
    """
    from tqdm import tqdm

    from pointrecon.utils.atomic import atomic_write_text
    from pointrecon.viz.colors import nearest_distances
    from pointrecon.viz.comparison import render_comparison

    run = Path(run_dir)
    if not run.is_dir():
        raise DataError(run, "evaluation run folder not found")
    out = Path(out_dir) if out_dir is not None else run / "gallery"
    all_rows = read_per_sample(run / "per_sample.csv")
    metric_cols = [c for c in all_rows[0] if c not in ("id", "category")]
    # An evaluation may save only some samples (eval's save_samples): rank among those it saved.
    rows = [r for r in all_rows if (run / "samples" / f"{r['id']}.npz").is_file()]
    if len(rows) < len(all_rows):
        warnings.warn(
            f"{run}: {len(all_rows) - len(rows)} of {len(all_rows)} samples have no "
            "samples/<id>.npz (eval save_samples=null saves all); best/median/worst are chosen "
            "among the saved ones",
            stacklevel=2,
        )
    if not rows:
        raise DataError(run / "samples", "no saved samples to render (evaluate with save_samples)")
    chosen = select_samples(rows, metric)
    jobs = [(cat, rank, row) for cat, picks in chosen.items() for rank, row in picks]
    loaded = []
    for cat, rank, row in jobs:
        npz = run / "samples" / f"{row['id']}.npz"
        try:
            with np.load(npz) as data:
                arrays = {k: np.asarray(data[k]) for k in ("partial", "pred", "gt")}
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            warnings.warn(f"{npz}: skipped ({type(exc).__name__}: {exc})", stacklevel=2)
            continue
        loaded.append((cat, rank, row, arrays))
    # One error scale for the whole page, so that best and worst colours compare.
    scale = [
        float(np.percentile(nearest_distances(a["pred"], a["gt"]), 98))
        for *_, a in loaded
        if len(a["pred"]) and len(a["gt"])
    ]
    error_max = max(scale) if scale else None
    entries = []
    for cat, rank, row, arrays in tqdm(loaded, desc="render", disable=not progress, unit="img"):
        name = f"{_safe(cat)}_{rank}_{_safe(row['id'])}.png"
        render_comparison(
            arrays["partial"],
            arrays["pred"],
            arrays["gt"],
            out / name,
            width=width,
            height=height,
            renderer=renderer,
            error_max=error_max,
        )
        entries.append(
            {
                "category": cat,
                "rank": rank,
                "id": row["id"],
                "image": name,
                "metrics": {m: _fmt(row.get(m, "")) for m in metric_cols},
            }
        )
    page = out / "index.html"
    text = gallery_html(
        entries, title=f"{run.name}: best / median / worst by {metric}", metrics=metric_cols
    )
    atomic_write_text(page, text)
    return page
