"""Off-screen renders: :func:`render_png`, several viewpoints, a turntable GIF."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from pointrecon.viz import backends
from pointrecon.viz.camera import Camera, View, as_camera
from pointrecon.viz.colors import PALETTE, depth_shade, to_rgb
from pointrecon.viz.compose import compose_grid
from pointrecon.viz.geometry import Drawable, to_drawables

MESH_COLOR = (0.72, 0.72, 0.76)


def default_point_size(width: int, height: int) -> float:
    """Point size in pixels that reads well at this image size (3 px at 640 x 480, at least 2)."""
    return float(np.clip(round(min(width, height) / 160), 2, 8))


def _check_size(width: int, height: int) -> None:
    for name, v in (("width", width), ("height", height)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 8 <= v <= 8192:
            raise ValueError(f"{name}: expected an integer in [8, 8192], got {v!r}")


def _per_geometry_colors(colors: Any, n: int) -> list[Any]:
    if colors is None:
        return [None] * n
    if isinstance(colors, str):
        return [colors] * n
    if isinstance(colors, np.ndarray) and colors.ndim == 2 and n == 1:
        return [colors]
    if (
        isinstance(colors, (list, tuple))
        and len(colors) == 3
        and all(isinstance(c, (int, float, np.number)) for c in colors)
    ):
        return [colors] * n
    if isinstance(colors, (list, tuple)) and len(colors) == n:
        return list(colors)
    raise ValueError(
        f"colors: expected a colour, an (N, 3) array for one geometry, or one entry per "
        f"geometry ({n}), got {type(colors).__name__} of length {len(colors)}"
    )


def items_for(
    drawables: list[Drawable],
    view: View,
    width: int,
    height: int,
    colors: Any = None,
    *,
    depth_shading: bool = True,
) -> list[backends.Item]:
    """Final per-point colours: given colours, else the geometry's own, else the palette."""
    items = []
    for i, (d, col) in enumerate(zip(drawables, _per_geometry_colors(colors, len(drawables)))):
        n = len(d.points)
        shade = False
        if col is not None and not isinstance(col, str) and np.ndim(col) == 2:
            arr = np.asarray(col, dtype=np.float64)
            if arr.shape != (n, 3):
                raise ValueError(f"colors[{i}]: expected shape {(n, 3)}, got {arr.shape}")
            rgb = arr / 255.0 if arr.size and arr.max() > 1.0 else arr
        elif col is not None:
            rgb = np.tile(to_rgb(col, f"colors[{i}]"), (n, 1))
            shade = True
        elif d.colors is not None:
            rgb = d.colors
        else:
            base = MESH_COLOR if d.is_mesh else PALETTE[i % len(PALETTE)]
            rgb, shade = np.tile(np.asarray(base, dtype=np.float64), (n, 1)), True
        if shade and depth_shading and not d.is_mesh and n:
            rgb = depth_shade(rgb, view.project(d.points, width, height)[1])
        items.append(backends.Item(d.points, d.faces if d.is_mesh else None, rgb))
    return items


def save_png(image: np.ndarray, path: str | os.PathLike) -> None:
    """Write an (H, W, 3) uint8 image to ``path`` as PNG, atomically."""
    import imageio.v3 as iio

    from pointrecon.utils.atomic import atomic_path

    with atomic_path(path, suffix=".png") as tmp:
        iio.imwrite(tmp, image, extension=".png")


