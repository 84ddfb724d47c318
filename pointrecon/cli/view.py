"""``pointrecon view a.ply b.ply [--overlay] [--reference gt.ply]``: interactive Open3D viewer.

Files are shown side by side (or overlaid with ``--overlay``); with ``--reference`` each is
coloured by its distance to the reference (turbo colour map, blue = close, red = far). Needs a
screen; on a machine without one use ``pointrecon render``.
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
    p = argparse.ArgumentParser(prog="pointrecon view", description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", help="point clouds or meshes (.ply .pcd .obj .off .stl ...)")
    p.add_argument("--overlay", action="store_true", help="draw all files in place, overlaid")
    p.add_argument("--reference", help="colour the files by their distance to this file")
    p.add_argument("--point-size", type=float, default=3.0, help="point size in pixels")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pointrecon.viz.files import load_geometry
    from pointrecon.viz.scene import build_scene, to_open3d

    try:
        drawables = [load_geometry(f) for f in args.files]
        reference = load_geometry(args.reference) if args.reference else None
    except DataError as exc:
        print(f"pointrecon view: {exc}", file=sys.stderr)
        return 2
    items, vmax = build_scene(drawables, overlay=args.overlay, reference=reference)
    if not has_display():
        print(
            "pointrecon view: no display found (DISPLAY/WAYLAND_DISPLAY unset), so no window can "
            "open. On a machine without a screen use 'pointrecon render FILES --out DIR'.",
            file=sys.stderr,
        )
        return 2
    import open3d as o3d

    if vmax is not None:
        print(f"error colours: turbo, 0 (blue) .. {vmax:.4g} (red) distance to the reference")
    names = ", ".join(os.path.basename(f) for f in args.files)
    try:
        vis = o3d.visualization.Visualizer()
        if not vis.create_window(window_name=f"pointrecon view: {names}", width=1280, height=800):
            raise RuntimeError("the window could not be created")
        for item in items:
            vis.add_geometry(to_open3d(item))
        vis.get_render_option().point_size = float(args.point_size)
        vis.run()
        vis.destroy_window()
    except Exception as exc:  # noqa: BLE001 - report any windowing failure clearly
        print(f"pointrecon view: cannot open the viewer window ({exc})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
