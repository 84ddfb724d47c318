"""Every known route around the ``_target_`` allow-list, tried through each way a config comes in.

Each payload is live: let through, it creates the marker file ``pwned`` (or deletes the folder
``keep``). The tests check the refusal *and* that the marker never appears. The last test shows
that the payloads do run when called directly, so a passing test is not a dead payload.
"""

from __future__ import annotations

import pytest
import torch
from omegaconf import OmegaConf

from pointrecon.errors import CheckpointError, ConfigError
from pointrecon.train import checkpoint as ck
from pointrecon.utils import instantiate as inst


def _payloads(tmp) -> dict[str, dict]:
    """name -> a model config whose ``_target_`` reaches code that writes ``tmp/pwned``."""
    mark = str(tmp / "pwned")
    hub = tmp / "hub"
    hub.mkdir(exist_ok=True)
    (hub / "hubconf.py").write_text(f"open({mark!r}, 'w').close()\ndef m():\n    return 1\n")
    touch = {"command": f"touch {mark}"}
    return {
        # attribute hops from an allowed module into a module outside the allowed packages
        "F.np.savetxt": {"_target_": "torch.nn.functional.np.savetxt", "fname": mark, "X": [1.0]},
        "F.np.lib.npyio": {
            "_target_": "torch.nn.functional.np.lib.npyio.savetxt",
            "fname": mark,
            "X": [1.0],
        },
        "F.torch.hub._load_local": {
            "_target_": "torch.nn.functional.torch.hub._load_local",
            "hubconf_dir": str(hub),
            "model": "m",
        },
        "F.torch.hub.load": {
            "_target_": "torch.nn.functional.torch.hub.load",
            "repo_or_dir": str(hub),
            "model": "m",
            "source": "local",
        },
        "optim.optimizer.torch.hub": {
            "_target_": "torch.optim.optimizer.torch.hub.load",
            "repo_or_dir": str(hub),
            "model": "m",
            "source": "local",
        },
        "pointrecon.errors.os": {"_target_": "pointrecon.errors.os.system", **touch},
        "pointrecon.train.seed.os": {"_target_": "pointrecon.train.seed.os.system", **touch},
        "pointrecon.data.cache.np": {
            "_target_": "pointrecon.data.cache.np.savetxt",
            "fname": mark,
            "X": [1.0],
        },
        # a function inside an allowed package that writes any file with any text
        "atomic_write_text": {
            "_target_": "pointrecon.utils.atomic.atomic_write_text",
            "path": mark,
            "text": "x",
        },
        "checkpoint.atomic_write_text": {
            "_target_": "pointrecon.train.checkpoint.atomic_write_text",
            "path": mark,
            "text": "x",
        },
        # hops through a class or a function object into their globals
        "dunder globals": {
            "_target_": "torch.nn.Module.__init__.__globals__.torch.hub._load_local",
            "hubconf_dir": str(hub),
            "model": "m",
        },
        "class through os": {"_target_": "pointrecon.errors.os.PathLike"},
        "imported class Path": {"_target_": "pointrecon.data.cache.Path.touch", "self": mark},
        # an entry point of the package itself
        "cli entry point": {"_target_": "pointrecon.cli.train.run_train", "cfg": {}},
    }


def _interpolation_payloads(tmp, monkeypatch) -> dict[str, dict]:
    """name -> a config (as written in YAML) that hides a target in an interpolation."""
    mark = str(tmp / "pwned")
    evil = f"{{_target_: torch.nn.functional.np.savetxt, fname: '{mark}', X: [1.0]}}"
    evil_dq = evil.replace("'", '"')
    monkeypatch.setenv("EVIL_TARGET", "pointrecon.errors.os.system")
    monkeypatch.setenv("EVIL_INTERP", "${oc.create:" + evil + "}")
    touch = f"touch {mark}"
    return {
        "oc.create node": {"model": "${oc.create:" + evil + "}"},
        "oc.decode node": {"model": "${oc.decode:'" + evil_dq + "'}"},
        "oc.decode target": {
            "model": {"_target_": "${oc.decode:'pointrecon.errors.os.system'}", "command": touch}
        },
        "oc.env target": {"model": {"_target_": "${oc.env:EVIL_TARGET}", "command": touch}},
        "node target": {
            "name": "pointrecon.errors.os.system",
            "model": {"_target_": "${name}", "command": touch},
        },
        "oc.select node": {"hidden": "${oc.create:" + evil + "}", "model": "${oc.select:hidden}"},
        "dynamic resolver name": {"r": "oc.create", "model": "${${r}:" + evil + "}"},
        "nested in select default": {"model": "${oc.select:nope,${oc.create:" + evil + "}}"},
        "quoted nested in env default": {"model": '${oc.env:NOPE_X,"${oc.create:' + evil + '}"}'},
        "env value is an interpolation": {"model": "${oc.env:EVIL_INTERP}"},
        "unknown resolver": {"model": "${python:" + evil + "}"},
        "key selected by interpolation": {
            "k": "hidden",
            "hidden": {"_target_": "pointrecon.errors.os.system", "command": touch},
            "model": "${${k}}",
        },
    }


