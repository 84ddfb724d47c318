"""`pointrecon mesh`: a sampled sphere cloud in, a mesh file on the sphere out."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from pointrecon.cli import mesh as cli
from pointrecon.io import read_mesh, write_points


def _sphere(n: int, seed: int) -> np.ndarray:
    p = np.random.default_rng(seed).normal(size=(n, 3))
    return (p / np.linalg.norm(p, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("method", ["poisson", "ball_pivoting"])
def test_mesh_command(tmp_path, capsys, method):
    src = _sphere(2000, 0)
    write_points(tmp_path / "s.ply", src)
    assert (
        cli.main(
            [str(tmp_path / "s.ply"), str(tmp_path / "s.obj"), "--method", method, "--depth", "6"]
        )
        == 0
    )
    mesh = read_mesh(tmp_path / "s.obj")
    assert f"{len(mesh.faces)} faces" in capsys.readouterr().out
    import trimesh

    pts = trimesh.sample.sample_surface(mesh, 4000, seed=1)[0]
    cd = 0.5 * (cKDTree(src).query(pts)[0].mean() + cKDTree(pts).query(src)[0].mean())
    floor = 0.5 * (
        cKDTree(src).query(_sphere(4000, 2))[0].mean()
        + cKDTree(_sphere(4000, 2)).query(src)[0].mean()
    )
    assert cd < 1.3 * floor, (cd, floor)


def test_mesh_command_errors(tmp_path, capsys):
    assert cli.main([str(tmp_path / "none.ply"), str(tmp_path / "o.obj")]) == 2
    assert "none.ply" in capsys.readouterr().err
    write_points(tmp_path / "few.ply", _sphere(5, 0))
    assert cli.main([str(tmp_path / "few.ply"), str(tmp_path / "o.obj")]) == 2
    assert "at least 10 points" in capsys.readouterr().err
    assert not (tmp_path / "o.obj").exists()
