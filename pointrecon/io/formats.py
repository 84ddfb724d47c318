"""File extensions understood by :mod:`pointrecon.io`."""

from __future__ import annotations

#: Point-cloud formats read by ``read_points`` / ``read_point_cloud`` and written by ``write_points``.
POINT_EXTENSIONS: tuple[str, ...] = (
    ".ply", ".pcd", ".xyz", ".pts", ".txt", ".csv", ".npy", ".npz", ".las", ".laz", ".e57", ".bin",
)  # fmt: skip

#: Geo-referenced scan formats: read relative to a recorded float64 offset (``PointCloudData``).
GEO_EXTENSIONS: tuple[str, ...] = (".las", ".laz", ".e57")

#: Mesh formats read by ``read_mesh`` and written by ``write_mesh``.
MESH_EXTENSIONS: tuple[str, ...] = (".obj", ".off", ".stl", ".ply", ".glb", ".gltf")
