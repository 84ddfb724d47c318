"""Input | prediction | ground truth panels, the prediction coloured by its error."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pointrecon.viz.camera import Camera, as_camera
from pointrecon.viz.colors import PALETTE, error_colors, nearest_distances, to_rgb
from pointrecon.viz.compose import compose_grid
from pointrecon.viz.geometry import to_drawable
from pointrecon.viz.render import render_png, save_png


def chamfer_l1(pred: np.ndarray, gt: np.ndarray) -> float:
    """CD-L1 as defined in docs/conventions.md (unscaled): mean of the two mean nearest-neighbour distances.

    Shapes:
        pred: (N, 3), gt: (M, 3).
    """
    if len(pred) == 0 or len(gt) == 0:
        return float("nan")
    return 0.5 * float(nearest_distances(pred, gt).mean() + nearest_distances(gt, pred).mean())


def render_comparison(
    partial: Any,
    pred: Any,
    gt: Any,
    path: str | os.PathLike | None = None,
    *,
    cameras: list[Camera | str] | Camera | str | None = None,
    width: int = 320,
    height: int = 320,
    error_max: float | None = None,
    cmap: str = "turbo",
    titles: tuple[str, str, str] = ("input", "prediction", "ground truth"),
    color_by_error: bool = True,
    show_metric: bool = True,
    point_size: float | None = None,
    renderer: str | None = None,
    background: Any = "white",
) -> np.ndarray:
    """Three panels, input | prediction | ground truth, seen from the same camera.

    The prediction is coloured by each point's distance to the nearest ground-truth point
    (0..``error_max`` on ``cmap``, with a colour bar; ``error_max=None``: the 98th percentile of
    the distances, pass a fixed value to compare pictures across epochs). Several cameras give
    one row each. Any argument may be None except ``pred``; a missing panel is left blank.

    Args:
        partial, pred, gt: (N, 3) arrays or tensors, or any geometry ``render_png`` accepts
            (a leading batch axis of size 1 is dropped).
        cameras: one camera / preset name, or a list for several rows (None: "iso").
        width, height: size of each panel in pixels.

    Shapes:
        returns (H, W, 3) uint8, about (rows * height + 30, 3 * width + 110).
    """
    if pred is None:
        raise ValueError("pred: expected a point cloud, got None")
    geoms = [
        None if g is None else to_drawable(g, n)
        for g, n in ((partial, "partial"), (pred, "pred"), (gt, "gt"))
    ]
    cam_list = cameras if isinstance(cameras, (list, tuple)) else [cameras]
    cams = [as_camera(c) for c in cam_list]
    if not cams:
        raise ValueError("cameras: expected at least one camera")
    allpts = np.concatenate([g.points for g in geoms if g is not None])
    pred_d, gt_d = geoms[1], geoms[2]
    colors: list[Any] = [PALETTE[0], PALETTE[1], PALETTE[2]]
    colorbar = None
    names = list(titles)
    if gt_d is not None and len(gt_d.points) and color_by_error:
        colors[1], _, vmax = error_colors(pred_d.points, gt_d.points, vmax=error_max, cmap=cmap)
        colorbar = (cmap, vmax, "distance to ground truth")
    if gt_d is not None and show_metric:
        cd = chamfer_l1(pred_d.points, gt_d.points)
        names[1] = f"{titles[1]}  (CD-L1 ×10³ = {cd * 1e3:.2f})"
    rows = []
    for cam in cams:
        view = cam.fit(allpts, width / height)
        row = []
        for g, col in zip(geoms, colors):
            if g is None or len(g.points) == 0:
                bg = np.round(to_rgb(background, "background") * 255).astype(np.uint8)
                row.append(np.broadcast_to(bg, (height, width, 3)).copy())
                continue
            row.append(
                render_png(
                    g,
                    camera=view,
                    width=width,
                    height=height,
                    colors=col,
                    point_size=point_size,
                    renderer=renderer,
                    background=background,
                )
            )
        rows.append(row)
    labels = None
    if len(cams) > 1:
        labels = [f"az {c.azimuth:g}°  el {c.elevation:g}°" for c in cams]
    img = compose_grid(rows, titles=names, row_labels=labels, colorbar=colorbar)
    if path is not None:
        save_png(img, path)
    return img
