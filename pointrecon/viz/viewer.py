"""What ``pointrecon view`` shows besides the geometry: legend, window title, colour bar, and the
default camera, as plain numpy functions (unit-tested without a screen), plus the Open3D window.

Layout: the legend is a column in the plane that faces the default (isometric) camera, to the
right of the scene and top-aligned with it, one row per file (a square swatch in the file's
colour, then its name). With ``--reference`` a vertical colour bar (``cmap``, 0 at the bottom, the
error scale's top at the top) stands to the right of the legend. Side-by-side files are laid out
along the camera's horizontal right direction (:func:`layout_axis`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pointrecon.viz.camera import Camera, View
from pointrecon.viz.colors import PALETTE, colormap
from pointrecon.viz.geometry import Drawable

PALETTE_NAMES = ("orange", "blue", "green", "purple", "red", "grey")
REFERENCE_COLOR = (0.55, 0.55, 0.55)
TEXT_COLOR = (0.1, 0.1, 0.1)

#: Keys of the interactive window (besides Open3D's own: mouse to orbit, Q/Esc to quit, H help).
KEYS = {
    "C": "save the camera (Open3D PinholeCameraParameters JSON)",
    "V": "load the saved camera",
    "X": "save a screenshot (PNG)",
    "R": "reset to the default isometric camera",
}


# ---------------------------------------------------------------------------------- legend
@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a file name, its swatch colour (None: coloured per point), and a note."""

    label: str
    color: tuple[float, float, float] | None
    note: str


def file_color(
    index: int, has_own_colors: bool, *, overlay: bool, reference: bool
) -> tuple[float, float, float] | None:
    """The uniform colour file ``index`` is drawn in, or None when it is coloured per point.

    Per point: by error with a reference, else its own colours when it has them and files are
    side by side. Otherwise ``PALETTE[index % len(PALETTE)]``.
    """
    if reference or (has_own_colors and not overlay):
        return None
    return PALETTE[index % len(PALETTE)]


def legend_entries(
    names: list[str],
    has_own_colors: list[bool],
    *,
    overlay: bool = False,
    reference: str | None = None,
) -> list[LegendEntry]:
    """Legend rows for the files ``names`` (and the reference file last, when given)."""
    out = []
    for i, (name, own) in enumerate(zip(names, has_own_colors)):
        col = file_color(i, own, overlay=overlay, reference=reference is not None)
        if col is not None:
            note = PALETTE_NAMES[i % len(PALETTE_NAMES)]
        elif reference is not None:
            note = "error colours"
        else:
            note = "file colours"
        out.append(LegendEntry(name, col, note))
    if reference is not None:
        out.append(LegendEntry(reference, REFERENCE_COLOR, "reference, grey"))
    return out


def window_title(entries: list[LegendEntry], vmax: float | None = None, cmap: str = "turbo") -> str:
    """``pointrecon view: a.ply = orange | b.ply = blue`` (+ the error scale with a reference)."""
    title = "pointrecon view: " + " | ".join(f"{e.label} = {e.note}" for e in entries)
    if vmax is not None:
        title += f" | error: {cmap} 0 .. {vmax:.4g}"
    return title


# ---------------------------------------------------------------------------------- overlay geometry
@dataclass(frozen=True)
class TextLabel:
    """Text to draw: lower-left corner ``anchor`` (x, y, z), cap ``height``, colour, and the
    world directions of the text's x (``right``) and y (``up``) axes."""

    text: str
    anchor: tuple[float, float, float]
    height: float
    color: tuple[float, float, float]
    right: tuple[float, float, float] = (1.0, 0.0, 0.0)
    up: tuple[float, float, float] = (0.0, 1.0, 0.0)

    def corners(self) -> np.ndarray:
        """The label's estimated box (``0.9 height`` per character), (4, 3)."""
        a, r, u = (np.asarray(v, dtype=np.float64) for v in (self.anchor, self.right, self.up))
        w = 0.9 * self.height * len(self.text)
        return np.stack([a, a + w * r, a + self.height * u, a + w * r + self.height * u])


@dataclass(frozen=True)
class Frame:
    """A plane in space: world point of 2D ``(u, v)`` is ``origin + u right + v up``."""

    origin: np.ndarray
    right: np.ndarray
    up: np.ndarray

    def place(self, uv: np.ndarray) -> np.ndarray:
        """Shapes: uv (N, 2) -> (N, 3)."""
        uv = np.asarray(uv, dtype=np.float64).reshape(-1, 2)
        return self.origin + uv[:, :1] * self.right + uv[:, 1:] * self.up

    def label(self, text: str, uv: tuple[float, float], height: float) -> TextLabel:
        anchor = tuple(float(x) for x in self.place(np.array([uv]))[0])
        return TextLabel(text, anchor, height, TEXT_COLOR, tuple(self.right), tuple(self.up))


