"""Evaluation of a model on a split, next to the trivial baselines, with per-sample outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from pointrecon.models.inputs import model_inputs
from pointrecon.train.baselines import dense_baseline, input_baseline, mirror_baseline
from pointrecon.train.evaluation import batch_metrics, summarize
from pointrecon.train.report import rows_to_csv, write_tables
from pointrecon.utils.atomic import atomic_path, atomic_write_text

BASELINES = ("input", "mirror", "input_dense", "mirror_dense")


def safe_stem(sample_id: str) -> str:
    """``sample_id`` as a file-name stem: characters other than letters, digits, ``-_.`` become
    ``_``, with no leading or trailing dots."""
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(sample_id))
    return keep.strip(".") or "sample"


@torch.no_grad()
def evaluate_model(
    model: nn.Module | None,
    loader: DataLoader,
    out_dir: str | os.PathLike,
    *,
    device: torch.device | str = "cpu",
    baselines: tuple[str, ...] | list[str] = BASELINES,
    tau: float = 0.01,
    with_emd: bool = False,
    emd_exact_max: int = 512,
    with_dcd: bool = False,
    save_samples: int | None = 64,
    max_batches: int | None = None,
    seed: int = 0,
    progress: bool = True,
    title: str = "",
) -> dict[str, Any]:
    """Score ``model`` and the ``baselines`` on every batch of ``loader``; write the results.

    Writes into ``out_dir``: ``metrics.json/.csv/.md`` (per category, one table per metric with
    the methods side by side), ``per_sample.csv`` (id, category, the model's metrics, then
    ``<baseline>_<metric>``) and ``samples/<id>.npz`` (float32 ``partial``, ``pred``, ``gt``).
    Baselines are resampled (``input``, ``mirror``) or densified (``input_dense``,
    ``mirror_dense``) to the model's output size (to ``gt``'s size without a model).

    Returns:
        ``{"tables": {method: summarize(...)}, "paths": {...}}``.
    """
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise ValueError(f"baselines must be among {BASELINES}, got {sorted(unknown)}")
    out = Path(out_dir)
    device = torch.device(device)
    gen = torch.Generator().manual_seed(int(seed))
    methods = (["model"] if model is not None else []) + list(baselines)
    records: dict[str, list[dict]] = {m: [] for m in methods}
    per_sample: list[dict] = []
    saved = 0
    if model is not None:
        model.eval()
    total = len(loader) if max_batches is None else min(len(loader), int(max_batches))
    for i, batch in enumerate(tqdm(loader, total=total, desc="evaluate", disable=not progress)):
        if max_batches is not None and i >= int(max_batches):
            break
        partial, gt = batch["partial"], batch["complete"]
        gt_pts = gt.points.to(device)
        gt_len = gt.lengths.to(device) if gt.lengths is not None else None
        preds: dict[str, torch.Tensor] = {}
        if model is not None:
            res = model(**model_inputs(batch, device))
            preds["model"] = res.fine.float()
        size = preds["model"].shape[1] if preds else gt.points.shape[1]
        if "input" in baselines:
            preds["input"] = input_baseline(partial.points, partial.lengths, size, gen).to(device)
        if "mirror" in baselines:
            preds["mirror"] = mirror_baseline(partial.points, partial.lengths, size, gen).to(device)
        for name in ("input_dense", "mirror_dense"):
            if name in baselines:
                preds[name] = dense_baseline(
                    partial.points, partial.lengths, size, gen, mirror=name == "mirror_dense"
                ).to(device)
        scores = {
            m: batch_metrics(
                p,
                gt_pts,
                gt_len,
                tau=tau,
                with_emd=with_emd,
                emd_exact_max=emd_exact_max,
                with_dcd=with_dcd,
            )
            for m, p in preds.items()
        }
        for j, (sid, cat) in enumerate(zip(batch["id"], batch["category"])):
            row: dict[str, Any] = {"id": sid, "category": cat}
            for m in methods:
                vals = {k: v[j] for k, v in scores[m].items()}
                records[m].append({"category": cat} | vals)
                prefix = "" if m == methods[0] else f"{m}_"
                row |= {f"{prefix}{k}": round(float(v), 6) for k, v in vals.items()}
            per_sample.append(row)
            if save_samples is None or saved < int(save_samples):
                n = int(partial.lengths[j]) if partial.lengths is not None else None
                arrays = {
                    "partial": partial.points[j, :n].numpy().astype(np.float32),
                    "pred": preds[methods[0]][j].cpu().numpy().astype(np.float32),
                    "gt": gt.points[j, : None if gt.lengths is None else int(gt.lengths[j])]
                    .numpy()
                    .astype(np.float32),
                }
                with atomic_path(out / "samples" / f"{safe_stem(sid)}.npz") as tmp:
                    np.savez_compressed(tmp, **arrays)
                saved += 1
    if not per_sample:
        raise ValueError("evaluate_model: the loader yielded no samples")
    tables = {m: summarize(records[m]) for m in methods}
    paths = write_tables(out, tables, title=title, extra={"num_samples": len(per_sample)})
    paths["per_sample"] = out / "per_sample.csv"
    atomic_write_text(paths["per_sample"], rows_to_csv(per_sample))
    return {"tables": tables, "paths": paths}
