"""The assembly turns a composed config into objects; Trainer reads no config."""

from __future__ import annotations

import inspect

import pytest
from omegaconf import OmegaConf

from pointrecon.data.scan_spec import FIELDS
from pointrecon.errors import ConfigError
from pointrecon.train import trainer as trainer_module
from pointrecon.train.assembly import Assembly, TrainerSettings, training_differences


def test_settings_are_typed_and_checked(compose):
    cfg = compose("train", ["trainer.max_steps=7", "trainer.grad_clip=0"])
    s = Assembly(cfg).settings()
    assert isinstance(s, TrainerSettings)
    assert s.max_steps == 7 and s.grad_clip is None and s.select_metric == "cd_l1"
    bad = compose("train", ["trainer.precision=fp16"])
    with pytest.raises(ConfigError, match="precision must be fp32 or bf16"):
        Assembly(bad).settings()


def test_the_allow_list_is_checked_when_the_assembly_is_made(compose):
    cfg = compose("train", [])
    cfg.model._target_ = "os.system"
    with pytest.raises(ConfigError, match="os.system"):
        Assembly(cfg)


def test_trainer_reads_no_config():
    source = inspect.getsource(trainer_module)
    assert "cfg." not in source and "DictConfig" not in source
    assert "config" in inspect.signature(trainer_module.Trainer).parameters  # stored, not read


def test_data_for_a_split_without_a_root_config(compose, tmp_path):
    cfg = compose("eval", ["ckpt=unused", f"paths.root_dir={tmp_path}"])
    train_cfg = compose("train", ["experiment=tiny", "data.test.num_samples=3"])
    data = Assembly(cfg).eval_data(train_cfg, "test")
    assert list(data.datasets) == ["test"] and len(data.dataset("test")) == 3
    with pytest.raises(ValueError, match="split 'val' is not set"):
        data.loader("val")


def test_configs_stored_in_the_former_layout_resume_without_differences(compose):
    new = compose("train", ["experiment=tiny"])
    old = OmegaConf.to_container(new, resolve=True)
    for split in ("train", "val", "test"):  # scan settings directly under data.<split>
        node = old["data"][split]
        node.update(node.pop("scan"))
        assert set(FIELDS) <= set(node)
    old["model"]["refiner"] = {"_target_": "pointrecon.models.IdentityRefiner"}
    assert training_differences(OmegaConf.create(old), new) == []
    old["data"]["train"]["n_partial"] = 128
    assert training_differences(OmegaConf.create(old), new) == ["data.train.n_partial: 128 -> 256"]


def test_a_refiner_replaced_by_none_is_one_difference(compose):
    gru = compose("train", ["model=pointnet_gru"])
    none = compose("train", ["model=pointnet_gru", "model/refiner=identity"])
    assert training_differences(gru, none) == [
        "model.refiner: 'SequenceRefiner(steps=3)' -> 'identity'"
    ]
    assert training_differences(none, gru) == [
        "model.refiner: 'identity' -> 'SequenceRefiner(steps=3)'"
    ]
    steps = compose("train", ["model=pointnet_gru", "model.refiner.steps=2"])
    assert training_differences(gru, steps) == ["model.refiner.steps: 3 -> 2"]
