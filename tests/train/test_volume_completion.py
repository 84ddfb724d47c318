"""Sparse-slice completion of a volume in world coordinates, the baseline evaluation, and
``pointrecon volume complete=true`` with a (tiny) trained checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pointrecon.cli.train import run_train
from pointrecon.cli.volume import run_volume
from pointrecon.data import SparseSliceCompletion
from pointrecon.io import VolumeData, read_points, write_volume
from pointrecon.models import SparseSliceNet
from pointrecon.train.sparse_slice_eval import evaluate_sparse_slices, format_table
from pointrecon.train.volume_completion import complete_sparse_volume, slice_axis_of

CENTER, RADIUS = np.array([-20.0, 35.0, 110.0]), 12.0


def sparse_sphere(gap: float = 4.0) -> VolumeData:
    """A sphere scanned with 1 mm pixels and thick slices ``gap`` mm apart, under a rotation."""
    from scipy.spatial.transform import Rotation

    shape = (34, 34, 9)
    a = np.eye(4)
    a[:3, :3] = Rotation.from_euler("xyz", [0.4, 0.2, -0.7]).as_matrix() @ np.diag([1, 1, gap])
    a[:3, 3] = CENTER - a[:3, :3] @ (np.array(shape) - 1) / 2
    ijk = np.stack(np.meshgrid(*(np.arange(s) for s in shape), indexing="ij"), -1)
    world = ijk.reshape(-1, 3) @ a[:3, :3].T + a[:3, 3]
    inside = np.linalg.norm(world - CENTER, axis=1) < RADIUS
    return VolumeData(inside.reshape(shape).astype(np.float32), a)


def test_completion_is_in_world_coordinates():
    torch.manual_seed(0)
    vol = sparse_sphere()
    assert slice_axis_of(vol) == 2
    model = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16, fill_points=0)
    pts = complete_sparse_volume(model, vol, n_partial=512, level=0.5, max_passes=1)
    assert pts.shape == (512 * 5, 3)
    r = np.linalg.norm(pts - CENTER, axis=1)
    # the observed contours lie on the sphere (binary voxels: within a pixel)
    assert np.abs(r[:512] - RADIUS).max() < 1.5
    # the untrained model interpolates between slices: still near the sphere
    assert np.median(np.abs(r - RADIUS)) < 1.5 and r.max() < RADIUS + 4.0
    # more contour points than n_partial: several passes over disjoint subsets, all kept
    more = complete_sparse_volume(model, vol, n_partial=128, level=0.5, max_passes=3)
    assert more.shape == (3 * 128 * 5, 3)
    r = np.linalg.norm(more - CENTER, axis=1)
    assert np.median(np.abs(r - RADIUS)) < 1.5


def test_evaluation_reports_model_and_both_baselines():
    torch.manual_seed(0)
    data = SparseSliceCompletion("test", 3, n_partial=256, n_complete=512, resolution=[24, 32])
    model = SparseSliceNet(feat_channels=16, slice_channels=32, hidden=16)
    res = evaluate_sparse_slices(model, data, num_points=512, batch_size=2)
    assert set(res) == {"model", "contours", "linear_mc"}
    for r in res.values():
        assert r["count"] == 3 and np.isfinite(r["cd_l1"]) and r["cd_l1"] > 0
    assert "| linear_mc |" in format_table(res)


@pytest.mark.timeout(300)
def test_volume_command_completes_with_a_checkpoint(compose, tmp_path):
    cfg = compose(
        "train",
        [
            "experiment=sparse_slices",
            "debug=fast",
            f"paths.root_dir={tmp_path}",
            "data.train.num_samples=4",
            "data.val.num_samples=2",
            "data.train.n_partial=256",
            "data.train.n_complete=512",
            "data.train.resolution=[24,32]",
            "model.feat_channels=16",
            "model.slice_channels=32",
            "model.hidden=16",
            "trainer.tensorboard=false",
        ],
    )
    run_train(cfg, tmp_path / "run")
    write_volume(tmp_path / "sparse.nii.gz", sparse_sphere())
    vcfg = compose(
        "volume",
        [
            f"input={tmp_path / 'sparse.nii.gz'}",
            f"output={tmp_path / 'done.ply'}",
            "complete=true",
            f"ckpt={tmp_path / 'run'}",
            "level=0.5",
            f"paths.root_dir={tmp_path}",
            "mesh=false",
        ],
    )
    out = run_volume(vcfg)
    pts = read_points(out["points"])
    # per pass over 256 contour points: the contours, 2 x 1 between slices, 2 fill points each
    assert len(pts) % (256 * 5) == 0 and len(pts) >= 256 * 5
    r = np.linalg.norm(pts - CENTER, axis=1)
    assert np.abs(r[:256] - RADIUS).max() < 1.5  # the observed contours, in world millimetres
    assert r.max() < RADIUS + 6.0
