"""The scene of ``pointrecon view``: several geometries side by side or overlaid, optionally
coloured by their distance to a reference. Plain numpy, so it is testable without a screen."""

from __future__ import annotations

import numpy as np

from pointrecon.viz.colors import PALETTE, error_colors
from pointrecon.viz.geometry import Drawable

REFERENCE_COLOR = (0.55, 0.55, 0.55)


def build_scene(
    drawables: list[Drawable],
    *,
    overlay: bool = False,
    reference: Drawable | None = None,
    gap: float = 0.15,
    cmap: str = "turbo",
) -> tuple[list[Drawable], float | None]:
    """Place and colour geometries for viewing.

    Side by side (default): each geometry is shifted along +x so that bounding boxes are
    separated by ``gap`` times the largest extent; the reference, if any, comes last. Overlaid:
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
            own = d.colors is not None and not overlay
            colors.append(
                d.colors if own else np.tile(PALETTE[i % len(PALETTE)], (len(d.points), 1))
            )
    out = [Drawable(d.points, d.faces, c) for d, c in zip(items, colors)]
    if overlay:
        return out, vmax
    extent = max(float(np.ptp(d.points[:, 0])) if len(d.points) else 0.0 for d in out) or 1.0
    placed, cursor = [], 0.0
    for d in out:
        if len(d.points) == 0:
            placed.append(d)
            continue
        shift = cursor - float(d.points[:, 0].min())
        pts = d.points + np.array([shift, 0.0, 0.0])
        cursor = float(pts[:, 0].max()) + gap * extent
        placed.append(Drawable(pts, d.faces, d.colors))
    return placed, vmax


def to_open3d(drawable: Drawable):
    """An Open3D PointCloud or TriangleMesh (with vertex normals) for a drawable."""
    import open3d as o3d

    if drawable.is_mesh:
        g = o3d.geometry.TriangleMesh(
            o3d.utility.Vector3dVector(drawable.points),
            o3d.utility.Vector3iVector(drawable.faces.astype(np.int32)),
        )
        if drawable.colors is not None:
            g.vertex_colors = o3d.utility.Vector3dVector(np.clip(drawable.colors, 0, 1))
        g.compute_vertex_normals()
        return g
    g = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(drawable.points))
    if drawable.colors is not None:
        g.colors = o3d.utility.Vector3dVector(np.clip(drawable.colors, 0, 1))
    return g
