"""`pointrecon render`: PNGs for files, the evaluation gallery, clear errors."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from pointrecon.cli import render as cli
from pointrecon.io import write_points

_gallery_test = importlib.util.spec_from_file_location(
    "viz_gallery_test", Path(__file__).parents[1] / "viz" / "test_gallery.py"
)


@pytest.fixture(autouse=True)
def _quiet_fallback():
    from pointrecon.viz.backends import RendererFallbackWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RendererFallbackWarning)
        yield


def test_render_files(tmp_path):
    import imageio.v3 as iio
    import trimesh

    rng = np.random.default_rng(0)
    write_points(tmp_path / "a.ply", rng.normal(size=(500, 3)).astype(np.float32))
    trimesh.creation.box().export(tmp_path / "b.obj")
    rc = cli.main(
        [
            str(tmp_path / "a.ply"),
            str(tmp_path / "b.obj"),
            "--out",
            str(tmp_path / "out"),
            "--width",
            "96",
            "--height",
            "64",
            "--renderer",
            "matplotlib",
        ]
    )
    assert rc == 0
    a, b = iio.imread(tmp_path / "out" / "a.png"), iio.imread(tmp_path / "out" / "b.png")
    assert a.shape[:2] == (64, 96) and b.shape[:2] == (64, 96)
    assert not np.array_equal(a, b)
    rc = cli.main(
        [
            str(tmp_path / "a.ply"),
            "--out",
            str(tmp_path / "v"),
            "--views",
            "front,side",
            "--width",
            "48",
            "--height",
            "48",
            "--renderer",
            "matplotlib",
        ]
    )
    assert rc == 0 and iio.imread(tmp_path / "v" / "a.png").shape[1] == 96


def test_render_eval_dir(tmp_path):
    module = importlib.util.module_from_spec(_gallery_test)
    _gallery_test.loader.exec_module(module)
    run = module.make_run(tmp_path / "run")
    rc = cli.main(
        [
            "--eval-dir",
            str(run),
            "--out",
            str(tmp_path / "g"),
            "--width",
            "48",
            "--height",
            "48",
            "--renderer",
            "matplotlib",
        ]
    )
    assert rc == 0
    parser = module._Refs()
    parser.feed((tmp_path / "g" / "index.html").read_text())
    assert len(parser.refs) == 6 and all((tmp_path / "g" / r).is_file() for r in parser.refs)


def test_render_errors(tmp_path, capsys):
    assert cli.main([str(tmp_path / "missing.ply"), "--out", str(tmp_path)]) == 2
    assert "missing.ply" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main([str(tmp_path / "x.ply")])  # --out is required
    with pytest.raises(SystemExit):
        cli.main([])
