"""conf/data/synthetic.yaml and conf/data/mesh_folder.yaml instantiate through the allow-list."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import OmegaConf

from pointrecon.cli._paths import conf_dir
from pointrecon.data import MeshFolderCompletion, SyntheticCompletion, make_shape
from pointrecon.data.transforms import Compose
from pointrecon.io import write_mesh
from pointrecon.utils.instantiate import instantiate

CONF = Path(conf_dir()) / "data"


def _cfg(name: str, tmp_path: Path):
    return OmegaConf.create(
        {
            "paths": {"cache_dir": str(tmp_path / "cache"), "data_dir": str(tmp_path / "data")},
            "data": OmegaConf.load(CONF / f"{name}.yaml"),
        }
    )


def test_synthetic_config(tmp_path):
    cfg = _cfg("synthetic", tmp_path)
    assert {"train", "val", "test", "batch_size", "num_workers"} <= set(cfg.data)
    cfg.data.train.num_samples = 6
    cfg.data.train.scan.n_partial = 32  # interpolated into val and test
    cfg.data.train.scan.n_complete = 64
    sets = {s: instantiate(cfg.data[s]) for s in ("train", "val", "test")}
    assert all(isinstance(d, SyntheticCompletion) for d in sets.values())
    assert isinstance(sets["train"].transform, Compose) and sets["val"].transform is None
    assert len(sets["train"]) == 6 and len(sets["val"]) == cfg.data.val.num_samples
    item = sets["val"][0]
    assert item["partial"].shape == (32, 3) and item["complete"].shape == (64, 3)
    assert sets["train"].cache.dir.parent == tmp_path / "cache" / "synthetic"
    # k folds from the top-level keys
    cfg.data.num_folds, cfg.data.fold = 3, 2
    tr, va = instantiate(cfg.data.train), instantiate(cfg.data.val)
    assert len(tr) + len(va) == 6
    keys_tr = {tr.shape_key(i)[:2] for i in range(len(tr))}
    assert not keys_tr & {va.shape_key(i)[:2] for i in range(len(va))}


def test_mesh_folder_config(tmp_path):
    for s in range(4):
        write_mesh(tmp_path / "data" / "meshes" / "cup" / f"m{s}.obj", make_shape("mug", s))
    cfg = _cfg("mesh_folder", tmp_path)
    cfg.data.train.scan.n_partial, cfg.data.train.scan.n_complete = 16, 32
    cfg.data.train.views_per_shape = 1
    cfg.data.num_folds, cfg.data.fold = 2, 0
    tr, va = instantiate(cfg.data.train), instantiate(cfg.data.val)
    assert isinstance(tr, MeshFolderCompletion) and len(tr) == 2 and len(va) == 2
    assert not set(tr.rel) & set(va.rel)
    assert torch.isfinite(va[0]["partial"]).all() and va[0]["partial"].shape == (16, 3)
