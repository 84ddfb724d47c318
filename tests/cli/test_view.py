"""`pointrecon view`: the scene it builds (side by side, overlaid, error colours), no display."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.cli import view as cli
from pointrecon.io import write_points
from pointrecon.viz.colors import colormap
from pointrecon.viz.geometry import Drawable
from pointrecon.viz.scene import build_scene, to_open3d


def _cloud(offset: float, n: int = 200, seed: int = 0) -> Drawable:
    return Drawable(np.random.default_rng(seed).uniform(-1, 1, (n, 3)) + offset)


def test_side_by_side_does_not_overlap():
    items, vmax = build_scene([_cloud(0), _cloud(0, seed=1), _cloud(5, seed=2)], gap=0.1)
    assert vmax is None and len(items) == 3
    for left, right in zip(items, items[1:]):
        assert left.points[:, 0].max() < right.points[:, 0].min()
        np.testing.assert_allclose(
            right.points[:, 0].min() - left.points[:, 0].max(), 0.2, rtol=0.02
        )
    # Only x moves; distinct colours per file.
    np.testing.assert_allclose(items[2].points[:, 1:], _cloud(5, seed=2).points[:, 1:])
    assert not np.allclose(items[0].colors[0], items[1].colors[0])


def test_overlay_keeps_positions_and_reference_colours_by_error():
    ref = Drawable(np.array([[0.0, 0, 0], [10.0, 0, 0]]))
    pred = Drawable(np.array([[0.0, 0.1, 0], [10.0, 0.5, 0], [0.0, 1.0, 0]]))
    items, vmax = build_scene([pred], overlay=True, reference=ref)
    assert len(items) == 2  # the prediction and the reference
    np.testing.assert_array_equal(items[0].points, pred.points)
    lut = colormap("turbo")(np.linspace(0, 1, 256))[:, :3]
    idx = np.argmin(((items[0].colors[:, None] - lut[None]) ** 2).sum(-1), axis=1)
    assert idx[0] < idx[1] < idx[2]  # farther from the reference = higher on the colour map
    assert vmax == pytest.approx(np.percentile([0.1, 0.5, 1.0], 98))
    np.testing.assert_allclose(items[1].colors, 0.55)


def test_open3d_geometries():
    import trimesh

    box = trimesh.creation.box()
    items, _ = build_scene([Drawable(box.vertices, box.faces), _cloud(0)])
    mesh, cloud = to_open3d(items[0]), to_open3d(items[1])
    assert len(mesh.triangles) == 12 and mesh.has_vertex_normals()
    assert len(cloud.points) == 200 and cloud.has_colors()


def test_no_display_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    write_points(tmp_path / "a.ply", np.random.default_rng(0).normal(size=(50, 3)).astype("f4"))
    assert cli.main([str(tmp_path / "a.ply"), "--reference", str(tmp_path / "a.ply")]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "pointrecon render" in err


def test_missing_file_named(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nope.ply")]) == 2
    assert "nope.ply" in capsys.readouterr().err