def rect(u0: float, v0: float, u1: float, v1: float, color) -> Drawable:
    """An axis-aligned rectangle in 2D ``(u, v)`` (z = 0), in one colour.

    Shapes:
        points (4, 3): (u0, v0), (u1, v0), (u1, v1), (u0, v1); faces (2, 3), counter-clockwise
        (facing +z, i.e. the viewer of a :class:`Frame`).
    """
    pts = np.array([[u0, v0, 0], [u1, v0, 0], [u1, v1, 0], [u0, v1, 0]], dtype=np.float64)
    faces = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int64)
    return Drawable(pts, faces, np.tile(np.asarray(color, dtype=np.float64), (4, 1)))


def legend_layout(
    entries: list[LegendEntry], h: float
) -> tuple[list[Drawable], list[tuple[str, tuple[float, float], float]], float]:
    """The legend column in 2D, its top-left corner at (0, 0), rows ``h`` high going down.

    Row ``k``: a swatch square ``[0, 0.7 h] x [-k h - 0.7 h, -k h]`` in the entry's colour
    (per-point entries: five turbo stripes), and its text ``"name (note)"`` with lower-left
    corner ``(h, -k h - 0.6 h)`` and cap height ``0.55 h``.

    Returns:
        (swatches with z = 0, labels as (text, (u, v), height), width of the column, estimated
        at ``0.9`` cap heights per character).
    """
    swatches, labels, width = [], [], 0.7 * h
    for k, e in enumerate(entries):
        top = -k * h
        if e.color is not None:
            swatches.append(rect(0.0, top - 0.7 * h, 0.7 * h, top, e.color))
        else:
            lut = colormap("turbo")(np.linspace(0.1, 0.9, 5))[:, :3]
            w = 0.7 * h / 5
            for j, c in enumerate(lut):
                swatches.append(rect(j * w, top - 0.7 * h, (j + 1) * w, top, c))
        text = f"{e.label} ({e.note})"
        labels.append((text, (h, top - 0.6 * h), 0.55 * h))
        width = max(width, h + 0.55 * h * 0.9 * len(text))
    return swatches, labels, width


def colorbar_layout(
    vmax: float, u0: float, v_top: float, height: float, *, cmap: str = "turbo", steps: int = 32
) -> tuple[Drawable, list[tuple[str, tuple[float, float], float]]]:
    """A vertical colour bar in 2D: ``steps`` bands, ``0.08 height`` wide from ``u0``, from
    ``v_top - height`` (value 0) up to ``v_top`` (value ``vmax``), labelled ``0`` and ``vmax``
    on its right and captioned ``distance`` above.

    Shapes:
        mesh points (2 (steps + 1), 3), z = 0: (left, right) pairs from bottom to top coloured
        ``cmap(k / steps)``; faces (2 steps, 3).
    """
    if steps < 1:
        raise ValueError(f"steps: expected at least 1, got {steps}")
    w = 0.08 * height
    t = np.linspace(0.0, 1.0, steps + 1)
    pts = np.zeros((2 * (steps + 1), 3))
    pts[0::2, 0], pts[1::2, 0] = u0, u0 + w
    pts[0::2, 1] = pts[1::2, 1] = v_top - height + t * height
    cols = np.repeat(colormap(cmap)(t)[:, :3], 2, axis=0)
    k = np.arange(steps)
    faces = np.concatenate(
        [np.stack([2 * k, 2 * k + 1, 2 * k + 3], 1), np.stack([2 * k, 2 * k + 3, 2 * k + 2], 1)]
    )
    th = 0.06 * height
    labels = [
        ("0", (u0 + 1.3 * w, v_top - height), th),
        (f"{vmax:.3g}", (u0 + 1.3 * w, v_top - th), th),
        ("distance", (u0, v_top + 0.5 * th), th),
    ]
    return Drawable(pts, faces.astype(np.int64), cols), labels


def overlay_geometry(
    entries: list[LegendEntry],
    scene_points: np.ndarray,
    vmax: float | None = None,
    cmap: str = "turbo",
    camera: Camera | None = None,
) -> tuple[list[Drawable], list[TextLabel]]:
    """Legend (and, with ``vmax``, the colour bar) beside the scene, facing the default camera.

    The legend lies in the plane through the scene centre facing ``camera`` (default: the
    isometric :func:`default_view` direction), right of everything in the scene by ``0.1 s``
    (``s``: the scene's largest extent), top-aligned with it; rows are ``0.09 s`` high.
    Swatches and the bar come as point grids (:func:`triangle_grid`) so they show exact colours.
    """
    pts = np.asarray(scene_points, dtype=np.float64).reshape(-1, 3)
    if len(pts) == 0:
        pts = np.zeros((1, 3))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre, s = 0.5 * (lo + hi), float(np.max(hi - lo)) or 1.0
    cam = camera or Camera.preset("iso")
    d, world_up = cam.direction()
    right, up, _ = View(centre + d, centre, world_up, cam.fov).basis()
    rel = pts - centre
    frame = Frame(
        centre + (float((rel @ right).max()) + 0.1 * s) * right + float((rel @ up).max()) * up,
        right,
        up,
    )
    span = float((rel @ up).max() - (rel @ up).min())
    swatches, raw, width = legend_layout(entries, 0.09 * s)
    if vmax is not None:
        bar, bar_labels = colorbar_layout(
            vmax, width + 0.1 * s, -0.1 * s, max(span - 0.1 * s, 0.4 * s), cmap=cmap
        )
        swatches.append(bar)
        raw += bar_labels
    shapes = [
        triangle_grid(Drawable(frame.place(g.points[:, :2]), g.faces, g.colors)) for g in swatches
    ]
    return shapes, [frame.label(t, uv, h) for t, uv, h in raw]


