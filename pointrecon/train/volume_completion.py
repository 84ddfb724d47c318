"""Complete a sparse-slice volume with a sparse-slice model: ``complete_sparse_volume``."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pointrecon.data.resample import resample_points
from pointrecon.errors import DataError
from pointrecon.io.normalization import normalize
from pointrecon.io.volume import VolumeData


def slice_axis_of(volume: VolumeData) -> int:
    """The axis with the largest voxel size (the thick-slice direction); 2 when all are equal."""
    sp = volume.spacing
    return 2 if np.allclose(sp, sp[2], rtol=1e-3) else int(np.argmax(sp))


@torch.no_grad()
def complete_sparse_volume(
    model: nn.Module,
    volume: VolumeData,
    *,
    n_partial: int = 1024,
    level: float | None = None,
    label: int | None = None,
    slice_axis: int | None = None,
    seed: int = 0,
    max_passes: int = 8,
) -> np.ndarray:
    """Complete the surface of a sparse-slice volume (each slice of ``volume`` a kept slice).

    The contours of every slice (at ``level`` or of ``label``, as
    :func:`~pointrecon.volumes.extract_surface` would threshold) are taken in the slice frame
    (millimetres, sliced axis as z), normalised once (partial-fitted frame, as in training), cut
    into random subsets of ``n_partial`` points (the contour density the model was trained on;
    up to ``max_passes`` subsets, so large volumes keep more of their contours), each completed by
    ``model``; the outputs are joined and mapped back to world millimetres through the affine.

    Shapes:
        returns (M, 3) float32 world points
    """
    from pointrecon.volumes.sparse import contour_points
    from pointrecon.volumes.surface import surface_mask

    axis = slice_axis_of(volume) if slice_axis is None else int(slice_axis)
    if axis not in (0, 1, 2):
        raise ValueError(f"slice_axis: expected 0, 1 or 2, got {slice_axis!r}")
    field, lev = surface_mask(volume, level, label)
    perm = [(axis + 1) % 3, (axis + 2) % 3, axis]
    sp = volume.spacing[perm]
    pts = contour_points(field.transpose(perm), sp, level=lev)
    if len(pts) == 0:
        raise DataError(volume.source, f"no contour at level {lev:g} in any slice")
    rng = np.random.default_rng(seed)
    n = int(n_partial)
    passes = int(np.clip(-(-len(pts) // n), 1, max(1, int(max_passes))))
    order = rng.permutation(len(pts))
    norm = normalize(pts)[1]
    device = next(model.parameters()).device
    model.eval()
    outs = []
    for chunk in np.array_split(order, passes):
        part = norm.apply(resample_points(pts[chunk], n, rng))
        x = torch.from_numpy(part)[None].to(device)
        outs.append(model(partial=x).fine[0].float().cpu().numpy())
    frame = norm.invert(np.concatenate(outs)).astype(np.float64)
    ijk = np.empty_like(frame)
    ijk[:, perm] = frame / sp
    return volume.to_world(ijk).astype(np.float32)
