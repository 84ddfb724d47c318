"""The pure parts of ``pointrecon view``: legend, title, colour bar, camera, layout."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.viz.camera import View
from pointrecon.viz.colors import PALETTE, colormap
from pointrecon.viz.geometry import Drawable
from pointrecon.viz.scene import build_scene
from pointrecon.viz.viewer import (
    REFERENCE_COLOR,
    LegendEntry,
    TextLabel,
    colorbar_layout,
    default_view,
    layout_axis,
    legend_entries,
    legend_layout,
    next_free_path,
    overlay_geometry,
    pinhole_matrices,
    triangle_grid,
    window_title,
)


def test_legend_side_by_side_uses_palette_and_own_colours():
    entries = legend_entries(["a.ply", "b.ply", "c.ply"], [False, True, False])
    assert entries == [
        LegendEntry("a.ply", PALETTE[0], "orange"),
        LegendEntry("b.ply", None, "file colours"),
        LegendEntry("c.ply", PALETTE[2], "green"),
    ]


def test_legend_overlay_and_reference():
    assert legend_entries(["a", "b"], [False, True], overlay=True)[1] == LegendEntry(
        "b", PALETTE[1], "blue"
    )
    entries = legend_entries(["a", "b"], [False, False], reference="gt.ply")
    assert [e.color for e in entries] == [None, None, REFERENCE_COLOR]
    assert [e.note for e in entries] == ["error colours", "error colours", "reference, grey"]


def test_legend_matches_scene_colours():
    a = Drawable(np.zeros((4, 3)))
    b = Drawable(np.ones((4, 3)), None, np.full((4, 3), 0.3))
    items, _ = build_scene([a, b])
    entries = legend_entries(["a", "b"], [False, True])
    np.testing.assert_allclose(items[0].colors[0], entries[0].color)
    np.testing.assert_allclose(items[1].colors, 0.3)  # own colours, legend says so
    assert entries[1].color is None


def test_window_title():
    entries = [LegendEntry("pred.ply", PALETTE[0], "orange"), LegendEntry("gt.ply", None, "x")]
    assert window_title(entries) == "pointrecon view: pred.ply = orange | gt.ply = x"
    assert window_title(entries[:1], vmax=0.012345).endswith("| error: turbo 0 .. 0.01235")


def test_pinhole_matrices_by_hand():
    view = View(np.array([0.0, 0, 5]), np.zeros(3), np.array([0.0, 1, 0]), 90.0)
    intr, extr = pinhole_matrices(view, 200, 100)
    # f = (100 / 2) / tan(45°) = 50; principal point at the centre minus half a pixel.
    np.testing.assert_allclose(intr, [[50, 0, 99.5], [0, 50, 49.5], [0, 0, 1]], atol=1e-12)
    np.testing.assert_allclose(
        extr, [[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, -1, 5], [0, 0, 0, 1]], atol=1e-12
    )
    cam = extr @ [1.0, 1.0, 0.0, 1.0]  # up-right of the target, 5 in front of the camera
    np.testing.assert_allclose(cam[:3], [1, -1, 5])
    px = intr @ (cam[:3] / cam[2])
    np.testing.assert_allclose(px[:2], [109.5, 39.5])  # right of and above the centre


def test_default_view_is_isometric_and_fitted():
    pts = np.array([[-1.0, -1, -1], [1, 1, 1]])
    view = default_view(pts, 400, 300)
    d = (view.eye - view.target) / np.linalg.norm(view.eye - view.target)
    az, el = np.radians(35), np.radians(25)
    np.testing.assert_allclose(d, [np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
    np.testing.assert_allclose(view.target, 0, atol=1e-12)
    px, depth = view.project(pts, 400, 300)
    assert (depth > 0).all() and (px >= 0).all() and (px[:, 0] <= 400).all()


def test_layout_axis_is_horizontal_right_of_iso_camera():
    np.testing.assert_allclose(
        layout_axis(), [np.cos(np.radians(35)), 0, -np.sin(np.radians(35))], atol=1e-12
    )


def test_build_scene_along_axis():
    a = Drawable(np.array([[0.0, 0, 0], [0, 0, 1]]))
    b = Drawable(np.array([[0.0, 0, 0], [0, 0, 2]]))
    items, _ = build_scene([a, b], axis=(0, 0, 2), gap=0.5)
    # extents along z: 1 and 2; the gap is 0.5 * 2 = 1, so b starts at z = 1 + 1.
    np.testing.assert_allclose(items[1].points, [[0, 0, 2], [0, 0, 4]])


def test_legend_layout_by_hand():
    shapes, labels, width = legend_layout(
        [LegendEntry("a.ply", PALETTE[0], "orange"), LegendEntry("b", None, "file colours")], 1.0
    )
    np.testing.assert_allclose(
        shapes[0].points, [[0, -0.7, 0], [0.7, -0.7, 0], [0.7, 0, 0], [0, 0, 0]]
    )
    np.testing.assert_allclose(shapes[0].colors, np.tile(PALETTE[0], (4, 1)))
    assert len(shapes) == 1 + 5  # the second row: five stripes
    np.testing.assert_allclose(shapes[1].points[:, 1].min(), -1.7)
    assert labels[0] == ("a.ply (orange)", (1.0, -0.6), 0.55)
    assert labels[1][0] == "b (file colours)" and labels[1][1] == (1.0, -1.6)
    assert width == pytest.approx(1 + 0.55 * 0.9 * len("b (file colours)"))


def test_colorbar_layout_by_hand():
    bar, labels = colorbar_layout(2.0, 0.0, 1.0, 1.0, steps=2)
    np.testing.assert_allclose(
        bar.points[:, :2], [[0, 0], [0.08, 0], [0, 0.5], [0.08, 0.5], [0, 1], [0.08, 1]]
    )
    lut = colormap("turbo")
    np.testing.assert_allclose(bar.colors[0], lut(0.0)[:3])
    np.testing.assert_allclose(bar.colors[3], lut(0.5)[:3])
    np.testing.assert_allclose(bar.colors[5], lut(1.0)[:3])
    assert bar.faces.shape == (4, 3)
    texts = {t: uv for t, uv, _ in labels}
    assert texts["0"] == pytest.approx((0.104, 0.0)) and texts["2"][1] == pytest.approx(0.94)
    with pytest.raises(ValueError, match="steps"):
        colorbar_layout(1.0, 0, 0, 1, steps=0)


def test_triangle_grid_by_hand():
    tri = Drawable(
        np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]),
        np.array([[0, 1, 2]]),
        np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
    )
    g = triangle_grid(tri, k=2)
    assert g.faces is None and len(g.points) == 6
    got = {tuple(p[:2]): tuple(c) for p, c in zip(g.points, g.colors)}
    assert got[(0.5, 0.0)] == pytest.approx((0.5, 0.5, 0.0))
    assert got[(0.0, 1.0)] == pytest.approx((0.0, 0.0, 1.0))


def test_overlay_geometry_stands_right_of_the_scene_in_the_default_view():
    pts = np.random.default_rng(0).uniform(-1, 1, (500, 3))
    entries = legend_entries(["a", "b"], [False, False], reference="gt")
    shapes, labels = overlay_geometry(entries, pts, vmax=0.5)
    assert {lb.text for lb in labels} >= {"a (error colours)", "0", "0.5", "distance"}
    view = default_view(pts, 800, 600)
    scene_px, _ = view.project(pts, 800, 600)
    legend_px, _ = view.project(np.concatenate([s.points for s in shapes]), 800, 600)
    assert legend_px[:, 0].min() > scene_px[:, 0].max()
    # Grey swatch present in exact colour, as points.
    assert any(s.faces is None and np.allclose(s.colors, REFERENCE_COLOR) for s in shapes)


def test_text_label_corners():
    lb = TextLabel("ab", (1.0, 2.0, 3.0), 1.0, (0, 0, 0))
    np.testing.assert_allclose(lb.corners(), [[1, 2, 3], [2.8, 2, 3], [1, 3, 3], [2.8, 3, 3]])


def test_next_free_path(tmp_path):
    assert next_free_path(tmp_path, "shot", ".png").name == "shot_0001.png"
    (tmp_path / "shot_0001.png").touch()
    assert next_free_path(tmp_path, "shot", ".png").name == "shot_0002.png"


def test_read_camera_round_trip_and_errors(tmp_path):
    import open3d as o3d

    from pointrecon.viz.window import read_camera

    view = View(np.array([0.0, 0, 5]), np.zeros(3), np.array([0.0, 1, 0]), 30.0)
    intr, extr = pinhole_matrices(view, 64, 48)
    p = o3d.camera.PinholeCameraParameters()
    p.intrinsic = o3d.camera.PinholeCameraIntrinsic(64, 48, intr[0, 0], intr[1, 1], 31.5, 23.5)
    p.extrinsic = extr
    o3d.io.write_pinhole_camera_parameters(str(tmp_path / "cam.json"), p)
    back = read_camera(tmp_path / "cam.json")
    assert (back.intrinsic.width, back.intrinsic.height) == (64, 48)
    np.testing.assert_allclose(back.extrinsic, extr, atol=1e-9)
    with pytest.raises(ValueError, match="not found"):
        read_camera(tmp_path / "none.json")
