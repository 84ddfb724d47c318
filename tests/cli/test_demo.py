"""The main job end to end at a tiny size: train, evaluate with the four baselines, complete a
held-back scan with the shipped and the trained model, render both."""

from __future__ import annotations

import numpy as np

from pointrecon.cli.demo import run_demo
from pointrecon.io import read_points

TINY_DEMO = [
    "model.encoder.point_channels=8", "model.encoder.out_channels=16", "model.encoder.hidden=8",
    "model.seeds_fc=16", "model.seeds_partial=16", "model.hidden=8", "model.feat_channels=8",
    "data.train.num_samples=16", "data.val.num_samples=4", "data.test.num_samples=4",
    "data.train.scan.n_partial=64", "data.train.scan.n_complete=256", "data.num_workers=0",
    "data.batch_size=4", "trainer.max_epochs=1", "trainer.progress=false",
    "trainer.tensorboard=false", "trainer.render_every=0",
]  # fmt: skip


def test_demo_runs_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("POINTRECON_CACHE", str(tmp_path / "cache"))
    res = run_demo(TINY_DEMO, out_root=tmp_path / "demo")
    out = res["out"]
    tables = res["tables"]
    assert set(tables) == {"model", "input", "mirror", "input_dense", "mirror_dense"}
    # the densified baselines have the model's size: 64 kept + 32 seeds x 2 x 3
    assert (out / "eval" / "metrics.md").is_file()
    scans = sorted((out / "reconstruct").glob("scan_*.ply"))
    assert len(scans) == 1
    scan = read_points(scans[0])
    assert scan.shape == (2048, 3)
    trained = read_points(out / "reconstruct" / "completed_trained.ply")
    assert trained.shape == (64 + 32 * 6, 3)
    # completed in the scan's own (shifted, scaled) frame: near the scan, not near the origin
    assert np.linalg.norm(trained.mean(0) - scan.mean(0)) < 0.5 * np.ptp(scan, axis=0).max()
    png = (out / "renders" / "held_back.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
