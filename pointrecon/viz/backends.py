"""The two renderers behind :func:`pointrecon.viz.render_png`.

``open3d``: Open3D's Filament ``OffscreenRenderer``. Without a screen it runs headless on Vulkan
(on a CPU-only machine through Mesa's llvmpipe: packages ``libvulkan1`` and
``mesa-vulkan-drivers``). A renderer that cannot start aborts the whole process from C++, so
whether it works is first checked once per process in a child process.

``matplotlib``: a software fallback with the same camera model (points as depth-sorted discs,
meshes as depth-sorted Lambert-shaded triangles). Chosen, with a :class:`RendererFallbackWarning`,
when Open3D cannot render, or on request: ``renderer="matplotlib"`` or the environment variable
``POINTRECON_RENDERER=matplotlib``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from pointrecon.viz.camera import View

RENDERERS = ("auto", "open3d", "matplotlib")
ENV_VAR = "POINTRECON_RENDERER"


class RendererFallbackWarning(UserWarning):
    """Open3D's renderer is not used; pictures come from the matplotlib fallback."""


@dataclass
class Item:
    """What a backend draws. Shapes: points (N, 3), faces (F, 3) or None, colors (N, 3)."""

    points: np.ndarray
    faces: np.ndarray | None
    colors: np.ndarray


_PROBE = """
import numpy as np
import open3d as o3d
from open3d.visualization import rendering
r = rendering.OffscreenRenderer(16, 16)
r.scene.add_geometry("p", o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.zeros((1, 3)))),
                     rendering.MaterialRecord())
r.setup_camera(60.0, [0, 0, 0], [0, 0, 1], [0, 1, 0])
img = np.asarray(r.render_to_image())
assert img.shape == (16, 16, 3), img.shape
print("POINTRECON_RENDER_OK")
"""
_probe_result: tuple[bool, str] | None = None
_software = False  # the probe saw a CPU (llvmpipe) Vulkan device
_lock = threading.RLock()
_renderers: dict[tuple[int, int], object] = {}


