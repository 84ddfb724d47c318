"""Failures that used to end in a traceback now end in one line naming the cause and the file;
debris of killed runs is cleared when a run starts."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from pointrecon.errors import CheckpointError, ConfigError, DataError
from pointrecon.train import checkpoint as ck
from pointrecon.train.assembly import build_trainer

SMALL = ["data.batch_size=4", "data.train.num_samples=8", "data.val.num_samples=4"]


@pytest.fixture
def untrained_run(tmp_path, compose, tiny):
    """A run folder with a checkpoint of the tiny model at its initial weights."""
    from pointrecon.utils.instantiate import instantiate

    cfg = compose("train", tiny)
    model = instantiate(cfg.model)
    ck.save_checkpoint(tmp_path / "run" / "checkpoints", "epoch_0001", model, {"epoch": 1}, cfg)
    return tmp_path / "run"


@pytest.mark.parametrize("scan", ["one point", "identical points"])
def test_reconstruct_degenerate_scan(scan, untrained_run, tmp_path, compose):
    from pointrecon.cli.reconstruct import run_reconstruct

    f = tmp_path / "scan.xyz"
    f.write_text("0.5 0.5 0.5\n" * (1 if scan == "one point" else 7))
    cfg = compose(
        "reconstruct", [f"ckpt={untrained_run}", f"input={f}", f"output={tmp_path / 'o.ply'}"]
    )
    with pytest.raises(DataError, match=r"scan\.xyz: cannot complete a scan of \d point"):
        run_reconstruct(cfg)
    assert not (tmp_path / "o.ply").exists()


def test_reconstruct_degenerate_scan_is_one_line_from_the_command(untrained_run, tmp_path):
    f = tmp_path / "one.xyz"
    f.write_text("1 2 3\n")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pointrecon.cli.reconstruct",
            f"ckpt={untrained_run}",
            f"input={f}",
            f"output={tmp_path / 'o.ply'}",
            f"paths.root_dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "one.xyz: cannot complete a scan of 1 point" in lines[0], lines


def test_render_gallery_skips_a_truncated_sample(tmp_path):
    from pointrecon.cli import render as cli

    spec = importlib.util.spec_from_file_location(
        "viz_gallery_test", Path(__file__).parents[1] / "viz" / "test_gallery.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.make_run(tmp_path / "run")
    victim = sorted((run / "samples").glob("*.npz"))[0]
    victim.write_bytes(victim.read_bytes()[:100])
    args = ["--eval-dir", str(run), "--out", str(tmp_path / "g"), "--renderer", "matplotlib"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.main([*args, "--width", "32", "--height", "32"]) == 0
    assert any(victim.name in str(w.message) and "skipped" in str(w.message) for w in caught)
    assert (tmp_path / "g" / "index.html").is_file()


@pytest.mark.parametrize(
    "failure",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0"),
    ],
)
def test_disk_full_while_saving_says_so(failure, tmp_path, monkeypatch):
    import shutil

    def save(*a, **k):
        raise failure

    monkeypatch.setattr(ck.torch, "save", save)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(ck.shutil, "disk_usage", lambda p: usage._replace(free=0))
    with pytest.raises(CheckpointError) as info:
        ck.save_checkpoint(tmp_path, "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1})
    msg = str(info.value)
    assert "epoch_0001: cannot write the checkpoint" in msg
    assert "no space left" in msg or "is full (0 bytes free)" in msg
    assert [p.name for p in tmp_path.iterdir()] == []  # no half-written folder left


def test_file_system_errors_become_one_line(capsys):
    from pointrecon.cli._errors import reports_errors

    @reports_errors("train")
    def fail():
        raise OSError(errno.ENOSPC, "No space left on device", "/runs/x/metrics.csv")

    with pytest.raises(SystemExit) as info:
        fail()
    assert info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pointrecon train: error: /runs/x/metrics.csv: No space left on device"]


def test_unwritable_checkpoints_folder_fails_before_training(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoints").write_text("a file where the folder should be")
    with pytest.raises(CheckpointError, match=r"checkpoints: cannot write checkpoints there"):
        build_trainer(tiny_cfg(*SMALL), run)
    assert not (run / "metrics.csv").exists()


def test_unwritable_checkpoints_folder_read_only(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    (tmp_path / "checkpoints").mkdir(mode=0o555)
    with pytest.raises(CheckpointError, match="cannot write checkpoints there"):
        ck.check_writable(tmp_path / "checkpoints")


@pytest.mark.parametrize("lr", ["nan", "inf", "-0.1"])
def test_non_finite_learning_rate_is_refused(lr, tiny_cfg, tmp_path):
    with pytest.raises(ConfigError, match="optim.lr must be a finite number >= 0"):
        build_trainer(tiny_cfg(*SMALL, f"optim.lr={lr}"), tmp_path / "run")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_gpu_trainer_without_cuda_is_a_config_error(tiny_cfg, tmp_path, compose):
    with pytest.raises(ConfigError, match="finds no CUDA device"):
        # (the tests' debug=deterministic pins the accelerator to cpu, so set it after)
        build_trainer(tiny_cfg(*SMALL, "trainer=gpu", "trainer.accelerator=cuda"), tmp_path / "run")
    from pointrecon.cli.reconstruct import run_reconstruct

    cfg = compose(
        "reconstruct",
        ["ckpt=x", f"input={tmp_path / 'a.ply'}", "output=o.ply", "trainer.accelerator=cuda"],
    )
    with pytest.raises(ConfigError, match="trainer.accelerator=cuda but torch finds no CUDA"):
        run_reconstruct(cfg)


def test_debris_of_killed_runs_is_cleared_on_start_and_resume(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    first = build_trainer(tiny_cfg(*SMALL, "trainer.max_epochs=1"), run)
    first.fit()
    first.close()
    ckpts = run / "checkpoints"
    debris = [
        ckpts / ".epoch_0002.k3j2.tmp",
        ckpts / ".epoch_0001.old",
        ckpts / ".last.ab12.tmp.json",
        run / ".metrics.x1.tmp.csv",
    ]
    for d in debris[:2]:
        d.mkdir()
        (d / "model.safetensors").write_bytes(b"half")
    for d in debris[2:]:
        d.write_text("half")
    again = build_trainer(tiny_cfg(*SMALL, "trainer.max_epochs=1", "resume=true"), run)
    again.close()
    assert not any(d.exists() for d in debris)
    assert json.loads((ckpts / "last.json").read_text())["dir"] == "epoch_0001"
    assert (ckpts / "epoch_0001" / "model.safetensors").is_file()


def test_folder_data_set_with_a_missing_listed_scan_fails(tmp_path):
    from pointrecon.cli.make_data import main
    from pointrecon.data import PointCloudFolder

    out = tmp_path / "set"
    common = ["train=0", "val=2", "test=0", "n_partial=64", "n_complete=128", "width=40"]
    assert main([f"out={out}", *common, "height=30", "format=ply", "quiet=true"]) == 0
    listed = json.loads((out / "manifest.json").read_text())["files"]
    assert len(PointCloudFolder(out, "val")) == 2
    gone = out / listed[0]["partial"]
    gone.unlink()
    with pytest.raises(DataError, match=rf"{gone.name}: listed in .*manifest.json but missing"):
        PointCloudFolder(out, "val")
    np.testing.assert_equal(len(listed), 2)


def test_eval_meshes_bad_mesh_is_one_line_and_writes_nothing(untrained_run, tmp_path):
    meshes = tmp_path / "meshes"
    meshes.mkdir()
    (meshes / "broken.off").write_text("OFF\n3 1 0\n0 0 0\n1 0 0\n")  # truncated
    out = tmp_path / "out"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    res = subprocess.run(
        [sys.executable, "-m", "pointrecon.cli.main", "eval-meshes", f"ckpt={untrained_run}",
         f"dir={meshes}", f"output_dir={out}", f"paths.root_dir={tmp_path}"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pointrecon eval-meshes: error: "), lines
    assert "broken.off" in lines[0]
    assert not out.exists()
