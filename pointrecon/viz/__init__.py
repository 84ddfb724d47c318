"""Visualisation and meshing: headless renders, comparisons with error colouring, surfaces.

Open3D is imported lazily, inside the functions that need it, so importing this package is cheap
and works where Open3D's renderer does not.
"""

from pointrecon.viz.backends import RendererFallbackWarning, probe_open3d
from pointrecon.viz.camera import Camera, View
from pointrecon.viz.colors import error_colors
from pointrecon.viz.comparison import render_comparison
from pointrecon.viz.geometry import Drawable, to_drawable
from pointrecon.viz.mesh import mesh_from_points
from pointrecon.viz.render import render_png, render_turntable, render_views, save_png

__all__ = [
    "Camera",
    "Drawable",
    "RendererFallbackWarning",
    "View",
    "error_colors",
    "mesh_from_points",
    "probe_open3d",
    "render_comparison",
    "render_png",
    "render_turntable",
    "render_views",
    "save_png",
    "to_drawable",
]
