"""Valid mesh forms that other tools write: textured PLY with UV seams, OBJ line continuation."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pointrecon.errors import DataError
from pointrecon.io import read_mesh

# a unit square of two triangles whose shared edge is a UV seam: vertices 1 and 2 carry a
# different UV in each face, so trimesh splits them (4 positions -> 6 vertices)
TEXTURED_PLY = """ply
format ascii 1.0
comment TextureFile missing.png
element vertex 4
property float x
property float y
property float z
property float s
property float t
element face 2
property list uchar int vertex_indices
property list uchar float texcoord
end_header
0 0 0 0 0
1 0 0 1 0
0 1 0 0 1
1 1 0 1 1
3 0 1 2 6 0 0 1 0 0 1
3 1 3 2 6 0.5 0 1 1 0.2 1
"""

OBJ_VERTS = "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nv 2 1 0\n"


def _binary_textured_ply(path):
    head = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\n"
        b"property float y\nproperty float z\nproperty float u\nproperty float v\n"
        b"element face 2\nproperty list uchar int vertex_indices\n"
        b"property list uchar float texcoord\nend_header\n"
    )
    verts = np.array(
        [[0, 0, 0, 0, 0], [1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [1, 1, 0, 1, 1]], "<f4"
    ).tobytes()
    faces = b""
    for idx, uv in (([0, 1, 2], [0, 0, 1, 0, 0, 1]), ([1, 3, 2], [0.5, 0, 1, 1, 0.2, 1])):
        faces += bytes([3]) + np.array(idx, "<i4").tobytes()
        faces += bytes([6]) + np.array(uv, "<f4").tobytes()
    path.write_bytes(head + verts + faces)


@pytest.mark.parametrize("encoding", ["ascii", "binary"])
def test_textured_ply_with_uv_seams_loads_with_trimesh_faces(tmp_path, encoding):
    path = tmp_path / f"textured_{encoding}.ply"
    if encoding == "ascii":
        path.write_text(TEXTURED_PLY)
    else:
        _binary_textured_ply(path)
    ref = trimesh.load(path, force="mesh", process=False)
    assert len(ref.vertices) > 4  # trimesh split the seam: the case the header check refused
    mesh = read_mesh(path)
    assert mesh.faces.shape == ref.faces.shape == (2, 3)
    np.testing.assert_allclose(mesh.area, 1.0)
    np.testing.assert_allclose(mesh.bounds, [[0, 0, 0], [1, 1, 0]])


def test_ply_missing_faces_still_refused_with_uvs(tmp_path):
    path = tmp_path / "short.ply"
    # declares 3 faces, holds 2: the face count is still checked
    path.write_text(TEXTURED_PLY.replace("element face 2", "element face 3"))
    with pytest.raises(DataError, match="face") as exc:
        read_mesh(path)
    assert str(path) in str(exc.value)


def test_untextured_ply_vertex_count_still_checked(tmp_path):
    path = tmp_path / "plain.ply"
    path.write_text(
        "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\n"
        "property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n"
        "0 0 0\n1 0 0\n0 1 0\n"
    )
    with pytest.raises(DataError) as exc:
        read_mesh(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_obj_line_continuation_loads_with_trimesh_faces(tmp_path, newline):
    text = OBJ_VERTS + "f 1 2 \\\n 3\nf 2 4 3 \\\n 5\n# end\n"
    path = tmp_path / "continued.obj"
    path.write_bytes(text.replace("\n", newline).encode())
    ref = trimesh.load(path, force="mesh", process=False)
    mesh = read_mesh(path)
    assert mesh.faces.shape == ref.faces.shape == (3, 3)
    np.testing.assert_array_equal(mesh.faces, [[0, 1, 2], [1, 3, 2], [1, 2, 4]])


def test_obj_continuation_with_trailing_blanks_and_vertex_lines(tmp_path):
    path = tmp_path / "blanks.obj"
    path.write_text("v 0 0 \\  \n 0\nv 1 0 0\nv 0 1 0\nf 1 \\\t\n2 3\n")
    mesh = read_mesh(path)
    assert mesh.faces.tolist() == [[0, 1, 2]]
    assert mesh.vertices.shape == (3, 3)


def test_obj_lone_backslash_token_is_still_an_error(tmp_path):
    path = tmp_path / "bad.obj"
    path.write_text(OBJ_VERTS + "f 1 \\ 2 3\n")
    with pytest.raises(DataError, match="bad index") as exc:
        read_mesh(path)
    assert str(path) in str(exc.value)
