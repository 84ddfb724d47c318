"""The Open3D window of ``pointrecon view`` (legacy ``VisualizerWithKeyCallback``).

Needs a display (X11/Wayland; a virtual one such as Xvfb works). Keys besides Open3D's own are
listed in :data:`pointrecon.viz.viewer.KEYS`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pointrecon.viz.geometry import Drawable
from pointrecon.viz.viewer import (
    KEYS,
    TextLabel,
    default_view,
    fit_points,
    next_free_path,
    pinhole_matrices,
)

# create_text's glyphs: baseline at y = 4, cap height 10, left edge at x = 1 (font units).
_BASELINE, _CAP, _LEFT = 4.0, 10.0, 1.0


def text_mesh(label: TextLabel):
    """``label`` as a flat Open3D TriangleMesh in the plane of its ``right``/``up`` axes."""
    import open3d as o3d

    mesh = o3d.t.geometry.TriangleMesh.create_text(label.text, depth=0.0).to_legacy()
    v = np.asarray(mesh.vertices, dtype=np.float64)
    s = label.height / _CAP
    v = (v - [_LEFT, _BASELINE, 0.0]) * s
    right, up = np.asarray(label.right, dtype=np.float64), np.asarray(label.up, dtype=np.float64)
    v = np.asarray(label.anchor, dtype=np.float64) + v[:, :1] * right + v[:, 1:2] * up
    mesh.vertices = o3d.utility.Vector3dVector(v)
    mesh.paint_uniform_color(label.color)
    mesh.compute_vertex_normals()
    return mesh


@dataclass
class ViewerOptions:
    """Window settings of :func:`show`."""

    title: str = "pointrecon view"
    width: int = 1280
    height: int = 800
    point_size: float = 3.0
    camera: str | None = None  # load this camera file at start
    save_camera: str = "pointrecon_camera.json"  # key C writes, key V reads
    screenshot: str | None = None  # render one frame to this PNG and close
    screenshot_dir: str = "."  # key X writes pointrecon_view_0001.png ... here
    background: tuple[float, float, float] = (1.0, 1.0, 1.0)
    log: list[str] = field(default_factory=list)


def read_camera(path: str | os.PathLike):
    """An ``open3d.camera.PinholeCameraParameters`` from a JSON file (ValueError if unusable)."""
    import open3d as o3d

    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{p}: camera file not found")
    params = o3d.io.read_pinhole_camera_parameters(str(p))
    if params.intrinsic.width <= 0 or params.intrinsic.height <= 0:
        raise ValueError(f"{p}: not an Open3D PinholeCameraParameters JSON file")
    return params


def show(items: list[Drawable], labels: list[TextLabel], opts: ViewerOptions) -> None:
    """Open the window with ``items`` (and ``labels`` as text), interactively or, with
    ``opts.screenshot``, for one frame saved as PNG.

    Raises:
        RuntimeError: the window could not be created. ValueError: a bad camera file.
    """
    import open3d as o3d

    from pointrecon.viz.scene import to_open3d

    params = read_camera(opts.camera) if opts.camera else None
    width, height = opts.width, opts.height
    if params is not None:  # the window takes the saved camera's size, so the view is exact
        width, height = params.intrinsic.width, params.intrinsic.height
    vis = o3d.visualization.VisualizerWithKeyCallback()
    if not vis.create_window(
        window_name=opts.title, width=width, height=height, visible=opts.screenshot is None
    ):
        raise RuntimeError("the window could not be created")
    try:
        for item in items:
            vis.add_geometry(to_open3d(item))
        for label in labels:
            vis.add_geometry(text_mesh(label))
        ropt = vis.get_render_option()
        ropt.point_size = float(opts.point_size)
        ropt.background_color = np.asarray(opts.background, dtype=np.float64)
        ropt.mesh_show_back_face = True
        pts = fit_points(items, labels)
        # The window may be smaller than asked for (screen size): fit to what it is.
        vc = vis.get_view_control()
        cur = vc.convert_to_pinhole_camera_parameters()
        w, h = cur.intrinsic.width, cur.intrinsic.height

        def set_default(v=None) -> bool:
            intr, extr = pinhole_matrices(default_view(pts, w, h), w, h)
            p = o3d.camera.PinholeCameraParameters()
            p.intrinsic = o3d.camera.PinholeCameraIntrinsic(
                w, h, intr[0, 0], intr[1, 1], intr[0, 2], intr[1, 2]
            )
            p.extrinsic = extr
            vis.get_view_control().convert_from_pinhole_camera_parameters(p, True)
            return True

        def load(path: str) -> bool:
            vis.get_view_control().convert_from_pinhole_camera_parameters(read_camera(path), True)
            return True

        set_default()
        if params is not None:
            vis.get_view_control().convert_from_pinhole_camera_parameters(params, True)
        if opts.screenshot is not None:
            vis.poll_events()
            vis.update_renderer()
            Path(opts.screenshot).parent.mkdir(parents=True, exist_ok=True)
            vis.capture_screen_image(str(opts.screenshot), do_render=True)
            opts.log.append(f"screenshot: {opts.screenshot}")
            return

        def save_camera(v) -> bool:
            p = v.get_view_control().convert_to_pinhole_camera_parameters()
            o3d.io.write_pinhole_camera_parameters(opts.save_camera, p)
            print(f"pointrecon view: camera saved to {opts.save_camera}", flush=True)
            return False

        def load_camera(v) -> bool:
            try:
                load(opts.save_camera)
                print(f"pointrecon view: camera loaded from {opts.save_camera}", flush=True)
            except ValueError as exc:
                print(f"pointrecon view: {exc}", flush=True)
            return True

        def screenshot(v) -> bool:
            path = next_free_path(opts.screenshot_dir, "pointrecon_view", ".png")
            v.capture_screen_image(str(path), do_render=True)
            print(f"pointrecon view: screenshot saved to {path}", flush=True)
            return False

        vis.register_key_callback(ord("C"), save_camera)
        vis.register_key_callback(ord("V"), load_camera)
        vis.register_key_callback(ord("X"), screenshot)
        vis.register_key_callback(ord("R"), set_default)
        print(
            "keys: " + "; ".join(f"{k} {what}" for k, what in KEYS.items()) + "; Q/Esc quit",
            flush=True,
        )
        vis.run()
    finally:
        vis.destroy_window()
