"""Colours: named/RGB colour parsing, colour maps, and per-point error colouring."""

from __future__ import annotations

from typing import Any

import numpy as np

# Default colours of the panels: input, prediction, ground truth, then further geometries.
PALETTE: tuple[tuple[float, float, float], ...] = (
    (0.90, 0.45, 0.10),  # orange
    (0.16, 0.42, 0.78),  # blue
    (0.20, 0.60, 0.30),  # green
    (0.60, 0.30, 0.65),  # purple
    (0.75, 0.20, 0.20),  # red
    (0.40, 0.40, 0.40),  # grey
)


def to_rgb(color: Any, name: str = "color") -> np.ndarray:
    """One colour as an RGB float array in [0, 1]: a matplotlib name/hex string or 3 numbers.

    Numbers above 1 are read as 0..255.
    """
    if isinstance(color, str):
        from matplotlib.colors import to_rgb as mpl_to_rgb

        try:
            return np.asarray(mpl_to_rgb(color), dtype=np.float64)
        except ValueError as exc:
            raise ValueError(f"{name}: unknown colour {color!r}") from exc
    arr = np.asarray(color, dtype=np.float64).reshape(-1)
    if arr.shape not in ((3,), (4,)):
        raise ValueError(f"{name}: expected an RGB triple or colour name, got {color!r}")
    arr = arr[:3]
    return arr / 255.0 if arr.max() > 1.0 else arr


def colormap(name: str):
    """The matplotlib colour map called ``name`` (ValueError naming the argument if unknown)."""
    import matplotlib

    try:
        return matplotlib.colormaps[name]
    except KeyError as exc:
        raise ValueError(f"cmap: unknown matplotlib colour map {name!r}") from exc


def nearest_distances(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Distance from each point to its nearest reference point (scipy cKDTree).

    Shapes:
        points: (N, 3), reference: (M, 3) -> (N,).
    """
    from scipy.spatial import cKDTree

    if len(reference) == 0:
        raise ValueError("reference: expected at least one point, got an empty cloud")
    if len(points) == 0:
        return np.zeros(0)
    return cKDTree(reference).query(points, k=1)[0]


def error_colors(
    points: Any,
    reference: Any,
    *,
    vmax: float | None = None,
    cmap: str = "turbo",
    percentile: float = 98.0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Colour each point by its distance to the nearest reference point.

    Distances 0..``vmax`` map linearly onto the colour map (larger distances clip to the top
    colour). With ``vmax=None`` the ``percentile``-th percentile of the distances is used, so that
    a few outliers do not wash the colours out.

    Shapes:
        points: (N, 3), reference: (M, 3) -> colors (N, 3) float64, dists (N,) float64.

    Returns:
        (colors, dists, vmax).
    """
    from pointrecon.viz.geometry import points_array

    pts = points_array(points, "points")
    ref = points_array(reference, "reference")
    dists = nearest_distances(pts, ref)
    if vmax is None:
        vmax = float(np.percentile(dists, percentile)) if len(dists) else 1.0
    if not np.isfinite(vmax) or vmax < 0:
        raise ValueError(f"vmax: expected a finite non-negative number, got {vmax}")
    vmax = vmax if vmax > 0 else 1e-12
    colors = colormap(cmap)(np.clip(dists / vmax, 0.0, 1.0))[:, :3]
    return colors.astype(np.float64), dists, float(vmax)


def depth_shade(colors: np.ndarray, depth: np.ndarray, strength: float = 0.45) -> np.ndarray:
    """Darken colours with distance from the camera, a depth cue for uniformly coloured clouds.

    Shapes:
        colors: (N, 3), depth: (N,) -> (N, 3).
    """
    if len(depth) == 0 or strength <= 0:
        return colors
    lo, hi = float(depth.min()), float(depth.max())
    t = (depth - lo) / (hi - lo) if hi > lo else np.zeros_like(depth)
    return colors * (1.0 - strength * t)[:, None]
