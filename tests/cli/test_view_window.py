"""`pointrecon view --screenshot` in a real Open3D window on a virtual display (Xvfb).

Skipped, with the reason, where Xvfb is not installed or does not start, or where Open3D cannot
create a window on it. The viewer runs in a child process (a failing GL context can abort it).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pointrecon.io import write_points
from pointrecon.viz.colors import PALETTE

ROOT = Path(__file__).resolve().parents[2]
W, H = 640, 400


@pytest.fixture(scope="module")
def display():
    """A ``DISPLAY`` value served by a private Xvfb, stopped after the module."""
    exe = shutil.which("Xvfb")
    if exe is None:
        pytest.skip("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
    r, w = os.pipe()
    proc = subprocess.Popen(
        [exe, "-displayfd", str(w), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        ready, _, _ = select.select([r], [], [], 30)
        num = os.read(r, 64).decode().strip() if ready else ""
    finally:
        os.close(r)
    if not num:
        proc.kill()
        proc.wait()
        pytest.skip("Xvfb did not start within 30 s")
    yield f":{num}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _view(display: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        DISPLAY=display,
        PYTHONPATH=f"{ROOT}{os.pathsep}" + os.environ.get("PYTHONPATH", ""),
    )
    env.pop("WAYLAND_DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pointrecon.cli.view", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    if proc.returncode != 0 and "cannot open the viewer window" in proc.stderr:
        pytest.skip(f"Open3D cannot create a window on Xvfb: {proc.stderr.strip()[-300:]}")
    return proc


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def _near(img: np.ndarray, rgb, tol: int = 3) -> np.ndarray:
    target = np.round(np.asarray(rgb) * 255).astype(int)
    return (np.abs(img.astype(int) - target) <= tol).all(axis=-1)


@pytest.fixture(scope="module")
def clouds(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("view")
    rng = np.random.default_rng(0)
    s = rng.normal(size=(3000, 3))
    s /= np.linalg.norm(s, axis=1, keepdims=True)
    write_points(d / "pred.ply", s.astype("f4"))
    write_points(d / "gt.ply", rng.uniform(-1, 1, (3000, 3)).astype("f4"))
    return d


def test_screenshot_shows_clouds_and_legend(display, clouds, tmp_path):
    out = tmp_path / "shot.png"
    proc = _view(
        display,
        str(clouds / "pred.ply"),
        str(clouds / "gt.ply"),
        "--screenshot",
        str(out),
        "--width",
        str(W),
        "--height",
        str(H),
    )
    assert proc.returncode == 0, proc.stderr
    assert "pred.ply = orange | gt.ply = blue" in proc.stdout  # the window title
    img = _read_png(out)
    assert img.shape == (H, W, 3)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 10  # not blank
    right = img[:, int(0.55 * W) :]  # the legend column stands right of the clouds
    for rgb in PALETTE[:2]:
        assert _near(img, rgb).sum() > 200, f"no {rgb} points"
        assert _near(right, rgb).sum() > 50, f"no {rgb} legend swatch"


def test_camera_file_and_reference_colour_bar(display, clouds, tmp_path):
    import open3d as o3d

    from pointrecon.viz.camera import Camera
    from pointrecon.viz.viewer import pinhole_matrices

    view = Camera.preset("front").fit(np.array([[-3.0, -3, -3], [3, 3, 3]]), 320 / 240)
    intr, extr = pinhole_matrices(view, 320, 240)
    p = o3d.camera.PinholeCameraParameters()
    p.intrinsic = o3d.camera.PinholeCameraIntrinsic(320, 240, intr[0, 0], intr[1, 1], 159.5, 119.5)
    p.extrinsic = extr
    cam = tmp_path / "cam.json"
    o3d.io.write_pinhole_camera_parameters(str(cam), p)
    out = tmp_path / "ref.png"
    proc = _view(
        display,
        str(clouds / "pred.ply"),
        "--reference",
        str(clouds / "gt.ply"),
        "--camera",
        str(cam),
        "--screenshot",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "error: turbo 0 .." in proc.stdout
    img = _read_png(out)
    assert img.shape == (240, 320, 3)  # the window takes the camera's size
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 10
    from pointrecon.viz.colors import colormap

    assert _near(img, colormap("turbo")(1.0)[:3], tol=6).sum() > 0  # top of the colour bar


def test_bad_camera_file_is_a_clear_error(display, clouds, tmp_path):
    proc = _view(display, str(clouds / "pred.ply"), "--camera", str(tmp_path / "none.json"))
    assert proc.returncode == 2 and "camera file not found" in proc.stderr
