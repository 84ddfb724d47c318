"""``pointrecon sweep-report <multirun dir>``: every run's overrides and metrics, the runs that
differ only by seed grouped (mean ± std, n), and the metric against a swept number.

Reads each run's ``final_metrics.json`` (written by ``pointrecon train``) and
``.hydra/overrides.yaml``; writes into the multirun folder or ``--out``:

- ``sweep_report.csv``: one row per run;
- ``sweep_groups.csv``: one row per setting (the runs that differ only by ``seed``), with
  ``<metric>_mean``, ``<metric>_std`` (sample standard deviation; 0 for a single run) and ``n``;
- ``sweep_report.md``: both tables, metric columns titled with their unit and direction
  (``CD-L1 (x1e3), lower is better``; the stored values are already x1e3, as every table of the
  project reports them);
- ``sweep_report.png``: the chosen metric (mean ± std over seeds) against a numeric swept
  parameter (``--param``, default: the first numeric override that varies), log scale when it
  spans a factor of 10 or more; one line per setting of the other swept overrides; a bar chart
  of the settings when no override is numeric.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import yaml

from pointrecon.errors import DataError
from pointrecon.train.evaluation import METRICS
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


SEED_KEYS = ("seed",)


def metric_title(metric: str) -> str:
    """``CD-L1 (x1e3), lower is better``: the metric's title with its unit and direction."""
    title, lower = METRICS.get(metric, (metric, True))
    return f"{title}, {'lower' if lower else 'higher'} is better"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _override_keys(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k not in _NOT_OVERRIDES]
    return keys


_NOT_OVERRIDES = {"run", "epoch", "best_epoch", "train_loss", *METRIC_COLUMNS}


def group_runs(rows: list[dict], metrics: tuple[str, ...] = METRIC_COLUMNS) -> list[dict]:
    """One row per setting: the runs whose overrides are equal except for ``seed``, with ``n``
    and ``<metric>_mean`` / ``<metric>_std`` (sample standard deviation, 0 for one run) of each
    metric in ``metrics`` that the runs have."""
    keys = [k for k in _override_keys(rows) if k not in SEED_KEYS]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(str(r.get(k, "")) for k in keys), []).append(r)
    out = []
    for key, members in groups.items():
        g: dict[str, Any] = {k: v for k, v in zip(keys, key) if v != ""}
        g["n"] = len(members)
        seeds = sorted({str(m.get("seed", "")) for m in members} - {""})
        if seeds:
            g["seeds"] = " ".join(seeds)
        for m in metrics:
            vals = [float(x[m]) for x in members if isinstance(x.get(m), (int, float))]
            if vals:
                mean = sum(vals) / len(vals)
                var = sum((v - mean) ** 2 for v in vals) / (len(vals) - 1) if len(vals) > 1 else 0
                g[f"{m}_mean"], g[f"{m}_std"] = mean, math.sqrt(var)
        out.append(g)
    return out


def numeric_params(groups: list[dict]) -> list[str]:
    """The override keys (not ``seed``) whose values are all numbers and vary across groups."""
    keys = [k for k in _override_keys(groups) if k not in ("n", "seeds") and "_mean" not in k]
    keys = [k for k in keys if not k.endswith("_std")]
    out = []
    for k in keys:
        vals = [_number(g.get(k)) for g in groups]
        if all(v is not None for v in vals) and len(set(vals)) > 1:
            out.append(k)
    return out


