"""Writes that respect the user: outputs never replace an input, an existing file only with
overwrite, a read-only file never; atomic writes keep the umask's permissions."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import torch

from pointrecon.errors import OutputError
from pointrecon.utils.atomic import atomic_write_text
from pointrecon.utils.outputs import check_output


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_output_equal_to_an_input_is_refused_by_any_spelling(tmp_path, monkeypatch):
    src = tmp_path / "scan.ply"
    src.write_text("data")
    (tmp_path / "link.ply").symlink_to(src)
    monkeypatch.chdir(tmp_path)
    for out in (src, "scan.ply", tmp_path / "sub" / ".." / "scan.ply", tmp_path / "link.ply"):
        with pytest.raises(OutputError, match="is the input file"):
            check_output(out, [src], overwrite=True)
    assert src.read_text() == "data"


def test_existing_output_needs_overwrite_and_read_only_never_goes(tmp_path):
    out = tmp_path / "out.ply"
    assert check_output(out, [tmp_path / "in.ply"]) == out  # new file: fine
    out.write_text("old")
    with pytest.raises(OutputError, match="give overwrite=true"):
        check_output(out)
    assert check_output(out, overwrite=True) == out
    out.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        check_output(out, overwrite=True)


def test_atomic_writes_follow_the_umask(tmp_path, umask022):
    atomic_write_text(tmp_path / "a.csv", "x")
    assert _mode(tmp_path / "a.csv") == 0o644
    os.umask(0o077)
    atomic_write_text(tmp_path / "b.csv", "x")
    assert _mode(tmp_path / "b.csv") == 0o600
    os.umask(0o022)
    # a replaced file keeps its own mode
    (tmp_path / "c.csv").write_text("old")
    (tmp_path / "c.csv").chmod(0o640)
    atomic_write_text(tmp_path / "c.csv", "new")
    assert _mode(tmp_path / "c.csv") == 0o640 and (tmp_path / "c.csv").read_text() == "new"


def test_checkpoint_folders_and_files_follow_the_umask(tmp_path, umask022):
    from pointrecon.train import checkpoint as ck

    folder = ck.save_checkpoint(
        tmp_path / "checkpoints", "epoch_0001", torch.nn.Linear(2, 2), {"epoch": 1}, {"a": 1}
    )
    assert _mode(folder) == 0o755
    for f in [*folder.iterdir(), tmp_path / "checkpoints" / "last.json"]:
        assert _mode(f) == 0o644, f


def test_reconstruct_refuses_output_equal_to_input(tmp_path, compose):
    from pointrecon.cli.reconstruct import run_reconstruct

    scan = tmp_path / "scan.ply"
    from pointrecon.io import write_points

    write_points(scan, np.random.default_rng(0).random((50, 3), dtype=np.float32))
    before = scan.read_bytes()
    for extra in ([], ["overwrite=true"]):
        cfg = compose(
            "reconstruct", [f"ckpt={tmp_path / 'nope'}", f"input={scan}", f"output={scan}", *extra]
        )
        with pytest.raises(OutputError, match="is the input file"):
            run_reconstruct(cfg)
    assert scan.read_bytes() == before


def test_reconstruct_refuses_existing_and_read_only_outputs(tmp_path, compose):
    from pointrecon.cli.reconstruct import run_reconstruct

    out = tmp_path / "out.ply"
    out.write_text("mine")
    args = [f"ckpt={tmp_path / 'nope'}", f"input={tmp_path / 'scan.ply'}", f"output={out}"]
    with pytest.raises(OutputError, match="exists; give overwrite=true"):
        run_reconstruct(compose("reconstruct", args))
    out.chmod(0o444)
    with pytest.raises(OutputError, match="read-only"):
        run_reconstruct(compose("reconstruct", [*args, "overwrite=true"]))
    assert out.read_text() == "mine"


def test_mesh_command_refuses_its_input_and_existing_output(tmp_path, capsys):
    from pointrecon.cli import mesh

    src = tmp_path / "in.ply"
    src.write_text("ply")
    assert mesh.main([str(src), str(src)]) == 2
    assert "is the input file" in capsys.readouterr().err
    assert src.read_text() == "ply"
    out = tmp_path / "o.obj"
    out.write_text("x")
    assert mesh.main([str(src), str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert out.read_text() == "x"


def test_render_refuses_to_replace_an_existing_png(tmp_path, capsys):
    from pointrecon.cli import render

    src = tmp_path / "a.xyz"
    src.write_text("0 0 0\n1 0 0\n0 1 0\n")
    (tmp_path / "a.png").write_text("mine")
    assert render.main([str(src), "--out", str(tmp_path)]) == 2
    assert "exists; give --overwrite" in capsys.readouterr().err
    assert (tmp_path / "a.png").read_text() == "mine"


def test_make_data_refuses_an_existing_data_set(tmp_path):
    from pointrecon.cli.make_data import main

    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(SystemExit, match="exists; give overwrite=true"):
        main([f"out={tmp_path}", "train=1", "val=0", "test=0", "quiet=true"])
    assert (tmp_path / "manifest.json").read_text() == "{}"
