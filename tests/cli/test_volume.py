"""`pointrecon volume`: a volume file in, surface points (and mesh, render, slice overlay) out."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from pointrecon.cli.volume import run_volume
from pointrecon.errors import ConfigError, DataError
from pointrecon.io import read_mesh, read_points, write_volume

_spec = importlib.util.spec_from_file_location(
    "surface_cases", Path(__file__).parents[1] / "volumes" / "test_surface.py"
)
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def _cfg(compose, tmp_path, *overrides):
    return compose("volume", [f"paths.root_dir={tmp_path}", "progress=false", *overrides])


def test_volume_to_points_mesh_render_and_slices(compose, tmp_path):
    vol = cases.ellipsoid_volume()
    write_volume(tmp_path / "e.nii.gz", vol)
    out = run_volume(
        _cfg(
            compose,
            tmp_path,
            f"input={tmp_path / 'e.nii.gz'}",
            f"output={tmp_path / 's.ply'}",
            "level=500",
            "num_points=3000",
            "mesh=true",
            f"render={tmp_path / 'r.png'}",
            f"slices_png={tmp_path / 'sl.png'}",
        )
    )
    pts = read_points(out["points"])
    assert pts.shape == (3000, 3)
    assert cases.surface_distance(pts.astype(np.float64)).max() < 0.5 * min(cases.SPACING)
    mesh = read_mesh(out["mesh"])
    assert mesh.is_watertight and len(mesh.faces) > 1000
    import imageio.v3 as iio

    for key in ("render", "slices_png"):
        img = iio.imread(out[key])
        assert img.ndim == 3 and img.shape[0] > 100
        assert img[..., :3].std() > 5  # not a blank picture
    sl = iio.imread(out["slices_png"])[..., :3].astype(int)
    red = (sl[..., 0] > 200) & (sl[..., 1] < 80) & (sl[..., 2] < 80)
    assert red.sum() > 100  # the contours are drawn


def test_real_nifti_from_the_nibabel_wheel(compose, tmp_path):
    nib = pytest.importorskip("nibabel")
    src = Path(nib.__file__).parent / "tests" / "data" / "anatomical.nii"
    if not src.is_file():
        pytest.skip("anatomical.nii is not shipped with this nibabel")
    out = run_volume(
        _cfg(
            compose,
            tmp_path,
            f"input={src}",
            f"output={tmp_path / 'a.ply'}",
            "largest_component=true",
            "num_points=2000",
        )
    )
    pts = read_points(out["points"])
    img = nib.load(str(src))
    corners = np.array(np.meshgrid(*[[0, s - 1] for s in img.shape[:3]], indexing="ij"))
    corners = corners.reshape(3, -1).T @ img.affine[:3, :3].T + img.affine[:3, 3]
    # in world mm inside the scanned box (a surface cut by the border is closed within a voxel)
    tol = float(np.linalg.norm(img.affine[:3, :3], axis=0).max()) + 1e-3
    assert np.all(pts >= corners.min(0) - tol) and np.all(pts <= corners.max(0) + tol)
    assert np.ptp(pts, axis=0).min() > 20.0  # a head-sized surface, not a speck


def test_errors_name_the_file(compose, tmp_path):
    data = np.zeros((6, 6, 6), np.float32)
    data[2, 2, 2] = np.nan
    np.save(tmp_path / "nan.npy", data)
    with pytest.raises(DataError, match=r"nan\.npy.*NaN"):
        run_volume(
            _cfg(
                compose,
                tmp_path,
                f"input={tmp_path / 'nan.npy'}",
                f"output={tmp_path / 'o.ply'}",
                "spacing=[1,1,1]",
            )
        )
    with pytest.raises(ConfigError, match="unsupported extension"):
        run_volume(_cfg(compose, tmp_path, f"input={tmp_path / 'nan.npy'}", "output=o.obj"))
    assert not (tmp_path / "o.ply").exists()
