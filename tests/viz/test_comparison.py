"""Error colouring order, comparison panels, several viewpoints, turntable GIF, cameras."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pointrecon.viz import Camera, error_colors, render_comparison, render_png, render_views
from pointrecon.viz.backends import RendererFallbackWarning
from pointrecon.viz.colors import colormap
from pointrecon.viz.compose import COLORBAR_PX, TITLE_PX


def _lut_index(rgb: np.ndarray, cmap: str = "turbo") -> np.ndarray:
    """Position (0..255) of the nearest colour-map entry for each colour (0..255 RGB)."""
    lut = colormap(cmap)(np.linspace(0, 1, 256))[:, :3] * 255
    return np.argmin(((rgb[:, None, :].astype(float) - lut[None]) ** 2).sum(-1), axis=1)


# Ground truth: a few points on the x axis; prediction: points at known distances above them.
GT = np.array([[x, 0.0, 0.0] for x in np.linspace(-1, 1, 5)])
DIST = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
PRED = np.array([[x, d, 0.0] for x, d in zip(np.linspace(-1, 1, 5), DIST)])


def test_error_colors_follow_distance():
    colors, dists, vmax = error_colors(PRED, GT, vmax=1.0)
    np.testing.assert_allclose(dists, DIST, atol=1e-12)
    assert vmax == 1.0
    np.testing.assert_allclose(colors, colormap("turbo")(DIST)[:, :3])
    idx = _lut_index(colors * 255)
    assert np.all(np.diff(idx) > 0) and idx[0] == 0 and idx[-1] == 255


def test_error_colors_default_scale_and_clipping():
    colors, dists, vmax = error_colors(PRED, GT, percentile=50)
    assert vmax == pytest.approx(0.5)
    np.testing.assert_allclose(colors[-2:], colormap("turbo")([1.0, 1.0])[:, :3])  # clipped


def test_rendered_error_colours_in_order(backend):
    """Pixels at the projected points carry the colour-map positions of their distances."""
    colors, _, _ = error_colors(PRED, GT, vmax=1.0)
    cam = Camera(azimuth=0, elevation=0, margin=0.7)
    view = cam.fit(PRED, 200 / 120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        img = render_png(
            PRED, width=200, height=120, camera=view, colors=colors, point_size=12, renderer=backend
        )
    px, _ = view.project(PRED, 200, 120)
    samples = np.array([img[int(round(y)), int(round(x))] for x, y in px])
    idx = _lut_index(samples)
    assert np.all(np.diff(idx) > 0), idx
    np.testing.assert_allclose(idx, DIST * 255, atol=8)


def test_projection_centre_and_fit(sphere_points):
    view = Camera(azimuth=10, elevation=20).fit(sphere_points, 4 / 3)
    px, depth = view.project(view.target[None], 400, 300)
    np.testing.assert_allclose(px[0], [200, 150], atol=1e-9)
    px, depth = view.project(sphere_points, 400, 300)
    assert (depth > 0).all()
    assert px[:, 0].min() >= 0 and px[:, 0].max() <= 400
    assert px[:, 1].min() >= 0 and px[:, 1].max() <= 300
    assert px[:, 1].max() - px[:, 1].min() > 0.8 * 300  # tight: fills ~88% of the height


def test_comparison_layout_and_panels(sphere_points, backend):
    rng = np.random.default_rng(0)
    pred = sphere_points + rng.normal(0, 0.03, sphere_points.shape)
    partial = sphere_points[sphere_points[:, 2] > 0.3]
    w = h = 120
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        img = render_comparison(
            partial, pred, sphere_points, width=w, height=h, renderer=backend, point_size=4
        )
    assert img.shape == (TITLE_PX + h, 3 * w + COLORBAR_PX, 3)
    panels = [img[TITLE_PX:, i * w : (i + 1) * w] for i in range(3)]
    frac = [(p.astype(int).sum(-1) < 750).mean() for p in panels]
    assert all(f > 0.03 for f in frac), frac
    assert frac[0] < frac[2]  # the partial input covers less than the complete shape
    # The prediction panel is coloured by the colour map, the ground truth is not.
    fg = panels[1][panels[1].astype(int).sum(-1) < 600]
    lut = colormap("turbo")(np.linspace(0, 1, 256))[:, :3] * 255
    near = np.min(((fg[:, None].astype(float) - lut[None]) ** 2).sum(-1), axis=1)
    assert np.median(near) < 30**2


def test_comparison_several_views_and_missing_gt(sphere_points, tmp_path):
    import imageio.v3 as iio

    with pytest.warns(RendererFallbackWarning):
        img = render_comparison(
            sphere_points[:500],
            sphere_points,
            None,
            tmp_path / "c.png",
            cameras=["front", "top"],
            width=64,
            height=64,
            renderer="matplotlib",
        )
    assert img.shape[0] == TITLE_PX + 2 * 64
    assert img.shape[1] < 3 * 64 + COLORBAR_PX  # no colour bar without ground truth
    np.testing.assert_array_equal(iio.imread(tmp_path / "c.png")[..., :3], img)
    with pytest.raises(ValueError, match="pred"):
        render_comparison(sphere_points, None, sphere_points)


def test_comparison_accepts_batched_tensors(sphere_points):
    import torch

    t = torch.from_numpy(sphere_points).float()[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        img = render_comparison(
            t, t.requires_grad_(), t, width=48, height=48, renderer="matplotlib"
        )
    assert img.ndim == 3 and img.dtype == np.uint8


def test_views_grid_and_turntable(sphere_points, tmp_path):
    import imageio.v3 as iio

    pts = sphere_points * np.array([1.0, 0.4, 0.2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        img = render_views(
            pts, cameras=["front", "side", "top"], width=64, height=64, renderer="matplotlib"
        )
        assert img.shape == (TITLE_PX + 64, 3 * 64, 3)
        # The flat ellipsoid is wide from the front and tall and narrow from the side.
        for i, lo, hi in ((0, 1.8, 4.0), (1, 0.3, 0.8)):
            ys, xs = np.nonzero(img[TITLE_PX:, i * 64 : (i + 1) * 64].sum(-1) < 750)
            assert lo < (np.ptp(xs) + 1) / (np.ptp(ys) + 1) < hi
        from pointrecon.viz import render_turntable

        frames = render_turntable(
            pts, tmp_path / "t.gif", frames=4, width=48, height=40, renderer="matplotlib"
        )
    gif = iio.imread(tmp_path / "t.gif", index=None)
    assert gif.shape[:3] == (4, 40, 48)
    assert len(frames) == 4 and not np.array_equal(frames[0], frames[1])