def _assert_intact(tmp):
    assert not (tmp / "pwned").exists(), "the payload ran"


ROUTE_NAMES = [
    "F.np.savetxt",
    "F.np.lib.npyio",
    "F.torch.hub._load_local",
    "F.torch.hub.load",
    "optim.optimizer.torch.hub",
    "pointrecon.errors.os",
    "pointrecon.train.seed.os",
    "pointrecon.data.cache.np",
    "atomic_write_text",
    "checkpoint.atomic_write_text",
    "dunder globals",
    "class through os",
    "imported class Path",
    "cli entry point",
]
INTERP_NAMES = [
    "oc.create node",
    "oc.decode node",
    "oc.decode target",
    "oc.env target",
    "node target",
    "oc.select node",
    "dynamic resolver name",
    "nested in select default",
    "quoted nested in env default",
    "env value is an interpolation",
    "unknown resolver",
    "key selected by interpolation",
]


def test_route_lists_cover_every_payload(tmp_path, monkeypatch):
    assert sorted(ROUTE_NAMES) == sorted(_payloads(tmp_path))
    assert sorted(INTERP_NAMES) == sorted(_interpolation_payloads(tmp_path, monkeypatch))


@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_attribute_route_is_refused_by_instantiate(name, tmp_path):
    cfg = _payloads(tmp_path)[name]
    with pytest.raises(ConfigError, match="refused _target_"):
        inst.instantiate(cfg)
    _assert_intact(tmp_path)


