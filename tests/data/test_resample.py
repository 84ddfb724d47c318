"""resample_points: subset without replacement, or all points plus repeats."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.data import resample_points
from pointrecon.errors import DataError


def test_subset_without_replacement():
    pts = np.arange(300, dtype=np.float64).reshape(100, 3)
    out = resample_points(pts, 40, np.random.default_rng(0))
    assert out.shape == (40, 3) and out.dtype == np.float32
    rows = {tuple(r) for r in out.tolist()}
    assert len(rows) == 40 and rows <= {tuple(r) for r in pts.tolist()}


def test_upsample_keeps_every_point():
    pts = np.arange(30, dtype=np.float32).reshape(10, 3)
    out = resample_points(pts, 25, np.random.default_rng(1))
    assert out.shape == (25, 3)
    assert {tuple(r) for r in out.tolist()} == {tuple(r) for r in pts.tolist()}
    _, counts = np.unique(out, axis=0, return_counts=True)
    assert counts.sum() == 25 and counts.min() >= 1


def test_seeded():
    pts = np.random.default_rng(2).normal(size=(50, 3))
    a = resample_points(pts, 20, np.random.default_rng(5))
    b = resample_points(pts, 20, np.random.default_rng(5))
    c = resample_points(pts, 20, np.random.default_rng(6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="empty point cloud"):
        resample_points(np.zeros((0, 3)), 5, rng)
    with pytest.raises(ValueError, match=r"points must have shape \(n, 3\)"):
        resample_points(np.zeros((5, 2)), 5, rng)
    with pytest.raises(ValueError, match="size must be a positive integer"):
        resample_points(np.zeros((5, 3)), 0, rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        resample_points(np.zeros((5, 3)), 5, 0)


def test_zero_padding_keeps_every_point_then_origin():
    pts = np.arange(30, dtype=np.float32).reshape(10, 3) + 1.0
    out = resample_points(pts, 16, np.random.default_rng(0), padding="zeros")
    assert out.shape == (16, 3) and out.dtype == np.float32
    assert sorted(map(tuple, out[:10].tolist())) == sorted(map(tuple, pts.tolist()))
    assert np.all(out[10:] == 0.0)
    # with enough points, padding changes nothing
    a = resample_points(pts, 6, np.random.default_rng(3), padding="zeros")
    b = resample_points(pts, 6, np.random.default_rng(3), padding="repeat")
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="padding.*'edge'"):
        resample_points(pts, 16, np.random.default_rng(0), padding="edge")
