"""The _target_ allow-list in front of hydra.utils.instantiate."""

import pytest
import torch
from omegaconf import OmegaConf

from pointrecon.errors import ConfigError
from pointrecon.utils import instantiate as inst


def test_allowed_target_builds_object():
    layer = inst.instantiate({"_target_": "torch.nn.Linear", "in_features": 3, "out_features": 2})
    assert isinstance(layer, torch.nn.Linear)
    assert layer.weight.shape == (2, 3)


def test_partial_optimizer_is_allowed():
    make = inst.instantiate(
        OmegaConf.create({"_target_": "torch.optim.AdamW", "_partial_": True, "lr": 0.01})
    )
    opt = make([torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(opt, torch.optim.AdamW)
    assert opt.defaults["lr"] == 0.01


@pytest.mark.parametrize(
    "target", ["os.system", "subprocess.run", "builtins.eval", "torchvision.x"]
)
def test_forbidden_target_is_refused_before_import(target, tmp_path):
    cfg = {"_target_": target, "_args_": [f"touch {tmp_path}/pwned"]}
    with pytest.raises(ConfigError, match="refused _target_"):
        inst.instantiate(cfg)
    assert not (tmp_path / "pwned").exists()


def test_nested_target_is_checked():
    cfg = OmegaConf.create(
        {
            "_target_": "torch.nn.Sequential",
            "_args_": [{"_target_": "torch.nn.ReLU"}, {"_target_": "os.system", "command": "true"}],
        }
    )
    with pytest.raises(ConfigError, match=r"_args_\[1\]\._target_"):
        inst.instantiate(cfg)


def test_prefix_must_not_be_a_bare_word_like_torch():
    # 'torchvision.x' must not pass just because it starts with 'torch'
    with pytest.raises(ConfigError):
        inst.check_targets({"_target_": "torch_evil.x"})


def test_extra_prefix_for_one_call_only():
    cfg = {"_target_": "collections.OrderedDict"}
    assert inst.instantiate(cfg, extra_allowed=["collections."]) == {}
    with pytest.raises(ConfigError):
        inst.instantiate(cfg)


def test_non_string_target_is_refused():
    with pytest.raises(ConfigError, match="must be a string"):
        inst.check_targets({"_target_": 3})


def test_allow_target_prefix_validates():
    with pytest.raises(ValueError, match="ending in '.'"):
        inst.allow_target_prefix("mylab")


def test_package_errors_raised_by_a_constructor_come_through_unwrapped(tmp_path):
    from pointrecon.errors import DataError

    missing = tmp_path / "nope"
    with pytest.raises(DataError) as info:
        inst.instantiate({"_target_": "pointrecon.data.PointCloudFolder", "root": str(missing)})
    assert type(info.value) is DataError
    assert "nope" in str(info.value)
