"""Reading any point-cloud or mesh file into a :class:`~pointrecon.viz.geometry.Drawable`."""

from __future__ import annotations

import os
from pathlib import Path

from pointrecon.errors import DataError
from pointrecon.viz.geometry import Drawable, to_drawable


def load_geometry(path: str | os.PathLike) -> Drawable:
    """Read a mesh (faces kept) or a point cloud (colours kept) from ``path``.

    ``.ply`` may hold either: it is read as a mesh when it has faces, else as a point cloud.

    Raises:
        DataError: missing or unreadable file, or an extension pointrecon.io does not read.
    """
    from pointrecon.io import MESH_EXTENSIONS, POINT_EXTENSIONS, read_mesh, read_point_cloud

    p = Path(path)
    ext = p.suffix.lower()
    if not p.exists():
        raise DataError(p, "file not found")
    if ext not in MESH_EXTENSIONS and ext not in POINT_EXTENSIONS:
        raise DataError(
            p, f"unknown extension {ext!r}; expected one of {MESH_EXTENSIONS + POINT_EXTENSIONS}"
        )
    if ext in MESH_EXTENSIONS:
        try:
            mesh = read_mesh(p)
            if len(mesh.faces):
                return to_drawable(mesh, str(p))
        except DataError:
            if ext not in POINT_EXTENSIONS:
                raise
        if ext not in POINT_EXTENSIONS:
            raise DataError(p, "mesh has no faces")
    cloud = read_point_cloud(p, nan_policy="drop")
    return Drawable(cloud.points.astype("float64"), None, cloud.colors)