def probe_open3d(timeout: float = 180.0) -> tuple[bool, str]:
    """Whether Open3D's off-screen renderer starts here (checked once per process, in a child).

    Returns:
        (ok, reason): reason is the tail of the child's output when it failed.
    """
    global _probe_result, _software
    with _lock:
        if _probe_result is None:
            try:
                proc = subprocess.run(
                    [sys.executable, "-c", _PROBE],
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
                out = (proc.stdout or "") + (proc.stderr or "")
                ok = proc.returncode == 0 and "POINTRECON_RENDER_OK" in out
                _software = "llvmpipe" in out or "software device" in out.lower()
                tail = " | ".join(line for line in out.strip().splitlines()[-3:])
                _probe_result = (ok, "" if ok else f"exit code {proc.returncode}: {tail}")
            except (OSError, subprocess.SubprocessError) as exc:
                _probe_result = (False, f"{type(exc).__name__}: {exc}")
        return _probe_result


def choose(renderer: str | None = None) -> str:
    """Pick the backend: the argument, else ``$POINTRECON_RENDERER``, else "auto".

    "auto" uses Open3D when :func:`probe_open3d` succeeds. Returns "open3d" or "matplotlib";
    warns with :class:`RendererFallbackWarning` whenever it returns "matplotlib".
    """
    choice = renderer if renderer is not None else os.environ.get(ENV_VAR, "") or "auto"
    if choice not in RENDERERS:
        source = "renderer" if renderer is not None else ENV_VAR
        raise ValueError(f"{source}: expected one of {RENDERERS}, got {choice!r}")
    if choice == "matplotlib":
        fallback_warning(f"the matplotlib renderer was requested ({ENV_VAR} or renderer=...)")
        return "matplotlib"
    if choice == "open3d":
        return "open3d"
    ok, reason = probe_open3d()
    if not ok:
        fallback_warning(f"Open3D's OffscreenRenderer could not start ({reason})")
        return "matplotlib"
    return "open3d"


def meshes_on_cpu_renderer() -> bool:
    """Whether Open3D renders on a CPU Vulkan device (llvmpipe), as seen by the probe.

    There, Filament's triangle pipelines take from seconds to minutes to compile, so with
    ``renderer="auto"`` pictures that contain meshes are drawn by the matplotlib path instead
    (no warning: same camera and shading model); ``renderer="open3d"`` insists on Open3D.
    """
    return _probe_result is not None and _probe_result[0] and _software


def fallback_warning(reason: str) -> None:
    warnings.warn(
        f"pointrecon.viz: using the matplotlib fallback renderer: {reason}. Pictures are "
        "simpler than Open3D's. For headless Open3D rendering install libvulkan1 and "
        "mesa-vulkan-drivers (Linux).",
        RendererFallbackWarning,
        stacklevel=4,
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the C++ start-up chatter that Filament writes to the process's stdout/stderr."""
    saved = []
    try:
        for fd in (1, 2):
            saved.append((fd, os.dup(fd)))
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd, _ in saved:
            os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass
    try:
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


def release_renderers() -> None:
    """Destroy the cached Open3D renderers (registered with atexit: Filament aborts the process
    if they are left to the interpreter's shutdown)."""
    import gc

    with _lock:
        while _renderers:
            _renderers.popitem()
            gc.collect()


def _renderer(width: int, height: int):
    """The cached renderer for this size. Only one lives at a time: Filament aborts when
    renderers sharing its engine are destroyed in the wrong order."""
    from open3d.visualization import rendering

    key = (width, height)
    if key not in _renderers:
        if _renderers:
            release_renderers()
        else:
            atexit.register(release_renderers)
        with _quiet():
            r = rendering.OffscreenRenderer(width, height)
        r.scene.view.set_post_processing(False)  # exact colours, no tone mapping
        _renderers[key] = r
    return _renderers[key]


def render_open3d(
    items: list[Item],
    view: View,
    width: int,
    height: int,
    *,
    point_size: float,
    background: np.ndarray,
) -> np.ndarray:
    """Render ``items`` with Open3D. Shapes: returns (height, width, 3) uint8."""
    import open3d as o3d
    from open3d.visualization import rendering

    with _lock:
        r = _renderer(width, height)
        scene = r.scene
        scene.clear_geometry()
        scene.set_background([*map(float, background), 1.0])
        right, up, back = view.basis()
        light = -(0.6 * back + 0.3 * right - 0.5 * up)
        scene.scene.set_sun_light(light / np.linalg.norm(light), [1.0, 1.0, 1.0], 90000.0)
        scene.scene.enable_sun_light(True)
        scene.scene.enable_indirect_light(True)
        scene.scene.set_indirect_light_intensity(28000.0)
        for i, item in enumerate(items):
            mat = rendering.MaterialRecord()
            if item.faces is None or len(item.faces) == 0:
                geom = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(item.points))
                geom.colors = o3d.utility.Vector3dVector(np.clip(item.colors, 0, 1))
                mat.shader = "defaultUnlit"
                mat.point_size = float(point_size)
            else:
                geom = o3d.geometry.TriangleMesh(
                    o3d.utility.Vector3dVector(item.points),
                    o3d.utility.Vector3iVector(item.faces.astype(np.int32)),
                )
                geom.vertex_colors = o3d.utility.Vector3dVector(np.clip(item.colors, 0, 1))
                geom.compute_vertex_normals()
                mat.shader = "defaultLit"
                mat.base_roughness = 0.8
            scene.add_geometry(f"g{i}", geom, mat)
        dist = float(np.linalg.norm(view.eye - view.target))
        r.setup_camera(float(view.fov), view.target, view.eye, view.up)
        scene.camera.set_projection(
            float(view.fov),
            width / height,
            max(dist * 1e-3, 1e-6),
            dist * 100.0,
            rendering.Camera.FovType.Vertical,
        )
        img = np.asarray(r.render_to_image())
        scene.clear_geometry()
    return np.ascontiguousarray(img[..., :3], dtype=np.uint8)


def vertex_shading(points: np.ndarray, faces: np.ndarray, view: View) -> np.ndarray:
    """Per-vertex brightness: ambient plus diffuse from a light above and left of the camera.

    Shapes:
        points: (N, 3), faces: (F, 3) -> (N,) in [0.3, 1].
    """
    tri = points[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # area-weighted face normals
    vn = np.zeros_like(points)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    vn /= np.linalg.norm(vn, axis=1, keepdims=True) + 1e-12
    right, up, back = view.basis()
    light = 0.8 * back + 0.35 * up - 0.3 * right
    light /= np.linalg.norm(light)
    return 0.3 + 0.7 * np.abs(vn @ light)  # two-sided: open meshes show their inside too


def render_matplotlib(
    items: list[Item],
    view: View,
    width: int,
    height: int,
    *,
    point_size: float,
    background: np.ndarray,
) -> np.ndarray:
    """Render ``items`` with matplotlib (Agg). Shapes: returns (height, width, 3) uint8."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor=tuple(background))
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    ax.set_facecolor(tuple(background))
    # All primitives of all items in one painter's-algorithm order (far first).
    depths, kinds = [], []
    for item in items:
        px, depth = view.project(item.points, width, height)
        if item.faces is None or len(item.faces) == 0:
            keep = depth > 0
            depths.append(depth[keep])
            kinds.append(("points", px[keep], item.colors[keep]))
        else:
            shade = vertex_shading(item.points, item.faces, view)
            col = (item.colors * shade[:, None])[item.faces].mean(axis=1)
            fdepth = depth[item.faces].mean(axis=1)
            keep = (depth[item.faces] > 0).all(axis=1)
            depths.append(fdepth[keep])
            kinds.append(("faces", px[item.faces][keep], np.clip(col[keep], 0, 1)))
    size = (point_size * 72.0 / dpi) ** 2
    for (kind, px, col), depth in zip(kinds, depths):
        order = np.argsort(-depth)
        if kind == "points":
            ax.scatter(px[order, 0], px[order, 1], s=size, c=col[order], marker="o", linewidths=0)
        else:
            # Edges in the face colour close the hairline seams between anti-aliased triangles.
            ax.add_collection(
                PolyCollection(
                    px[order], facecolors=col[order], edgecolors=col[order], linewidths=0.3
                )
            )
    canvas.draw()
    img = np.asarray(canvas.buffer_rgba())[..., :3]
    return np.ascontiguousarray(img[:height, :width], dtype=np.uint8)


def render(
    backend: str,
    items: list[Item],
    view: View,
    width: int,
    height: int,
    *,
    point_size: float,
    background: np.ndarray,
) -> np.ndarray:
    """Render with ``backend``; an Open3D failure that raises falls back to matplotlib."""
    if backend == "open3d":
        try:
            return render_open3d(
                items, view, width, height, point_size=point_size, background=background
            )
        except Exception as exc:  # noqa: BLE001 - any renderer failure means: fall back
            fallback_warning(f"Open3D rendering failed ({type(exc).__name__}: {exc})")
    return render_matplotlib(
        items, view, width, height, point_size=point_size, background=background
    )
