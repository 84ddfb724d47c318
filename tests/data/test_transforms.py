"""Transforms: the same map on both clouds (checked by reference math), seeding, composition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from pointrecon.data.transforms import (
    Compose,
    Jitter,
    PointDropout,
    RandomMirror,
    RandomRotation,
    RandomScale,
)


def _pair(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "partial": rng.normal(size=(50, 3)).astype(np.float32),
        "complete": rng.normal(size=(80, 3)).astype(np.float32),
        "category": "chair",
    }


def _fit_linear(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares A with y = x @ A.T (reference recovery of the applied map)."""
    a, *_ = np.linalg.lstsq(x.astype(np.float64), y.astype(np.float64), rcond=None)
    return a.T


@pytest.mark.parametrize(
    "transform",
    [
        RandomRotation("y"),
        RandomRotation("so3"),
        RandomScale(0.5, 2.0),
        RandomMirror(("x", "y", "z")),
    ],
)
def test_geometric_transforms_apply_the_same_map_to_both(transform):
    s = _pair()
    out = transform(s, np.random.default_rng(3))
    a_p = _fit_linear(s["partial"], out["partial"])
    a_c = _fit_linear(s["complete"], out["complete"])
    np.testing.assert_allclose(a_p, a_c, atol=1e-5)
    # and it is exactly the matrix the transform draws with the same generator
    np.testing.assert_allclose(a_p, transform.matrix(np.random.default_rng(3)), atol=1e-5)
    np.testing.assert_allclose(out["partial"], s["partial"] @ a_p.T, atol=1e-5)
    assert out["category"] == "chair" and out["partial"].dtype == np.float32
    assert s["partial"] is not out["partial"]  # input left untouched


def test_rotation_about_up_axis_keeps_heights_and_norms():
    s = _pair()
    out = RandomRotation("y", 180)(s, np.random.default_rng(0))
    np.testing.assert_allclose(out["complete"][:, 1], s["complete"][:, 1], atol=1e-6)
    np.testing.assert_allclose(
        np.linalg.norm(out["complete"], axis=1), np.linalg.norm(s["complete"], axis=1), rtol=1e-5
    )
    m = RandomRotation("y", 30).matrix(np.random.default_rng(1))
    angle = np.degrees(np.linalg.norm(Rotation.from_matrix(m).as_rotvec()))
    assert angle <= 30 + 1e-9


def test_so3_is_a_rotation_and_anisotropic_scale_is_diagonal():
    m = RandomRotation("so3").matrix(np.random.default_rng(2))
    np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(m) == pytest.approx(1)
    d = RandomScale(0.8, 1.2).matrix(np.random.default_rng(2))
    assert np.count_nonzero(d - np.diag(np.diag(d))) == 0
    assert len(set(np.diag(d).round(12))) == 3 and ((0.8 <= np.diag(d)) & (np.diag(d) <= 1.2)).all()
    iso = RandomScale(0.8, 1.2, anisotropic=False).matrix(np.random.default_rng(2))
    assert len(set(np.diag(iso).round(12))) == 1


def test_jitter_statistics_and_keys():
    s = _pair()
    s["partial"] = np.zeros((20000, 3), np.float32)
    out = Jitter(sigma=0.01, clip=None)(s, np.random.default_rng(0))
    assert out["partial"].std() == pytest.approx(0.01, rel=0.03)
    np.testing.assert_array_equal(out["complete"], s["complete"])  # target untouched by default
    clipped = Jitter(sigma=1.0, clip=0.05)(s, np.random.default_rng(0))
    assert np.abs(clipped["partial"]).max() <= 0.05 + 1e-7


def test_point_dropout_keeps_size_and_only_repeats_kept_points():
    s = _pair()
    s["partial"] = np.arange(3000, dtype=np.float32).reshape(1000, 3)
    out = PointDropout(max_ratio=0.9)(s, np.random.default_rng(4))["partial"]
    assert out.shape == (1000, 3)
    same = (out == s["partial"]).all(axis=1)
    kept_rows = {tuple(r) for r in s["partial"][same].tolist()}
    assert all(tuple(r) in kept_rows for r in out[~same].tolist())  # replacements are kept points
    assert len({tuple(r) for r in out.tolist()}) == same.sum()


def test_compose_is_seeded_and_ordered():
    t = Compose([RandomRotation("so3"), RandomScale(), RandomMirror(), Jitter()])
    a = t(_pair(), np.random.default_rng(9))
    b = t(_pair(), np.random.default_rng(9))
    c = t(_pair(), np.random.default_rng(10))
    np.testing.assert_array_equal(a["partial"], b["partial"])
    assert not np.allclose(a["partial"], c["partial"])
    # reference: apply the steps by hand with the same generator
    rng = np.random.default_rng(9)
    s = _pair()
    for step in t.transforms:
        s = step(s, rng)
    np.testing.assert_array_equal(a["complete"], s["complete"])


def test_errors():
    with pytest.raises(ValueError, match="axis must be one of"):
        RandomRotation("w")
    with pytest.raises(ValueError, match="scale range"):
        RandomScale(0, 1)
    with pytest.raises(ValueError, match="max_ratio must lie in"):
        PointDropout(1.0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        RandomScale()(_pair(), 3)
    with pytest.raises(TypeError, match=r"transforms\[0\] must be callable"):
        Compose([3])


def test_partial_frame_is_fitted_on_the_partial_and_applied_to_both():
    from pointrecon.data.transforms import PartialFrame
    from pointrecon.io import normalize

    rng = np.random.default_rng(0)
    complete = rng.normal(size=(500, 3)).astype(np.float32) * [3.0, 1.0, 2.0] + [5.0, -2.0, 1.0]
    partial = complete[complete[:, 0] > 5.0]  # one side of the shape
    out = PartialFrame()({"partial": partial, "complete": complete, "id": "x"}, rng)
    p, c = out["partial"], out["complete"]
    # the partial's bounding box is centred at the origin, its farthest point at radius 1
    np.testing.assert_allclose((p.min(0) + p.max(0)) / 2, 0.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1).max(), 1.0, rtol=1e-6)
    # the same similarity transform maps the complete cloud (reference: io.normalize on the partial)
    _, norm = normalize(partial)
    np.testing.assert_allclose(c, norm.apply(complete), rtol=1e-5, atol=1e-5)
    assert out["id"] == "x"
    # the complete cloud is not fitted: it extends beyond radius 1
    assert np.linalg.norm(c, axis=1).max() > 1.2


def test_partial_frame_refuses_a_degenerate_partial():
    from pointrecon.data.transforms import PartialFrame

    same = np.ones((10, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="coincide"):
        PartialFrame()({"partial": same, "complete": same}, np.random.default_rng(0))
