"""Assemble rendered panels into one picture: a grid with column titles, row labels, colour bar."""

from __future__ import annotations

import numpy as np

TITLE_PX = 30
LABEL_PX = 26
COLORBAR_PX = 110


def compose_grid(
    panels: list[list[np.ndarray]],
    *,
    titles: list[str] | None = None,
    row_labels: list[str] | None = None,
    colorbar: tuple[str, float, str] | None = None,
    background: tuple[float, float, float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """Lay out equally sized panels in rows; add titles above columns and an optional colour bar.

    Args:
        panels: rows of (H, W, 3) uint8 images, all of the same size.
        titles: one title per column (None: no title band).
        row_labels: one label per row, written vertically at the left (None: no label band).
        colorbar: (colour map name, vmax, label) for a vertical bar from 0 to vmax at the right.

    Shapes:
        returns (H_total, W_total, 3) uint8.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from pointrecon.viz.colors import colormap

    if not panels or not panels[0]:
        raise ValueError("panels: expected at least one row with one image")
    h, w = panels[0][0].shape[:2]
    rows, cols = len(panels), max(len(r) for r in panels)
    top = TITLE_PX if titles else 0
    left = LABEL_PX if row_labels else 0
    right = COLORBAR_PX if colorbar else 0
    total_w, total_h = left + cols * w + right, top + rows * h
    dpi = 100
    fig = Figure(figsize=(total_w / dpi, total_h / dpi), dpi=dpi, facecolor=background)
    canvas = FigureCanvasAgg(fig)
    for r, row in enumerate(panels):
        for c, img in enumerate(row):
            if img.shape[:2] != (h, w):
                raise ValueError(f"panels[{r}][{c}]: expected size {(h, w)}, got {img.shape[:2]}")
            # figimage places pixels exactly; its origin is the bottom-left corner.
            fig.figimage(img, xo=left + c * w, yo=total_h - top - (r + 1) * h, origin="upper")
    if titles:
        for c, title in enumerate(titles[:cols]):
            fig.text(
                (left + (c + 0.5) * w) / total_w,
                1 - 0.5 * top / total_h,
                title,
                ha="center",
                va="center",
                fontsize=float(np.clip(1.1 * w / max(len(title), 1), 6, 12)),
                fontweight="bold",
                color="0.15",
            )
    if row_labels:
        for r, label in enumerate(row_labels[:rows]):
            fig.text(
                0.5 * left / total_w,
                1 - (top + (r + 0.5) * h) / total_h,
                label,
                ha="center",
                va="center",
                rotation=90,
                fontsize=10,
                color="0.3",
            )
    if colorbar:
        cmap, vmax, label = colorbar
        bar_h = max(min(rows * h - 40, 320), 20)
        y0 = (total_h - top - rows * h / 2 - bar_h / 2) / total_h
        cax = fig.add_axes(((left + cols * w + 18) / total_w, y0, 18 / total_w, bar_h / total_h))
        sm = ScalarMappable(norm=Normalize(0.0, vmax), cmap=colormap(cmap))
        cb = fig.colorbar(sm, cax=cax)
        cb.set_label(label, fontsize=float(np.clip(1.1 * bar_h / max(len(label), 1), 6, 10)))
        cb.ax.tick_params(labelsize=9)
        cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    canvas.draw()
    out = np.asarray(canvas.buffer_rgba())[..., :3]
    return np.ascontiguousarray(out[:total_h, :total_w], dtype=np.uint8)
