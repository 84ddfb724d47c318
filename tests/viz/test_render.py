"""render_png: size, coverage, camera agreement between backends, input types, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pointrecon.viz import Camera, render_png
from pointrecon.viz.backends import RendererFallbackWarning

W, H = 240, 180


def _render(geom, backend, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        return render_png(geom, width=W, height=H, renderer=backend, **kw)


def _mask(img: np.ndarray) -> np.ndarray:
    """Pixels that differ from the white background."""
    return img.astype(int).sum(axis=-1) < 3 * 250


def test_size_not_blank_and_coverage(sphere_points, backend):
    img = _render(sphere_points, backend)
    assert img.shape == (H, W, 3) and img.dtype == np.uint8
    frac = _mask(img).mean()
    # Points of 1 px cover part of the disc the sphere projects to (~0.36 of the image).
    assert 0.08 < frac < 0.5, frac
    ys, xs = np.nonzero(_mask(img))
    # The default camera fills 88% of the height, centred.
    assert 0.75 * H < ys.max() - ys.min() < 0.95 * H
    assert abs((ys.max() + ys.min()) / 2 - H / 2) < 0.05 * H
    assert abs((xs.max() + xs.min()) / 2 - W / 2) < 0.05 * W


@pytest.mark.parametrize(
    "renderer",
    # Open3D's first lit-mesh render compiles shaders on the CPU (~20 s under load): slow.
    [pytest.param("open3d", marks=pytest.mark.slow), "matplotlib"],
)
def test_mesh_coverage_matches_projected_disc(renderer):
    import trimesh

    from pointrecon.viz.backends import probe_open3d

    if renderer == "open3d" and not probe_open3d()[0]:
        pytest.skip("Open3D off-screen renderer unavailable")
    backend = renderer

    img = _render(trimesh.creation.icosphere(subdivisions=3), backend)
    frac = _mask(img).mean()
    # A unit sphere fitted with margin 0.88: the silhouette disc has radius ~0.44 H.
    disc = np.pi * (0.44 * H) ** 2 / (W * H)
    assert abs(frac - disc) < 0.06, (frac, disc)


def test_different_clouds_give_different_images(sphere_points, cube_points, backend):
    a = _render(sphere_points, backend, camera="front")
    b = _render(cube_points, backend, camera="front")
    assert (_mask(a) != _mask(b)).mean() > 0.05


def test_camera_moves_the_picture(cube_points, backend):
    a = _render(cube_points, backend, camera="front")
    b = _render(cube_points, backend, camera=Camera(azimuth=40, elevation=30))
    assert (_mask(a) != _mask(b)).mean() > 0.05


def test_backends_agree_on_silhouette(sphere_points):
    from pointrecon.viz.backends import probe_open3d

    if not probe_open3d()[0]:
        pytest.skip("Open3D off-screen renderer unavailable")
    pts = sphere_points * np.array([1.0, 0.5, 0.3])
    a = _mask(_render(pts, "open3d", point_size=4))
    b = _mask(_render(pts, "matplotlib", point_size=4))
    iou = (a & b).sum() / (a | b).sum()
    assert iou > 0.7, iou


def test_input_types_render_the_same(sphere_points):
    import open3d as o3d
    import torch
    import trimesh

    ref = _render(sphere_points, "matplotlib")
    for geom in (
        torch.from_numpy(sphere_points).float()[None].requires_grad_(),
        trimesh.PointCloud(sphere_points),
        o3d.geometry.PointCloud(o3d.utility.Vector3dVector(sphere_points)),
    ):
        img = _render(geom, "matplotlib")
        assert (img != ref).any(axis=-1).mean() < 0.01, type(geom)


def test_colors_and_background_are_used(sphere_points, backend):
    img = _render(sphere_points, backend, colors="red", background="black", point_size=3)
    px = img.reshape(-1, 3).astype(int)
    fg = px[px.sum(axis=1) > 30]
    assert (px.sum(axis=1) == 0).mean() > 0.3  # black background
    assert (fg[:, 0] > fg[:, 1] + 40).mean() > 0.95  # red points (depth shading darkens only)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="geometries.*\\(N, 3\\).*\\(5, 2\\)"):
        render_png(np.zeros((5, 2)), renderer="matplotlib")
    with pytest.raises(ValueError, match="width"):
        render_png(np.zeros((5, 3)), width=0)
    with pytest.raises(ValueError, match="renderer.*'vulkan'"):
        render_png(np.zeros((5, 3)), renderer="vulkan")
    with pytest.raises(ValueError, match="camera.*'diagonal'"):
        render_png(np.zeros((5, 3)), camera="diagonal")
    with pytest.raises(ValueError, match="colors\\[0\\].*\\(5, 3\\)"):
        _render(np.zeros((5, 3)), "matplotlib", colors=[np.zeros((4, 3))])


def test_png_written_atomically(tmp_path, sphere_points):
    import imageio.v3 as iio

    with pytest.warns(RendererFallbackWarning):
        img = render_png(
            sphere_points, tmp_path / "a" / "x.png", width=64, height=48, renderer="matplotlib"
        )
    np.testing.assert_array_equal(iio.imread(tmp_path / "a" / "x.png")[..., :3], img)
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["x.png"]


def test_interrupted_png_write_keeps_the_old_file(tmp_path, sphere_points, monkeypatch):
    import imageio.v3 as iio

    target = tmp_path / "x.png"
    target.write_bytes(b"old image")

    def interrupted(path, image, **kw):  # half a file, then the process is interrupted
        with open(path, "wb") as fh:
            fh.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(iio, "imwrite", interrupted)
    with pytest.warns(RendererFallbackWarning), pytest.raises(KeyboardInterrupt):
        render_png(sphere_points, target, width=32, height=24, renderer="matplotlib")
    assert target.read_bytes() == b"old image"
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"]  # no temporary file left behind
