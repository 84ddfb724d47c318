"""Sparse-slice completion against its two classical baselines: ``evaluate_sparse_slices``.

Baselines: ``contours`` (the kept slices' contour points, i.e. the input) and ``linear_mc``
(marching cubes on the kept slices upsampled by linear interpolation between slices, k - 1 new
slices in each gap). Every method is resampled to the same number of points before scoring, and
all are scored in the data set's frame (partial-fitted normalisation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from pointrecon.data.collate import collate_completion
from pointrecon.data.resample import resample_points
from pointrecon.errors import DataError
from pointrecon.metrics import chamfer_l1, f_score

METHODS = ("model", "contours", "linear_mc")


def linear_mc_points(dataset: Any, index: int, num_points: int, seed: int = 0) -> np.ndarray:
    """The ``linear_mc`` baseline of item ``index``, ``num_points`` surface samples, normalised
    like the item (falls back to the contours where the stack has no closed surface)."""
    from pointrecon.io.sampling import sample_surface
    from pointrecon.volumes.sparse import upsampled_surface

    s = dataset.sparse_stack(index)
    try:
        mesh = upsampled_surface(s["slices"], s["spacing"], s["k"], s["z0"])
        pts = sample_surface(mesh, int(num_points), seed=seed)
    except DataError:
        return dataset.load(index)["partial"]
    return s["normalization"].apply(pts)


@torch.no_grad()
def evaluate_sparse_slices(
    model: nn.Module | None,
    dataset: Any,
    *,
    num_points: int = 2048,
    batch_size: int = 8,
    tau: float = 0.01,
    max_items: int | None = None,
    device: str | torch.device = "cpu",
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Mean CD-L1 (x 1e3) and F-Score@tau of the model and the baselines over ``dataset``.

    Returns:
        ``{method: {"cd_l1": ..., "f_score": ..., "count": n}}`` for ``model`` (when given),
        ``contours`` and ``linear_mc``.
    """
    n_items = len(dataset) if max_items is None else min(len(dataset), int(max_items))
    rng = np.random.default_rng(seed)
    rows: dict[str, list[tuple[float, float]]] = {m: [] for m in METHODS}
    if model is not None:
        model.eval().to(device)
    for start in range(0, n_items, batch_size):
        ids = list(range(start, min(n_items, start + batch_size)))
        batch = collate_completion([dataset[i] for i in ids])
        gt = batch["complete"].points.to(device)
        preds: dict[str, list[np.ndarray]] = {"contours": [], "linear_mc": []}
        partial = batch["partial"].points
        for j, i in enumerate(ids):
            preds["contours"].append(resample_points(partial[j].numpy(), num_points, rng))
            preds["linear_mc"].append(linear_mc_points(dataset, i, num_points, seed=seed + i))
        if model is not None:
            out = model(partial=partial.to(device)).fine.float().cpu().numpy()
            preds["model"] = [resample_points(o, num_points, rng) for o in out]
        for name, arrays in preds.items():
            p = torch.as_tensor(np.stack(arrays), dtype=torch.float32, device=device)
            cd = chamfer_l1(p, gt) * 1e3
            fs = f_score(p, gt, tau).fscore
            rows[name].extend(zip(cd.tolist(), fs.tolist()))
    return {
        m: {
            "cd_l1": float(np.mean([r[0] for r in v])),
            "f_score": float(np.mean([r[1] for r in v])),
            "count": len(v),
        }
        for m, v in rows.items()
        if v
    }


def format_table(results: dict[str, dict[str, float]], tau: float = 0.01) -> str:
    """A Markdown table of :func:`evaluate_sparse_slices` results."""
    lines = [f"| method | CD-L1 x1e3 (lower is better) | F@{tau:g} | items |", "|---|---|---|---|"]
    for m, r in results.items():
        lines.append(f"| {m} | {r['cd_l1']:.2f} | {r['f_score']:.3f} | {r['count']} |")
    return "\n".join(lines)
