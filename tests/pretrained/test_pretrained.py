"""Shipped models: export from a checkpoint, load through the allow-list, complete a scan."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from pointrecon import pretrained
from pointrecon.errors import CheckpointError, ConfigError
from pointrecon.models import CompletionNet
from pointrecon.train import checkpoint as ckpt_io
from pointrecon.train.inference import complete_points

TINY_MODEL = {
    "_target_": "pointrecon.models.CompletionNet",
    "encoder": {"_target_": "pointrecon.models.LocalPointNet", "point_channels": 8,
                "out_channels": 16, "k": 4, "hidden": 8},
    "seeds_fc": 8, "seeds_partial": 8, "up_factors": [2, 2], "hidden": 8, "window": 8,
    "local_k": 4, "feat_channels": 8,
}  # fmt: skip


def _checkpoint(tmp_path, model_cfg=TINY_MODEL):
    from pointrecon.utils.instantiate import instantiate

    cfg = OmegaConf.create(
        {"model": model_cfg, "seed": 3, "task_name": "t",
         "paths": {"cache_dir": "/somewhere/private"},
         "data": {"train": {"n_partial": 64, "cache_dir": "/somewhere/private", "noise_std": 0.01}}}
    )  # fmt: skip
    torch.manual_seed(0)
    model = instantiate(cfg.model)
    ckpt_io.save_checkpoint(tmp_path / "run" / "checkpoints", "epoch_0001", model, {}, cfg,
                            pointers=["last", "best"])  # fmt: skip
    return model


def test_export_then_load_gives_the_same_model(tmp_path, monkeypatch):
    model = _checkpoint(tmp_path)
    root = tmp_path / "shipped"
    pretrained.export(tmp_path / "run", root / "mine")
    text = (root / "mine" / "config.yaml").read_text()
    assert "private" not in text and "cache_dir" not in text  # no machine paths
    monkeypatch.setattr(pretrained, "_ROOT", root)
    assert pretrained.available() == ["mine"]
    loaded = pretrained.load("mine")
    assert isinstance(loaded, CompletionNet) and not loaded.training
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    assert pretrained.num_input_points("mine") == 64
    with pytest.raises(CheckpointError, match="already holds"):
        pretrained.export(tmp_path / "run", root / "mine")
    pretrained.export(tmp_path / "run", root / "mine", overwrite=True)
    with pytest.raises(CheckpointError, match="no shipped model named 'other'"):
        pretrained.load("other")
    with pytest.raises(ValueError, match="name"):
        pretrained.path("../mine")


def test_a_shipped_config_goes_through_the_allow_list(tmp_path, monkeypatch):
    _checkpoint(tmp_path)
    root = tmp_path / "shipped"
    pretrained.export(tmp_path / "run", root / "bad")
    cfg = OmegaConf.load(root / "bad" / "config.yaml")
    cfg.model.encoder._target_ = "pointrecon.errors.os.system"
    (root / "bad" / "config.yaml").write_text(OmegaConf.to_yaml(cfg))
    monkeypatch.setattr(pretrained, "_ROOT", root)
    with pytest.raises((CheckpointError, ConfigError), match="os"):
        pretrained.load("bad")


# ---------------------------------------------------------------- the model in the package


@pytest.fixture(scope="module")
def shipped():
    return pretrained.load("default")


def _scan(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from pointrecon.data import make_completion_pair, make_shape

    pair = make_completion_pair(make_shape("blob", 12345), seed=seed, n_partial=2048,
                                n_complete=4096)  # fmt: skip
    return pair["partial"], pair["complete"]


def test_default_model_is_shipped_with_its_card():
    assert "default" in pretrained.available()
    folder = pretrained.path("default")
    size = (folder / "model.safetensors").stat().st_size
    assert size < 25 * 2**20
    card = (folder / "MODEL_CARD.md").read_text()
    for words in ("experiment=pretrained_default", "frame", "rotation", "CD-L1", "F@1%"):
        assert words in card


def test_default_model_keeps_the_scan_and_completes_it_in_the_scans_frame(shipped):
    partial, complete = _scan()
    world = partial * 250.0 + np.array([1000.0, -40.0, 7.0], dtype=np.float32)  # millimetres
    pred = complete_points(shipped, world, 2048, seed=0)
    assert pred.shape == (16384, 3)
    # the observed points are part of the output (float32 round trip of the frame: < 1e-3 mm)
    from scipy.spatial import cKDTree

    d, _ = cKDTree(pred).query(world)
    assert d.max() < 1e-3
    # and the completion is in the scan's frame, closer to the whole shape than the scan is
    truth = complete * 250.0 + np.array([1000.0, -40.0, 7.0])
    completeness_pred = cKDTree(pred).query(truth)[0].mean()
    completeness_scan = cKDTree(world).query(truth)[0].mean()
    assert completeness_pred < completeness_scan


def test_rotating_the_scan_rotates_the_completion(shipped):
    """The card claims no orientation assumption (trained with uniform SO(3) rotations):
    completing a rotated scan and rotating back agrees with completing the scan, to CD-L1
    below 0.012 in the object's unit-radius frame (1.2% of its radius) and to less than half
    of the completion's own error against the truth. (Not exact: the frame is fitted on an
    axis-aligned bounding box, and the network is equivariant only as far as it learned.)"""
    from scipy.spatial import cKDTree
    from scipy.spatial.transform import Rotation

    def cd(a, b):
        return 0.5 * (cKDTree(b).query(a)[0].mean() + cKDTree(a).query(b)[0].mean())

    partial, complete = _scan(seed=1)
    base = complete_points(shipped, partial, 2048, seed=0)
    error = cd(base, complete)
    for r in range(2):
        rot = Rotation.random(random_state=r).as_matrix().astype(np.float32)
        back = complete_points(shipped, partial @ rot.T, 2048, seed=0) @ rot
        gap = cd(back, base)
        assert gap < 0.012 and gap < 0.5 * error, (r, gap, error)


def test_shipped_model_local_features_match_the_reference():
    """The shipped model completes a scan the same (to float rounding) with the refiner's local
    features computed as the MLP of every gathered neighbour row."""
    from pointrecon.data import SyntheticCompletion, collate_completion
    from pointrecon.models import LocalSequenceRefiner

    model = pretrained.load("default")
    ds = SyntheticCompletion("test", 1, seed=0, n_partial=2048, n_complete=2048)
    x = collate_completion([ds[0]])["partial"].points
    with torch.no_grad():
        fast = model(x)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            LocalSequenceRefiner, "local_features", LocalSequenceRefiner.local_features_reference
        )
        with torch.no_grad():
            ref = model(x)
    for a, b in zip([fast.coarse, *fast.steps], [ref.coarse, *ref.steps]):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