def _plot(groups: list[dict], metric: str, param: str | None, path: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ylabel = f"best validation {metric_title(metric)}"
    have = [g for g in groups if f"{metric}_mean" in g]
    ns = sorted({g["n"] for g in have})
    n_text = f"n = {ns[0]}" if len(ns) == 1 else f"n = {ns[0]}..{ns[-1]}"
    labels = {"y": ylabel}
    if param is not None:
        others = [
            k for k in _override_keys(have) if k not in (param, "n", "seeds") and "_" != k[:1]
        ]
        others = [k for k in others if not k.endswith(("_mean", "_std"))]
        others = [k for k in others if len({str(g.get(k, "")) for g in have}) > 1]
        lines: dict[str, list[dict]] = {}
        for g in have:
            name = ", ".join(f"{k}={g.get(k, '')}" for k in others)
            lines.setdefault(name, []).append(g)
        single = len(lines) > 1 and all(len(v) == 1 for v in lines.values())
        if single:  # e.g. an Optuna search: every trial its own setting, one series of points
            lines = {"": have}
        xs_all = [_number(g[param]) for g in have]
        log = min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 10
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, members in lines.items():
            members.sort(key=lambda g: _number(g[param]))
            ax.errorbar(
                [_number(g[param]) for g in members],
                [g[f"{metric}_mean"] for g in members],
                yerr=[g[f"{metric}_std"] for g in members],
                marker="o",
                capsize=3,
                linestyle="none" if single else "-",
                label=name or None,
            )
        if log:
            ax.set_xscale("log")
        labels["x"] = param + (" (log scale)" if log else "")
        ax.set_xlabel(labels["x"])
        if len(lines) > 1:
            ax.legend(fontsize=7)
    else:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(have) + 2), 4))
        names = [
            ", ".join(f"{k}={v}" for k, v in g.items() if k not in ("n", "seeds") and "_" not in k)
            or f"group {i}"
            for i, g in enumerate(have)
        ]
        ax.bar(
            range(len(have)),
            [g[f"{metric}_mean"] for g in have],
            yerr=[g[f"{metric}_std"] for g in have],
            capsize=3,
        )
        ax.set_xticks(range(len(have)), names, rotation=60, ha="right", fontsize=7)
        labels["x"] = "setting"
    ax.set_ylabel(ylabel)
    ax.set_title(f"mean ± std over seeds ({n_text} runs per point)", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(
            tmp,
            dpi=120,
            bbox_inches="tight",
            format="png",
            metadata={"Title": f"{metric} sweep", "Description": f"x: {labels['x']}; y: {ylabel}"},
        )
    plt.close(fig)
    return labels


def _fmt_group_value(g: dict, m: str) -> str:
    if f"{m}_mean" not in g:
        return ""
    if g["n"] == 1:
        return f"{g[f'{m}_mean']:.3f}"
    return f"{g[f'{m}_mean']:.3f} ± {g[f'{m}_std']:.3f}"


def write_report(
    rows: list[dict], out: Path, metric: str = "cd_l1", param: str | None = None
) -> dict[str, Path]:
    """Write the per-run and per-setting CSVs, the markdown and the plot of ``rows`` into
    ``out``; ``param``: the swept number on the plot's x axis (default: the first numeric
    override that varies; ``""``: none, a bar per setting)."""
    out.mkdir(parents=True, exist_ok=True)
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    paths = {
        "csv": out / "sweep_report.csv",
        "groups_csv": out / "sweep_groups.csv",
        "md": out / "sweep_report.md",
    }
    atomic_write_text(paths["csv"], rows_to_csv(rows))
    groups = group_runs(rows)
    atomic_write_text(paths["groups_csv"], rows_to_csv(groups))
    metrics = [m for m in METRIC_COLUMNS if any(f"{m}_mean" in g for g in groups)]
    titles = {m: metric_title(m) for m in METRIC_COLUMNS}
    table = [[r.get(c, "") if r.get(c) is not None else "" for c in cols] for r in rows]
    gkeys = [k for k in _override_keys(groups) if k not in ("n", "seeds")]
    gkeys = [k for k in gkeys if not k.endswith(("_mean", "_std"))]
    # overrides equal in every run are stated once, above the tables
    common = {k: groups[0].get(k) for k in gkeys if len({str(g.get(k)) for g in groups}) == 1}
    common |= {k: rows[0].get(k) for k in SEED_KEYS if len({str(r.get(k)) for r in rows}) == 1}
    common = {k: v for k, v in common.items() if v not in (None, "")}
    gkeys = [k for k in gkeys if k not in common]
    gtable = [
        [g.get(k, "") for k in gkeys]
        + [g["n"], g.get("seeds", "")]
        + [_fmt_group_value(g, m) for m in metrics]
        for g in groups
    ]
    md = [
        (
            "Common to every run: " + ", ".join(f"`{k}={v}`" for k, v in common.items()) + "\n"
            if common
            else ""
        ),
        "## Runs grouped by setting (mean ± std over seeds, n runs; best validation metrics)\n",
        markdown_table(gkeys + ["n", "seeds"] + [titles[m] for m in metrics], gtable),
        "\n## Every run\n",
        markdown_table([titles.get(c, c) for c in cols], table),
    ]
    if param is None:
        numeric = numeric_params(groups)
        param = numeric[0] if numeric else None
    elif param == "":
        param = None
    elif param not in numeric_params(groups):
        raise DataError(out, f"--param {param}: not a numeric override that varies in this sweep")
    if any(f"{metric}_mean" in g for g in groups):
        paths["png"] = out / "sweep_report.png"
        labels = _plot(groups, metric, param, paths["png"])
        md.append(f"\nPlot `sweep_report.png`: x = {labels['x']}, y = {labels['y']}.")
    atomic_write_text(paths["md"], "\n".join(md) + "\n")
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
    parser.add_argument(
        "--param",
        default=None,
        help="numeric swept override on the plot's x axis (default: the first that varies; "
        "'' for a bar per setting)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        rows = collect_runs(args.multirun_dir)
        paths = write_report(rows, args.out or args.multirun_dir, args.metric, args.param)
    except DataError as e:
        print(f"pointrecon sweep-report: {e}", file=sys.stderr)
        return 2
    print(paths["md"].read_text(encoding="utf-8"))
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
