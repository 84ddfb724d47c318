"""Shared fixtures of the visualisation tests: small reference clouds, backend selection."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def sphere_points() -> np.ndarray:
    rng = np.random.default_rng(0)
    p = rng.normal(size=(3000, 3))
    return p / np.linalg.norm(p, axis=1, keepdims=True)


@pytest.fixture
def cube_points() -> np.ndarray:
    rng = np.random.default_rng(1)
    p = rng.uniform(-1, 1, size=(3000, 3))
    axis = rng.integers(0, 3, size=3000)
    p[np.arange(3000), axis] = np.sign(p[np.arange(3000), axis])
    return p


@pytest.fixture(params=["open3d", "matplotlib"])
def backend(request) -> str:
    """Both renderers; Open3D cases skip where its off-screen renderer cannot start."""
    if request.param == "open3d":
        from pointrecon.viz.backends import probe_open3d

        ok, reason = probe_open3d()
        if not ok:
            pytest.skip(f"Open3D off-screen renderer unavailable: {reason}")
    return request.param
