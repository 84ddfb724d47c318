"""Slices of a volume with the extracted iso-contour overlaid, as one PNG: ``render_slices``."""

from __future__ import annotations

import os

import numpy as np

from pointrecon.io.volume import VolumeData


def render_slices(
    volume: VolumeData,
    path: str | os.PathLike | None = None,
    *,
    level: float | None = None,
    label: int | None = None,
    axis: int = 2,
    num_slices: int = 6,
    columns: int = 3,
    panel_size: float = 3.0,
) -> np.ndarray:
    """Draw ``num_slices`` evenly spaced slices along ``axis`` in grey, with the contour of the
    surface (the same field and level as :func:`~pointrecon.volumes.extract_surface`) in red.

    Each panel keeps the physical aspect ratio of the voxels (from the affine's spacing) and is
    titled with its slice index. The figure is rendered with matplotlib's Agg backend (headless).

    Shapes:
        returns (H, W, 3) uint8
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from skimage.measure import find_contours

    from pointrecon.viz.render import save_png
    from pointrecon.volumes.surface import surface_mask

    if axis not in (0, 1, 2):
        raise ValueError(f"axis: expected 0, 1 or 2, got {axis!r}")
    if isinstance(num_slices, bool) or not isinstance(num_slices, int) or num_slices < 1:
        raise ValueError(f"num_slices: expected a positive int, got {num_slices!r}")
    field, lev = surface_mask(volume, level, label)
    n = volume.shape[axis]
    idx = np.unique(np.linspace(0, n - 1, num_slices + 2)[1:-1].round().astype(int))
    if n <= 2:
        idx = np.arange(n)
    cols = min(columns, len(idx))
    rows = -(-len(idx) // cols)
    in_plane = [a for a in range(3) if a != axis]
    sp = volume.spacing
    aspect = float(sp[in_plane[0]] / sp[in_plane[1]])
    fig, axes = plt.subplots(rows, cols, figsize=(panel_size * cols, panel_size * rows), dpi=100)
    axes = np.atleast_1d(axes).ravel()
    lo, hi = np.percentile(volume.data, [1, 99])
    for ax, s in zip(axes, idx):
        img = np.take(volume.data, s, axis=axis)
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1, aspect=aspect)
        f = np.take(field, s, axis=axis)
        if f.min() < lev < f.max():
            for c in find_contours(f, lev):
                ax.plot(c[:, 1], c[:, 0], color="red", linewidth=1.2)
        ax.set_title(f"axis {axis}, slice {s}", fontsize=9)
        ax.set_axis_off()
    for ax in axes[len(idx) :]:
        ax.set_axis_off()
    fig.tight_layout()
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    if path is not None:
        save_png(image, path)
    return image