def fit_points(items: list[Drawable], labels: list[TextLabel]) -> np.ndarray:
    """All points the default camera must keep in the picture: geometry and label boxes."""
    parts = [d.points for d in items if len(d.points)] + [lb.corners() for lb in labels]
    return np.concatenate(parts) if parts else np.zeros((1, 3))


def layout_axis(camera: Camera | None = None) -> np.ndarray:
    """The horizontal direction that is "right" for ``camera`` (default: isometric), along
    which side-by-side files are laid out so that they do not hide each other.

    For the isometric camera (azimuth 35°, y up): ``(cos 35°, 0, -sin 35°)``.
    """
    cam = camera or Camera.preset("iso")
    d, world_up = cam.direction()
    right, _, _ = View(d, np.zeros(3), world_up, cam.fov).basis()
    right = right - (right @ world_up) * world_up
    return right / np.linalg.norm(right)


# ---------------------------------------------------------------------------------- camera
def default_view(points: np.ndarray, width: int, height: int) -> View:
    """The isometric view (azimuth 35°, elevation 25°, y up, 30° FOV) fitted to ``points``."""
    return Camera.preset("iso").fit(points, width / height)


def pinhole_matrices(view: View, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Open3D/OpenCV pinhole camera of ``view`` for a ``width x height`` window.

    Intrinsic: ``f = (height / 2) / tan(fov / 2)`` for both axes, principal point at the
    window centre ``(width / 2 - 0.5, height / 2 - 0.5)`` (what Open3D's legacy viewer needs).
    Extrinsic (world to camera, x right, y down, z forward): rows ``right, -up, -back`` of
    :meth:`View.basis`, translation ``-R @ eye``.

    Shapes:
        returns intrinsic (3, 3), extrinsic (4, 4), float64.
    """
    f = 0.5 * height / np.tan(np.radians(view.fov) / 2)
    intrinsic = np.array([[f, 0, width / 2 - 0.5], [0, f, height / 2 - 0.5], [0, 0, 1.0]])
    right, up, back = view.basis()
    rot = np.stack([right, -up, -back])
    extrinsic = np.eye(4)
    extrinsic[:3, :3] = rot
    extrinsic[:3, 3] = -rot @ np.asarray(view.eye, dtype=np.float64)
    return intrinsic, extrinsic


def next_free_path(directory: str | os.PathLike, stem: str, suffix: str) -> Path:
    """``directory/stem_0001suffix``, or the first of ``_0002``, ``_0003`` ... that is free."""
    d = Path(directory)
    k = 1
    while (d / f"{stem}_{k:04d}{suffix}").exists():
        k += 1
    return d / f"{stem}_{k:04d}{suffix}"


def triangle_grid(mesh: Drawable, k: int = 24) -> Drawable:
    """A mesh's triangles filled with a regular grid of points (colours interpolated), which
    the legacy viewer draws unlit, in their exact colours, unlike shaded triangles.

    Triangle ``(a, b, c)`` gets the points ``a + (i / k)(b - a) + (j / k)(c - a)`` for
    ``i, j >= 0, i + j <= k``: ``(k + 1)(k + 2) / 2`` per triangle.

    Shapes:
        mesh points (V, 3), faces (F, 3), colors (V, 3) -> points (F (k + 1)(k + 2) / 2, 3).
    """
    i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    keep = (i + j) <= k
    wb, wc = i[keep] / k, j[keep] / k
    w = np.stack([1 - wb - wc, wb, wc], axis=1)  # (G, 3) barycentric weights
    tri = mesh.points[mesh.faces]  # (F, 3, 3)
    pts = np.einsum("gk,fkd->fgd", w, tri).reshape(-1, 3)
    cols = None
    if mesh.colors is not None:
        cols = np.einsum("gk,fkd->fgd", w, mesh.colors[mesh.faces]).reshape(-1, 3)
    return Drawable(pts, None, cols)