@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_attribute_route_is_refused_from_a_checkpoint(name, tmp_path):
    cfg = {"model": _payloads(tmp_path)[name]}
    ck.save_checkpoint(tmp_path / "ck", "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1}, cfg)
    with pytest.raises(CheckpointError, match="untrusted config refused"):
        ck.load_config(tmp_path / "ck" / "epoch_0001")
    _assert_intact(tmp_path)


@pytest.mark.parametrize("name", INTERP_NAMES)
def test_interpolation_route_is_refused(name, tmp_path, monkeypatch):
    cfg = OmegaConf.create(_interpolation_payloads(tmp_path, monkeypatch)[name])
    with pytest.raises(ConfigError, match="refused"):
        inst.check_targets(cfg)
    cfg._target_ = "torch.nn.Identity"
    with pytest.raises(ConfigError, match="refused"):
        inst.instantiate(cfg)
    _assert_intact(tmp_path)


@pytest.mark.parametrize("name", INTERP_NAMES)
def test_interpolation_route_is_refused_from_a_checkpoint_config_file(name, tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path / "ck", "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1})
    text = OmegaConf.to_yaml(OmegaConf.create(_interpolation_payloads(tmp_path, monkeypatch)[name]))
    (tmp_path / "ck" / "epoch_0001" / "config.yaml").write_text(text)
    with pytest.raises(CheckpointError, match="untrusted config refused"):
        ck.load_config(tmp_path / "ck" / "epoch_0001")
    _assert_intact(tmp_path)


def test_yaml_python_tag_in_a_checkpoint_config_is_refused(tmp_path):
    ck.save_checkpoint(tmp_path / "ck", "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1})
    f = tmp_path / "ck" / "epoch_0001" / "config.yaml"
    f.write_text(f"model: !!python/object/apply:os.system ['touch {tmp_path / 'pwned'}']\n")
    with pytest.raises(CheckpointError, match="config.yaml"):
        ck.load_config(tmp_path / "ck" / "epoch_0001")
    _assert_intact(tmp_path)


def test_a_checkpoint_cannot_widen_the_allow_list(tmp_path):
    cfg = {
        "allowed_targets": ["posix.", "os."],
        "model": _payloads(tmp_path)["pointrecon.errors.os"],
    }
    ck.save_checkpoint(tmp_path / "ck", "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1}, cfg)
    with pytest.raises(CheckpointError):
        ck.load_config(tmp_path / "ck" / "epoch_0001")
    _assert_intact(tmp_path)


@pytest.mark.parametrize("name", ["F.np.savetxt", "pointrecon.errors.os", "dunder globals"])
def test_command_line_override_is_refused_before_training(name, tmp_path, compose, tiny):
    from pointrecon.cli.train import run_train

    target = _payloads(tmp_path)[name]["_target_"]
    cfg = compose("train", [*tiny, f"model._target_={target}"])
    with pytest.raises(ConfigError, match="refused model._target_="):
        run_train(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "checkpoints").exists()
    _assert_intact(tmp_path)


def test_experiment_file_is_refused(tmp_path, compose, tiny):
    from pointrecon.cli.train import run_train

    exp = tmp_path / "conf" / "experiment"
    exp.mkdir(parents=True)
    evil = f"{{_target_: torch.nn.functional.np.savetxt, fname: '{tmp_path / 'pwned'}', X: [1]}}"
    (exp / "evil.yaml").write_text(f'# @package _global_\nloss: "${{oc.create:{evil}}}"\n')
    cfg = compose(
        "train", [*tiny, f"hydra.searchpath=[file://{tmp_path / 'conf'}]", "experiment=evil"]
    )
    assert "oc.create" in OmegaConf.to_yaml(cfg)  # the file was used
    with pytest.raises(ConfigError, match="resolver 'oc.create' is not allowed"):
        run_train(cfg, tmp_path / "run")
    _assert_intact(tmp_path)


@pytest.mark.parametrize("command", ["eval", "reconstruct"])
@pytest.mark.parametrize("name", ["F.torch.hub._load_local", "oc.create node"])
def test_eval_and_reconstruct_refuse_a_hostile_checkpoint(
    command, name, tmp_path, compose, monkeypatch
):
    run = tmp_path / "run" / "checkpoints"
    ck.save_checkpoint(run, "epoch_0001", torch.nn.Linear(1, 1), {"epoch": 1})
    if name in INTERP_NAMES:
        cfg = _interpolation_payloads(tmp_path, monkeypatch)[name]
    else:
        cfg = {"model": _payloads(tmp_path)[name]}
    text = OmegaConf.to_yaml(OmegaConf.create(cfg))
    (run / "epoch_0001" / "config.yaml").write_text(text)
    scan = tmp_path / "scan.xyz"
    scan.write_text("0 0 0\n1 0 0\n0 1 0\n0 0 1\n")
    if command == "eval":
        from pointrecon.cli.evaluate import run_eval

        with pytest.raises(CheckpointError, match="untrusted config refused"):
            run_eval(compose("eval", [f"ckpt={tmp_path / 'run'}"]), tmp_path / "out")
    else:
        from pointrecon.cli.reconstruct import run_reconstruct

        cfg = compose(
            "reconstruct",
            [f"ckpt={tmp_path / 'run'}", f"input={scan}", f"output={tmp_path / 'out.ply'}"],
        )
        with pytest.raises(CheckpointError, match="untrusted config refused"):
            run_reconstruct(cfg)
    _assert_intact(tmp_path)


def test_allowed_targets_still_build():
    for target in ("torch.nn.Linear", "torch.optim.lr_scheduler.StepLR", "pointrecon.data.PCN"):
        assert isinstance(inst.locate_target(target), type)
    # a user-trusted prefix may name functions, but its module must really be in that package
    made = inst.instantiate({"_target_": "collections.OrderedDict"}, extra_allowed=["collections."])
    assert made == {}
    with pytest.raises(ConfigError, match="outside the allow-list"):
        inst.locate_target("os.system", extra_allowed=["os."])  # really posix.system


def test_the_payloads_are_live(tmp_path):
    """Called without the allow-list, the payloads do what the tests above prevent."""
    from hydra.utils import instantiate as raw

    p = _payloads(tmp_path)
    raw(p["F.np.savetxt"])
    assert (tmp_path / "pwned").exists()
    (tmp_path / "pwned").unlink()
    raw(p["atomic_write_text"])
    assert (tmp_path / "pwned").exists()
    (tmp_path / "pwned").unlink()
    raw(p["imported class Path"])
    assert (tmp_path / "pwned").exists()


@pytest.mark.parametrize("name", ["oc.create node", "oc.select node", "nested in select default"])
def test_resolved_tree_is_checked_even_if_a_config_builder_were_allowed(
    name, tmp_path, monkeypatch
):
    """Second layer: with oc.create let through, the target it builds is still found and refused."""
    monkeypatch.setattr(inst, "ALLOWED_RESOLVERS", inst.ALLOWED_RESOLVERS | {"oc.create"})
    cfg = OmegaConf.create(_interpolation_payloads(tmp_path, monkeypatch)[name])
    with pytest.raises(ConfigError, match="'torch.nn.functional.np' is the module 'numpy'"):
        inst.check_targets(cfg)
    _assert_intact(tmp_path)
