"""``pointrecon sweep-report <multirun dir>``: one table of every run's overrides and metrics.

Reads each run's ``final_metrics.json`` (written by ``pointrecon train``) and
``.hydra/overrides.yaml``; writes ``sweep_report.csv``, ``sweep_report.md`` and
``sweep_report.png`` (the chosen metric per run) into the multirun folder or ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from pointrecon.errors import DataError
from pointrecon.train.report import markdown_table, rows_to_csv
from pointrecon.utils.atomic import atomic_path, atomic_write_text

METRIC_COLUMNS = ("cd_l1", "cd_l2", "fscore", "emd")


def collect_runs(root: str | Path) -> list[dict[str, Any]]:
    """One row per run folder under ``root``: ``run``, each override, epoch and best metrics."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(root, "not a folder: expected a Hydra multirun folder")
    rows = []
    for f in sorted(root.rglob("final_metrics.json")):
        run = f.parent
        try:
            final = json.loads(f.read_text(encoding="utf-8"))
        except ValueError as e:
            raise DataError(f, f"unreadable run summary ({e})") from e
        row: dict[str, Any] = {"run": str(run.relative_to(root))}
        ov = run / ".hydra" / "overrides.yaml"
        if ov.is_file():
            for item in yaml.safe_load(ov.read_text(encoding="utf-8")) or []:
                key, _, value = str(item).partition("=")
                row[key.lstrip("+~")] = value
        row["epoch"] = final.get("epoch")
        row["best_epoch"] = final.get("best_epoch")
        row["train_loss"] = final.get("train_loss")
        best = final.get("best_val") or {}
        row |= {k: best[k] for k in METRIC_COLUMNS if k in best}
        rows.append(row)
    if not rows:
        raise DataError(root, "no run with final_metrics.json found below this folder")
    return rows


def write_report(rows: list[dict], out: Path, metric: str = "cd_l1") -> dict[str, Path]:
    """Write the CSV, markdown and plot of ``rows`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    paths = {"csv": out / "sweep_report.csv", "md": out / "sweep_report.md"}
    atomic_write_text(paths["csv"], rows_to_csv(rows))
    table = [[r.get(c, "") if r.get(c) is not None else "" for c in cols] for r in rows]
    atomic_write_text(paths["md"], markdown_table(cols, table) + "\n")
    values = [(r["run"], r[metric]) for r in rows if isinstance(r.get(metric), (int, float))]
    if values:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(values) + 2), 4))
        ax.bar(range(len(values)), [v for _, v in values])
        ax.set_xticks(
            range(len(values)), [n for n, _ in values], rotation=60, ha="right", fontsize=7
        )
        ax.set_ylabel(f"best validation {metric}")
        paths["png"] = out / "sweep_report.png"
        with atomic_path(paths["png"]) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight")
        plt.close(fig)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pointrecon sweep-report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("multirun_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: input)")
    parser.add_argument("--metric", default="cd_l1", choices=METRIC_COLUMNS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        rows = collect_runs(args.multirun_dir)
    except DataError as e:
        print(f"pointrecon sweep-report: {e}", file=sys.stderr)
        return 2
    paths = write_report(rows, args.out or args.multirun_dir, args.metric)
    print(paths["md"].read_text(encoding="utf-8"))
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
