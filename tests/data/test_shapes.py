"""Procedural shapes: determinism, distinctness, validity and closedness per category."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pointrecon.data.shapes import CATEGORIES, category_label, interior_mask, make_shape
from pointrecon.data.shapes.parts import box


def test_at_least_eight_categories():
    assert len(CATEGORIES) >= 8
    assert len(set(CATEGORIES)) == len(CATEGORIES)
    assert [category_label(c) for c in CATEGORIES] == list(range(len(CATEGORIES)))


@pytest.mark.parametrize("category", CATEGORIES)
def test_deterministic_and_distinct(category):
    a, b, c = make_shape(category, 3), make_shape(category, 3), make_shape(category, 4)
    np.testing.assert_array_equal(a.vertices, b.vertices)
    np.testing.assert_array_equal(a.faces, b.faces)
    assert a.vertices.shape != c.vertices.shape or not np.allclose(a.vertices, c.vertices)


@pytest.mark.parametrize("category", CATEGORIES)
def test_valid_closed_multi_part(category):
    for seed in range(6):
        m = make_shape(category, seed)
        assert m.metadata["category"] == category
        assert m.metadata["label"] == CATEGORIES.index(category)
        assert np.isfinite(m.vertices).all()
        assert (m.area_faces > 1e-12).all(), "degenerate (zero-area) faces"
        assert (m.extents > 1e-3).all(), f"flat shape: extents {m.extents}"
        # closedness, measured: every edge is shared by exactly two faces, winding consistent,
        # and each connected part encloses a positive volume
        assert m.is_watertight and m.is_winding_consistent
        parts = m.split(only_watertight=False)
        assert len(parts) >= 1
        assert all(p.volume > 0 for p in parts)
        assert abs(m.bounds[0][1]) < 1e-9, "shapes stand on y = 0"
    # composed of parts: across seeds, at least one shape has more than one part
    assert (
        max(make_shape(category, s).metadata["num_parts"] for s in range(6)) >= 2
        or category in SINGLE_BODY
    )


# families that are one body by construction (a lathe profile, a deformed sphere)
SINGLE_BODY = ("vase", "bottle", "rock", "superquadric")


@pytest.mark.parametrize("category", CATEGORIES)
def test_part_choices_vary(category):
    """Random part choices: the part count or face count varies over seeds."""
    sig = {
        (make_shape(category, s).metadata["num_parts"], len(make_shape(category, s).faces))
        for s in range(12)
    }
    assert len(sig) >= 2


def test_fast():
    import time

    t = time.perf_counter()
    n = 0
    for c in CATEGORIES:
        for s in range(3):
            make_shape(c, s)
            n += 1
    assert (time.perf_counter() - t) / n < 0.05


def test_interior_mask_against_box_reference():
    # a big box with a small box half inside it; reference: analytic containment in the big box
    big = box((2, 2, 2), (0, 1, 0))  # standing on y = 0, so the builder does not move it
    small = box((1, 1, 1), (1, 1, 0))
    from pointrecon.data.shapes.parts import ShapeBuilder

    b = ShapeBuilder()
    b.add(big)
    b.add(small)
    m = b.build("test", 0)
    pts, _ = trimesh.sample.sample_surface(m, 4000, seed=1)
    q = pts - [0, 1, 0]
    ref = np.all(np.abs(q) < 1 - 1e-3, axis=1) | np.all(np.abs(q - [1, 0, 0]) < 0.5 - 1e-3, axis=1)
    got = interior_mask(m, pts)
    band = np.any(np.abs(np.abs(q) - 1) < 2e-3, axis=1)  # ignore points on the boundary
    np.testing.assert_array_equal(got[~band], ref[~band])
    assert got.any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="category must be one of"):
        make_shape("spaceship", 0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        make_shape("chair", -1)
