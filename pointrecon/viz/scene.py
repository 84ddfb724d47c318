"""The scene of ``pointrecon view``: several geometries side by side or overlaid, optionally
coloured by their distance to a reference. Plain numpy, so it is testable without a screen."""

from __future__ import annotations

import numpy as np

from pointrecon.viz.colors import error_colors
from pointrecon.viz.geometry import Drawable
from pointrecon.viz.viewer import REFERENCE_COLOR, file_color

__all__ = ["REFERENCE_COLOR", "build_scene", "to_open3d"]


def build_scene(
    drawables: list[Drawable],
    *,
    overlay: bool = False,
    reference: Drawable | None = None,
    gap: float = 0.15,
    cmap: str = "turbo",
    axis: np.ndarray | tuple[float, float, float] = (1.0, 0.0, 0.0),
) -> tuple[list[Drawable], float | None]:
    """Place and colour geometries for viewing.

    Side by side (default): each geometry is shifted along ``axis`` (a unit vector, default +x)
    so that their extents along it are separated by ``gap`` times the largest extent; the reference, if any, comes last. Overlaid:
    positions are kept and the reference is drawn in grey. With a reference, every geometry is
    coloured by each point's (vertex's) distance to the nearest reference point, on one common
    scale (0 .. largest 98th percentile).

    Returns:
        (placed drawables, error scale or None).
    """
    if not drawables:
        raise ValueError("drawables: expected at least one geometry")
    items = list(drawables)
    colors: list[np.ndarray] = []
    vmax = None
    if reference is not None:
        dists = [error_colors(d.points, reference.points)[1] for d in items]
        vmax = max((float(np.percentile(x, 98)) for x in dists if len(x)), default=1.0) or 1e-12
        colors = [error_colors(d.points, reference.points, vmax=vmax, cmap=cmap)[0] for d in items]
        items.append(reference)
        colors.append(np.tile(REFERENCE_COLOR, (len(reference.points), 1)))
    else:
        for i, d in enumerate(items):
            col = file_color(i, d.colors is not None, overlay=overlay, reference=False)
            colors.append(d.colors if col is None else np.tile(col, (len(d.points), 1)))
    out = [Drawable(d.points, d.faces, c) for d, c in zip(items, colors)]
    if overlay:
        return out, vmax
    ax = np.asarray(axis, dtype=np.float64)
    ax = ax / np.linalg.norm(ax)
    extent = max(float(np.ptp(d.points @ ax)) if len(d.points) else 0.0 for d in out) or 1.0
    placed, cursor = [], 0.0
    for d in out:
        if len(d.points) == 0:
            placed.append(d)
            continue
        shift = cursor - float((d.points @ ax).min())
        pts = d.points + shift * ax
        cursor = float((pts @ ax).max()) + gap * extent
        placed.append(Drawable(pts, d.faces, d.colors))
    return placed, vmax


def to_open3d(drawable: Drawable):
    """An Open3D PointCloud (through the conversion :meth:`PointBatch.to_open3d` uses,
    :func:`pointrecon.io.convert.to_open3d_legacy`) or TriangleMesh (with vertex normals)."""
    import open3d as o3d

    from pointrecon.io.convert import to_open3d_legacy, unit_colors

    if drawable.is_mesh:
        g = o3d.geometry.TriangleMesh(
            o3d.utility.Vector3dVector(drawable.points),
            o3d.utility.Vector3iVector(drawable.faces.astype(np.int32)),
        )
        if drawable.colors is not None:
            g.vertex_colors = o3d.utility.Vector3dVector(unit_colors(drawable.colors))
        g.compute_vertex_normals()
        return g
    return to_open3d_legacy(drawable.points, drawable.colors)
