"""Write triangle meshes (atomically): ``write_mesh``."""

from __future__ import annotations

import os
from pathlib import Path

import trimesh

from pointrecon.errors import DataError
from pointrecon.utils.atomic import atomic_write_bytes

from .formats import MESH_EXTENSIONS


def write_mesh(path: str | os.PathLike, mesh: trimesh.Trimesh) -> None:
    """Write ``mesh`` atomically in the format of the extension (``.gltf`` embeds its buffers).

    Shapes:
        mesh.vertices (V, 3), mesh.faces (F, 3).
    """
    if not isinstance(mesh, trimesh.Trimesh):
        raise TypeError(f"mesh: expected trimesh.Trimesh, got {type(mesh).__name__}")
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in MESH_EXTENSIONS:
        raise DataError(
            p, f"unknown mesh extension {p.suffix!r}; expected one of {', '.join(MESH_EXTENSIONS)}"
        )
    if ext == ".gltf":
        files = trimesh.exchange.gltf.export_gltf(trimesh.Scene(mesh), embed_buffers=True)
        data = files["model.gltf"]
    elif ext == ".ply":
        data = trimesh.exchange.ply.export_ply(mesh, encoding="binary")
    elif ext == ".obj":
        data = trimesh.exchange.obj.export_obj(mesh, include_texture=False).encode("utf-8")
    else:
        data = mesh.export(file_type=ext[1:])
    if isinstance(data, str):
        data = data.encode("utf-8")
    if p.is_dir():
        raise DataError(p, "is a directory, expected a file path")
    try:
        atomic_write_bytes(p, data)
    except OSError as exc:
        raise DataError(p, f"cannot write file: {exc.strerror or exc}") from None
