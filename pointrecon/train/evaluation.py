"""Completion metrics per sample and per category, as the literature reports them (DESIGN §4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import torch

from pointrecon.metrics import chamfer_l1, chamfer_l2, emd, emd_exact, f_score
from pointrecon.metrics.dcd import density_aware_chamfer

#: metric key -> (column title, lower is better)
METRICS: dict[str, tuple[str, bool]] = {
    "cd_l1": ("CD-L1 (x1e3)", True),
    "cd_l2": ("CD-L2 (x1e3)", True),
    "fscore": ("F@1%", False),
    "emd": ("EMD (x1e3)", True),
    "dcd": ("DCD", True),
}


@torch.no_grad()
def batch_metrics(
    pred: torch.Tensor,
    gt: torch.Tensor,
    gt_lengths: torch.Tensor | None = None,
    *,
    tau: float = 0.01,
    with_emd: bool = False,
    emd_exact_max: int = 512,
    with_dcd: bool = False,
) -> dict[str, list[float]]:
    """Per-sample metrics: CD-L1 and CD-L2 x1e3, F-score@tau, optionally EMD x1e3 and DCD.

    EMD needs equal sizes: ``gt`` is then subsampled (first ``M`` points of a fixed random
    permutation) to the prediction's size; exact (Hungarian) up to ``emd_exact_max`` points.

    Shapes:
        pred (B, M, 3), gt (B, N, 3), gt_lengths (B,).
    """
    pred = pred.float()
    gt = gt.float()
    out = {
        "cd_l1": (chamfer_l1(pred, gt, gt_lengths=gt_lengths) * 1e3).tolist(),
        "cd_l2": (chamfer_l2(pred, gt, gt_lengths=gt_lengths) * 1e3).tolist(),
        "fscore": f_score(pred, gt, tau, gt_lengths=gt_lengths).fscore.tolist(),
    }
    if with_emd:
        m = pred.shape[1]
        g = torch.Generator().manual_seed(0)
        vals = []
        for b in range(len(pred)):
            n = gt.shape[1] if gt_lengths is None else int(gt_lengths[b])
            idx = (
                torch.randperm(n, generator=g)[:m]
                if n >= m
                else torch.randint(0, n, (m,), generator=g)
            )
            tgt = gt[b : b + 1, idx.to(gt.device)]
            fn = emd_exact if m <= emd_exact_max else emd
            vals.append(float(fn(pred[b : b + 1], tgt)[0]) * 1e3)
        out["emd"] = vals
    if with_dcd:  # density-aware Chamfer (Wu et al. 2021), raw, alpha 1000 and n_lambda 1
        out["dcd"] = density_aware_chamfer(pred, gt, gt_lengths=gt_lengths).tolist()
    return out


def summarize(records: Iterable[dict]) -> dict[str, dict[str, float]]:
    """Mean of every metric per category, plus ``mean`` = the average over categories.

    Args:
        records: dicts with ``category`` and metric keys (as :func:`batch_metrics` gives).

    Returns:
        ``{category: {metric: mean, "n": count}, ..., "mean": {...}}``, categories sorted.
    """
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        groups[str(r["category"])].append(r)
    if not groups:
        raise ValueError("summarize() got no records")
    keys = [k for k in METRICS if all(k in r for g in groups.values() for r in g)]
    table: dict[str, dict[str, float]] = {}
    for cat in sorted(groups):
        rows = groups[cat]
        table[cat] = {k: sum(float(r[k]) for r in rows) / len(rows) for k in keys}
        table[cat]["n"] = len(rows)
    cats = [table[c] for c in sorted(groups)]
    table["mean"] = {k: sum(c[k] for c in cats) / len(cats) for k in keys}
    table["mean"]["n"] = sum(c["n"] for c in cats)
    return table
