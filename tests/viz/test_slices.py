"""render_slices: grey slices with the extracted contour in red, physical aspect ratio."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.io import VolumeData
from pointrecon.viz.slices import render_slices


def _disk_volume(spacing=(1.0, 1.0, 1.0)) -> VolumeData:
    n = 40
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    disk = (np.hypot(i - 20, j - 20) < 12).astype(np.float32)
    return VolumeData(np.repeat(disk[:, :, None], 6, axis=2), np.diag([*spacing, 1.0]))


def _red(img: np.ndarray) -> np.ndarray:
    return (img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)


def test_contours_drawn_and_png_written(tmp_path):
    img = render_slices(_disk_volume(), tmp_path / "s.png", level=0.5, num_slices=4, columns=2)
    assert img.dtype == np.uint8 and img.shape[2] == 3
    assert _red(img).sum() > 200
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_anisotropic_pixels_keep_physical_proportions():
    """A disk of 2 x 1 mm pixels is an ellipse twice as tall as wide on screen."""
    img = render_slices(_disk_volume((2.0, 1.0, 1.0)), level=0.5, num_slices=1, columns=1)
    ys, xs = np.nonzero(_red(img))
    assert np.ptp(ys) / np.ptp(xs) == pytest.approx(2.0, rel=0.15)


def test_bad_arguments():
    with pytest.raises(ValueError, match="axis"):
        render_slices(_disk_volume(), level=0.5, axis=3)
    with pytest.raises(ValueError, match="num_slices"):
        render_slices(_disk_volume(), level=0.5, num_slices=0)
