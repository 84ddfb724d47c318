"""Completing one scan given in its own coordinate frame."""

from __future__ import annotations

import numpy as np
import torch

from pointrecon.data import resample_points
from pointrecon.io import normalize
from pointrecon.utils.scans import require_distinct_points


def complete_points(
    model: torch.nn.Module,
    points: np.ndarray,
    num_input_points: int,
    seed: int = 0,
    *,
    source: str | None = None,
) -> np.ndarray:
    """Complete one scan in its own frame: normalise, resample, predict, invert.

    The scan is centred on its bounding-box centre and scaled so that its farthest point lies
    at radius 1 (the frame models are trained in), resampled to ``num_input_points`` (a random
    subset, or all points plus repeats), completed, and mapped back to the scan's frame.

    Raises:
        DataError: a scan the model cannot complete (fewer than 2 distinct points), naming
            ``source`` when given.

    Shapes:
        points (N, 3) -> (M, 3) float32.
    """
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 3 or len(pts) == 0:
        raise ValueError(f"points must have shape (N, 3) with N >= 1, got {pts.shape}")
    require_distinct_points(pts, source)
    normed, norm = normalize(pts)
    sel = resample_points(normed, int(num_input_points), np.random.default_rng(seed))
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(partial=torch.from_numpy(np.ascontiguousarray(sel))[None].to(device))
    pred = out.fine[0].float().cpu().numpy()
    return np.asarray(norm.invert(pred), dtype=np.float32)
