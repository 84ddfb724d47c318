"""The matplotlib fallback: used, with a warning, when Open3D is forced off or cannot start."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.viz import backends, render_png
from pointrecon.viz.backends import RendererFallbackWarning


def _forbid_open3d(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the Open3D renderer must not be used")

    monkeypatch.setattr(backends, "render_open3d", boom)
    monkeypatch.setattr(backends, "probe_open3d", boom)


def test_env_forces_fallback_with_warning(monkeypatch, sphere_points):
    _forbid_open3d(monkeypatch)
    monkeypatch.setenv("POINTRECON_RENDERER", "matplotlib")
    with pytest.warns(RendererFallbackWarning, match="matplotlib"):
        img = render_png(sphere_points, width=80, height=60)
    assert img.shape == (60, 80, 3) and (img.sum(-1) < 750).mean() > 0.05


def test_argument_forces_fallback_with_warning(monkeypatch, sphere_points):
    _forbid_open3d(monkeypatch)
    monkeypatch.setenv("POINTRECON_RENDERER", "open3d")  # the argument wins over the env
    with pytest.warns(RendererFallbackWarning):
        render_png(sphere_points, width=80, height=60, renderer="matplotlib")


def test_renderer_that_cannot_start_falls_back(monkeypatch, sphere_points):
    monkeypatch.delenv("POINTRECON_RENDERER", raising=False)
    monkeypatch.setattr(backends, "_probe_result", (False, "exit code -6: Vulkan missing"))
    monkeypatch.setattr(backends, "render_open3d", lambda *a, **k: pytest.fail("used Open3D"))
    with pytest.warns(RendererFallbackWarning, match="could not start.*Vulkan missing"):
        img = render_png(sphere_points, width=80, height=60)
    assert (img.sum(-1) < 750).mean() > 0.05


def test_probe_failure_in_child_is_caught(monkeypatch):
    """A renderer that aborts the process (here: no Vulkan driver) only kills the probe child."""
    monkeypatch.setattr(backends, "_probe_result", None)
    monkeypatch.setenv("VK_ICD_FILENAMES", "/nonexistent/icd.json")
    monkeypatch.setenv("VK_DRIVER_FILES", "/nonexistent/icd.json")
    ok, reason = backends.probe_open3d()
    monkeypatch.setattr(backends, "_probe_result", None)
    assert not ok and "exit code" in reason


def test_open3d_error_falls_back(monkeypatch, sphere_points):
    def broken(*a, **k):
        raise RuntimeError("Filament exploded")

    monkeypatch.setattr(backends, "render_open3d", broken)
    with pytest.warns(RendererFallbackWarning, match="Filament exploded"):
        img = render_png(sphere_points, width=80, height=60, renderer="open3d")
    assert img.shape == (60, 80, 3)


def test_unknown_env_value_is_named(monkeypatch):
    monkeypatch.setenv("POINTRECON_RENDERER", "opengl")
    with pytest.raises(ValueError, match="POINTRECON_RENDERER.*'opengl'"):
        render_png(np.zeros((4, 3)))


def test_meshes_skip_cpu_vulkan_without_warning(monkeypatch):
    """On llvmpipe, 'auto' draws meshes with the matplotlib path; 'open3d' insists."""
    import warnings

    import trimesh

    calls = []
    monkeypatch.delenv("POINTRECON_RENDERER", raising=False)
    monkeypatch.setattr(backends, "_probe_result", (True, ""))
    monkeypatch.setattr(backends, "_software", True)
    monkeypatch.setattr(backends, "render_open3d", lambda *a, **k: calls.append(1) or None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RendererFallbackWarning)
        img = render_png(trimesh.creation.icosphere(), width=80, height=60)
    assert calls == [] and (img.sum(-1) < 750).mean() > 0.2
    render_png(trimesh.creation.icosphere(), width=80, height=60, renderer="open3d")
    assert calls == [1]
