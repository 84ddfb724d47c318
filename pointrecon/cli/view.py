"""``pointrecon view a.ply b.ply [--overlay] [--reference gt.ply]``: interactive Open3D viewer.

Files are shown side by side (or overlaid with ``--overlay``), each in its own colour, from an
isometric camera fitted to the scene. The window title and an on-screen legend name each file and
its colour; with ``--reference`` each file is coloured by its distance to the reference (turbo
colour map, blue = close, red = far) and a colour bar with the scale stands beside the legend.

Keys: C saves the camera (Open3D PinholeCameraParameters JSON, ``--save-camera``), V loads it
back, X saves a screenshot (PNG, numbered, in ``--screenshot-dir``), R resets the camera; Open3D's
own keys work too (H prints them, Q/Esc closes). ``--camera FILE`` starts from a saved camera;
``--screenshot FILE`` renders one frame to a PNG and exits. Needs a display; on a machine without
one run it under ``xvfb-run``, or use ``pointrecon render``.
"""

from __future__ import annotations

import argparse
import os
import sys

from pointrecon.errors import DataError


def has_display() -> bool:
    """Whether an interactive window can open (X11/Wayland on Linux; assumed elsewhere)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="pointrecon view",
        description=__doc__.splitlines()[0],
        epilog="keys: C save camera, V load camera, X screenshot, R reset camera, Q quit",
    )
    p.add_argument("files", nargs="+", help="point clouds or meshes (.ply .pcd .obj .off .stl ...)")
    p.add_argument("--overlay", action="store_true", help="draw all files in place, overlaid")
    p.add_argument("--reference", help="colour the files by their distance to this file")
    p.add_argument("--point-size", type=float, default=3.0, help="point size in pixels")
    p.add_argument("--camera", metavar="FILE", help="start from this saved camera (JSON)")
    p.add_argument(
        "--save-camera",
        metavar="FILE",
        help="where key C saves the camera and key V loads it from "
        "(default: the --camera file, else pointrecon_camera.json)",
    )
    p.add_argument(
        "--screenshot",
        metavar="FILE",
        help="render one frame to this PNG and exit (no interaction)",
    )
    p.add_argument(
        "--screenshot-dir", default=".", metavar="DIR", help="where key X saves screenshots"
    )
    p.add_argument("--width", type=int, default=1280, help="window width in pixels")
    p.add_argument("--height", type=int, default=800, help="window height in pixels")
    p.add_argument("--no-legend", action="store_true", help="no legend or colour bar geometry")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pointrecon.viz.files import load_geometry
    from pointrecon.viz.scene import build_scene
    from pointrecon.viz.viewer import layout_axis, legend_entries, overlay_geometry, window_title

    try:
        drawables = [load_geometry(f) for f in args.files]
        reference = load_geometry(args.reference) if args.reference else None
    except DataError as exc:
        print(f"pointrecon view: {exc}", file=sys.stderr)
        return 2
    if args.width < 16 or args.height < 16:
        print("pointrecon view: --width and --height must be at least 16", file=sys.stderr)
        return 2
    items, vmax = build_scene(
        drawables, overlay=args.overlay, reference=reference, axis=layout_axis()
    )
    entries = legend_entries(
        [os.path.basename(f) for f in args.files],
        [d.colors is not None for d in drawables],
        overlay=args.overlay,
        reference=os.path.basename(args.reference) if args.reference else None,
    )
    title = window_title(entries, vmax)
    if not has_display():
        print(
            "pointrecon view: no display found (DISPLAY/WAYLAND_DISPLAY unset), so no window can "
            "open. Run it under a virtual display ('xvfb-run pointrecon view ... --screenshot "
            "out.png'), or on a machine without a screen use 'pointrecon render FILES --out DIR'.",
            file=sys.stderr,
        )
        return 2
    print(title)
    if vmax is not None:
        print(f"error colours: turbo, 0 (blue) .. {vmax:.4g} (red) distance to the reference")
    labels = []
    if not args.no_legend:
        import numpy as np

        shapes, labels = overlay_geometry(
            entries,
            np.concatenate([d.points for d in items if len(d.points)] or [[[0, 0, 0]]]),
            vmax,
        )
        items = items + shapes
    from pointrecon.viz.window import ViewerOptions, show

    opts = ViewerOptions(
        title=title,
        width=args.width,
        height=args.height,
        point_size=args.point_size,
        camera=args.camera,
        save_camera=args.save_camera or args.camera or "pointrecon_camera.json",
        screenshot=args.screenshot,
        screenshot_dir=args.screenshot_dir,
    )
    try:
        show(items, labels, opts)
    except ValueError as exc:  # a bad camera file
        print(f"pointrecon view: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - report any windowing failure clearly
        print(f"pointrecon view: cannot open the viewer window ({exc})", file=sys.stderr)
        return 2
    for line in opts.log:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
