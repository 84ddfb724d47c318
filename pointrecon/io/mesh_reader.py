"""Read triangle meshes: ``read_mesh``."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import trimesh

from pointrecon.errors import DataError

from ._common import check_file, read_bytes
from ._mesh_text import parse_obj, parse_off, parse_stl
from ._ply import parse_header
from .formats import MESH_EXTENSIONS


def _load_trimesh(path, data: bytes, ext: str) -> trimesh.Trimesh:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = trimesh.load(
                io.BytesIO(data),
                file_type=ext[1:],
                force="mesh",
                process=False,
                resolver=trimesh.resolvers.FilePathResolver(str(path)),
            )
    except DataError:
        raise
    except MemoryError:
        raise DataError(path, "malformed file: it asks for more memory than is available") from None
    except Exception as exc:  # trimesh raises many types on bad input; report them all as DataError
        raise DataError(
            path, f"malformed {ext[1:].upper()} file: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(loaded, trimesh.Trimesh):
        raise DataError(path, f"no triangle mesh in the file (got {type(loaded).__name__})")
    return loaded


_UV_NAMES = frozenset(
    {"s", "t", "u", "v", "texture_u", "texture_v", "texcoord", "texture_s", "texture_t"}
)


def _check_ply_counts(path, hdr, n_verts: int, n_faces: int) -> None:
    """Every declared face must be read; vertices too, unless UV seams split them.

    A textured PLY (UVs per vertex, or per face as ``property list ... texcoord``) may have several
    UVs at one position along a seam; trimesh splits such vertices, so more vertices than the
    header declares is the valid reading there, and the face count is what must match.
    """
    nv, nf = hdr.element("vertex").count, hdr.element("face").count
    props = hdr.element("vertex").props + hdr.element("face").props
    seams = any(name in _UV_NAMES for name, _, _ in props)
    verts_ok = n_verts == nv or (seams and n_verts >= nv)
    if not verts_ok or n_faces < nf:
        raise DataError(
            path,
            f"header declares {nv} vertices and {nf} faces "
            f"but {n_verts} vertices and {n_faces} triangles were read",
        )


def read_mesh(path: str | os.PathLike) -> trimesh.Trimesh:
    """Read a triangle mesh; quads and n-gons are triangulated.

    Formats: ``.obj .off .stl`` (strict parsers of this package; OBJ negative indices and
    n-gons supported, binary STL with a 'solid' header recognised by its size), ``.ply`` (header
    checked against the file size here, then trimesh), ``.glb .gltf`` (trimesh; a scene is
    flattened with its transforms). Vertices are kept as stored (no merging).

    Raises:
        DataError: missing/unreadable/malformed/truncated file, no faces, non-finite vertices,
        out-of-range indices, zero total area.

    Shapes:
        returns a Trimesh with vertices (V, 3) float64 and faces (F, 3) int64.
    """
    p, ext = check_file(path, MESH_EXTENSIONS, "mesh")
    data = read_bytes(p)
    if not data:
        raise DataError(p, "empty file")
    if ext in (".obj", ".off", ".stl"):
        parser = {".obj": parse_obj, ".off": parse_off, ".stl": parse_stl}[ext]
        verts, faces = parser(p, data)
        mesh = None
    else:
        if ext == ".ply":
            hdr = parse_header(p, data)
            fel = hdr.element("face")
            if hdr.element("vertex") is None or fel is None or fel.count == 0:
                raise DataError(p, "no faces in the PLY file (a point cloud? use read_points)")
        mesh = _load_trimesh(p, data, ext)
        verts = np.asarray(mesh.vertices, dtype=np.float64)
        faces = np.asarray(mesh.faces, dtype=np.int64)
        if ext == ".ply":
            _check_ply_counts(p, hdr, len(verts), len(faces))
    if verts.ndim != 2 or verts.shape[1] != 3 or len(verts) == 0:
        raise DataError(p, "empty mesh: no vertices")
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise DataError(p, "empty mesh: no triangle faces")
    if faces.min() < 0 or faces.max() >= len(verts):
        raise DataError(p, f"face index out of range 0..{len(verts) - 1}")
    bad = int(np.count_nonzero(~np.isfinite(verts).all(axis=1)))
    if bad:
        raise DataError(p, f"{bad} of {len(verts)} vertices have NaN/Inf coordinates")
    if mesh is None:
        mesh = trimesh.Trimesh(vertices=verts, faces=faces, process=False, validate=False)
    with np.errstate(over="ignore", invalid="ignore"):
        area = float(mesh.area)
    if not np.isfinite(area):
        raise DataError(p, "mesh area is not finite (coordinates too large)")
    if area <= 0.0:
        raise DataError(p, f"mesh has zero area ({len(faces)} degenerate faces)")
    return mesh
