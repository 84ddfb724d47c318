"""Completion metrics per sample and per category, as the literature reports them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import torch

from pointrecon.metrics import chamfer_l1, chamfer_l2, emd, emd_exact, f_score
from pointrecon.metrics.dcd import density_aware_chamfer
from pointrecon.ops import knn

#: metric key -> (column title, lower is better)
METRICS: dict[str, tuple[str, bool]] = {
    "cd_l1": ("CD-L1 (x1e3)", True),
    "cd_l2": ("CD-L2 (x1e3)", True),
    "cd_acc": ("accuracy: pred->gt (x1e3)", True),
    "cd_comp": ("completeness: gt->pred (x1e3)", True),
    "fscore": ("F@1%", False),
    "emd": ("EMD (x1e3)", True),
    "dcd": ("DCD", True),
}


def chamfer_terms(
    pred: torch.Tensor, gt: torch.Tensor, gt_lengths: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(accuracy, completeness) per sample: mean over p of d(p, G), mean over g of d(g, P).

    Shapes:
        pred (B, M, 3), gt (B, N, 3), gt_lengths (B,) -> two (B,) tensors.
    """
    d_pg = knn(pred, gt, 1, y_lengths=gt_lengths).dists[..., 0].clamp_min(0).sqrt()
    d_gp = knn(gt, pred, 1, x_lengths=gt_lengths).dists[..., 0].clamp_min(0).sqrt()
    if gt_lengths is None:
        return d_pg.mean(dim=1), d_gp.mean(dim=1)
    valid = torch.arange(gt.shape[1], device=gt.device)[None] < gt_lengths[:, None]
    comp = torch.where(valid, d_gp, torch.zeros_like(d_gp)).sum(1) / gt_lengths.clamp_min(1)
    return d_pg.mean(dim=1), comp


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
    """Per-sample metrics: CD-L1 and CD-L2 x1e3, the two terms of CD-L1 (accuracy: mean distance
    from each predicted point to the truth; completeness: from each true point to the
    prediction; CD-L1 is their mean), F-score@tau, optionally EMD x1e3 and DCD.

    EMD needs equal sizes: ``gt`` is then subsampled (first ``M`` points of a fixed random
    permutation) to the prediction's size; exact (Hungarian) up to ``emd_exact_max`` points.

    Shapes:
        pred (B, M, 3), gt (B, N, 3), gt_lengths (B,).
    """
    pred = pred.float()
    gt = gt.float()
    acc, comp = chamfer_terms(pred, gt, gt_lengths)
    out = {
        "cd_l1": (chamfer_l1(pred, gt, gt_lengths=gt_lengths) * 1e3).tolist(),
        "cd_acc": (acc * 1e3).tolist(),
        "cd_comp": (comp * 1e3).tolist(),
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
