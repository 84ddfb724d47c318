"""Default normalisation (docs/conventions.md): bbox centre of the reference, farthest point at 1."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pointrecon.io import Normalization, normalize


def test_definition_by_hand():
    ref = np.array([[0, 0, 0], [4, 0, 0], [0, 2, 0], [1, 1, 6]], np.float32)
    # bbox centre (2, 1, 3); farthest distance: |(0,0,0)-(2,1,3)| = |(4,0,0)-c| = sqrt(14)
    part = ref[:2]
    out, norm = normalize(part, reference=ref)
    np.testing.assert_allclose(norm.center, [2, 1, 3])
    assert norm.center.dtype == np.float64
    assert norm.scale == pytest.approx(np.sqrt(14.0))
    np.testing.assert_allclose(out, (part - [2, 1, 3]) / np.sqrt(14.0), rtol=1e-6)
    full, _ = normalize(ref)
    assert np.linalg.norm(full, axis=1).max() == pytest.approx(1.0, rel=1e-6)


def test_roundtrip_and_frozen():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(500, 3)) * [10, 1, 0.1] + [100, -5, 3]
    out, norm = normalize(pts)
    assert out.dtype == np.float32 and out.shape == (500, 3)
    np.testing.assert_allclose(norm.invert(out), pts, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(norm.apply(pts), out)
    batched = norm.invert(np.stack([out, out]))
    assert batched.shape == (2, 500, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        norm.scale = 2.0
    assert isinstance(norm, Normalization)


def test_bad_input():
    with pytest.raises(ValueError, match="points: expected a numeric array of shape"):
        normalize(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="reference: all 3 points coincide"):
        normalize(np.zeros((2, 3)), reference=np.ones((3, 3)))
    with pytest.raises(ValueError, match="points: contains NaN/Inf"):
        normalize(np.array([[0, 0, np.nan], [1, 1, 1]]))
