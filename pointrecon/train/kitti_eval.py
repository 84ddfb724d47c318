"""Evaluation of completion on real scans without ground truth: PCN's KITTI cars.

Each scan is completed in its box frame; the completion is scored there with

- Fidelity: mean distance from each scanned point to the completion (x 1e3; how well the
  observation is kept), and
- MMD: CD-L2 (or CD-L1) to the nearest cloud of a reference set of complete cars (x 1e3; how
  car-like the completion is),

and written back in the scan's frame (``completions/<id>.pcd``), where it overlays the LiDAR frame.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from pointrecon.metrics import fidelity, mmd
from pointrecon.train.report import markdown_table, rows_to_csv
from pointrecon.utils.atomic import atomic_write_text

#: metric key -> (column title, lower is better)
KITTI_METRICS: dict[str, tuple[str, bool]] = {
    "fidelity": ("Fidelity (x1e3)", True),
    "mmd": ("MMD (x1e3)", True),
}


@torch.no_grad()
def evaluate_kitti(
    model: nn.Module,
    dataset: Any,
    out_dir: str | os.PathLike,
    *,
    reference: np.ndarray | torch.Tensor | None,
    device: torch.device | str = "cpu",
    mmd_distance: str = "cd_l2",
    mmd_chunk: int = 64,
    write_completions: bool = True,
    max_items: int | None = None,
    progress: bool = True,
    title: str = "",
) -> dict[str, Any]:
    """Complete every scan of ``dataset`` (a :class:`pointrecon.data.KITTI`) and score it.

    Writes into ``out_dir``: ``metrics.json`` and ``metrics.md`` (means), ``per_sample.csv``
    (``id, num_points, fidelity, mmd, mmd_ref``; x 1e3, ``mmd_ref`` the index of the nearest
    reference) and, with ``write_completions``, ``completions/<id>.pcd`` in the scan frame.
    Without a ``reference`` set, MMD is left out.

    Returns:
        ``{"tables": {"model": {"mean": {...}}}, "paths": {...}}``.
    """
    from pointrecon.io import write_points

    out = Path(out_dir)
    device = torch.device(device)
    ref = None
    if reference is not None:
        ref = torch.as_tensor(np.asarray(reference), dtype=torch.float32, device=device)
    model.eval()
    total = len(dataset) if max_items is None else min(len(dataset), int(max_items))
    rows: list[dict[str, Any]] = []
    for index in tqdm(range(total), desc="evaluate kitti", disable=not progress):
        item = dataset[index]
        partial = item["partial"][None].to(device)
        pred = model(partial=partial, lengths=None, images=None).fine.float()
        observed = item["observed"][None].to(device)
        row: dict[str, Any] = {"id": item["id"], "num_points": int(item["num_points"])}
        row["fidelity"] = round(float(fidelity(observed, pred)[0]) * 1e3, 6)
        if ref is not None:
            res = mmd(pred, ref, distance=mmd_distance, chunk_size=mmd_chunk)
            row["mmd"] = round(float(res.values[0]) * 1e3, 6)
            row["mmd_ref"] = int(res.index[0])
        rows.append(row)
        if write_completions:
            scan_frame = dataset.frame(index).invert(pred[0].cpu().numpy())
            write_points(out / "completions" / f"{item['id']}.pcd", scan_frame)
    if not rows:
        raise ValueError("evaluate_kitti: the data set has no items")
    keys = [k for k in KITTI_METRICS if k in rows[0]]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys} | {"n": len(rows)}
    tables = {"model": {"mean": mean}}
    paths = {ext: out / f"metrics.{ext}" for ext in ("json", "md")}
    extra = {"mmd_distance": mmd_distance if ref is not None else None}
    atomic_write_text(paths["json"], json.dumps({"tables": tables} | extra, indent=2))
    atomic_write_text(paths["md"], kitti_markdown(tables, title, mmd_distance))
    paths["per_sample"] = out / "per_sample.csv"
    atomic_write_text(paths["per_sample"], rows_to_csv(rows))
    if write_completions:
        paths["completions"] = out / "completions"
    return {"tables": tables, "paths": paths}


def kitti_markdown(
    tables: dict[str, dict[str, dict[str, float]]], title: str, distance: str
) -> str:
    """The KITTI table: one row per method, Fidelity and MMD columns (x 1e3)."""
    methods = list(tables)
    keys = [k for k in KITTI_METRICS if k in tables[methods[0]]["mean"]]
    header = ["method", "n"] + [KITTI_METRICS[k][0] for k in keys]
    body = [
        [m, int(tables[m]["mean"]["n"])] + [float(tables[m]["mean"][k]) for k in keys]
        for m in methods
    ]
    parts = [f"# {title}\n"] if title else []
    parts.append(markdown_table(header, body) + "\n")
    note = (
        "Lower is better for both. Fidelity: mean distance from each scanned point to the output."
    )
    if "mmd" in keys:
        note += f" MMD: {distance.upper().replace('_', '-')} to the nearest reference car."
    parts.append(note + " Both in the box frame (box length 1).\n")
    return "\n".join(parts)