def render_png(
    geometries: Any,
    path: str | os.PathLike | None = None,
    *,
    width: int = 640,
    height: int = 480,
    camera: Camera | str | View | None = None,
    point_size: float | None = None,
    colors: Any = None,
    background: Any = "white",
    depth_shading: bool = True,
    renderer: str | None = None,
) -> np.ndarray:
    """Render point clouds and meshes off-screen; optionally write the PNG to ``path``.

    Args:
        geometries: one geometry or a list: numpy arrays / torch tensors (N, 3), trimesh meshes or
            point clouds, Open3D point clouds or triangle meshes.
        camera: a :class:`Camera`, a preset name ("iso", "front", "side", "back", "top"), an
            already fitted :class:`View` (to share one camera between pictures), or None ("iso").
            A Camera is fitted to all geometries together.
        point_size: in pixels; None picks one from the image size.
        colors: None (the geometry's own colours, else a palette colour per geometry), one colour
            (name, hex or RGB) for all, an (N, 3) array for a single geometry, or a list with one
            such entry per geometry.
        depth_shading: darken uniformly coloured points with distance, a depth cue.
        renderer: "auto", "open3d" or "matplotlib" (None: ``$POINTRECON_RENDERER`` or "auto").
            With "auto" on a CPU-only Vulkan device (llvmpipe), meshes are drawn by the
            matplotlib path, whose triangles need no slow shader compilation.

    Shapes:
        returns (height, width, 3) uint8.
    """
    _check_size(width, height)
    drawables = to_drawables(geometries)
    backend = backends.choose(renderer)
    if isinstance(camera, View):
        view = camera
    else:
        allpts = np.concatenate([d.points for d in drawables]) if drawables else np.zeros((0, 3))
        view = as_camera(camera).fit(allpts, width / height)
    size = default_point_size(width, height) if point_size is None else float(point_size)
    if not size > 0:
        raise ValueError(f"point_size: expected a positive number, got {point_size!r}")
    items = items_for(drawables, view, width, height, colors, depth_shading=depth_shading)
    requested = renderer if renderer is not None else os.environ.get(backends.ENV_VAR, "")
    if (
        backend == "open3d"
        and requested != "open3d"
        and any(d.is_mesh for d in drawables)
        and backends.meshes_on_cpu_renderer()
    ):
        backend = "matplotlib"  # see backends.meshes_on_cpu_renderer
    img = backends.render(
        backend,
        items,
        view,
        width,
        height,
        point_size=size,
        background=to_rgb(background, "background"),
    )
    if path is not None:
        save_png(img, path)
    return img


def render_views(
    geometries: Any,
    path: str | os.PathLike | None = None,
    *,
    cameras: list[Camera | str] = ("iso", "front", "side", "top"),
    width: int = 320,
    height: int = 320,
    titles: bool = True,
    **kwargs: Any,
) -> np.ndarray:
    """Several viewpoints of the same geometry side by side in one picture.

    ``kwargs`` go to :func:`render_png`; ``width``/``height`` are per view.

    Shapes:
        returns (H, W, 3) uint8 with W about len(cameras) * width.
    """
    cams = [as_camera(c) for c in cameras]
    if not cams:
        raise ValueError("cameras: expected at least one camera")
    names = [
        c if isinstance(c, str) else f"az {a.azimuth:g} el {a.elevation:g}"
        for c, a in zip(cameras, cams)
    ]
    row = [render_png(geometries, camera=c, width=width, height=height, **kwargs) for c in cams]
    img = compose_grid([row], titles=names if titles else None)
    if path is not None:
        save_png(img, path)
    return img


def render_turntable(
    geometries: Any,
    path: str | os.PathLike,
    *,
    frames: int = 36,
    elevation: float = 20.0,
    width: int = 320,
    height: int = 320,
    fps: float = 12.0,
    up: str = "y",
    **kwargs: Any,
) -> list[np.ndarray]:
    """Write a turntable animation (GIF) of the geometry rotating about the up axis.

    The camera distance is the same in every frame (the largest fitted one), so the object does
    not appear to breathe. ``kwargs`` go to :func:`render_png`.

    Shapes:
        returns the frames, each (height, width, 3) uint8.
    """
    import imageio.v3 as iio

    from pointrecon.utils.atomic import atomic_path

    if not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames: expected a positive integer, got {frames!r}")
    if not fps > 0:
        raise ValueError(f"fps: expected a positive number, got {fps!r}")
    drawables = to_drawables(geometries)
    pts = np.concatenate([d.points for d in drawables])
    azimuths = np.linspace(0.0, 360.0, frames, endpoint=False)
    cams = [Camera(azimuth=float(a), elevation=elevation, up=up) for a in azimuths]
    dist = max(
        float(np.linalg.norm(c.fit(pts, width / height).eye - c.fit(pts).target)) for c in cams
    )
    images = []
    for a in azimuths:
        cam = Camera(azimuth=float(a), elevation=elevation, up=up, distance=dist)
        images.append(render_png(drawables, camera=cam, width=width, height=height, **kwargs))
    with atomic_path(path, suffix=".gif") as tmp:
        iio.imwrite(tmp, np.stack(images), extension=".gif", duration=1000.0 / fps, loop=0)
    return images
