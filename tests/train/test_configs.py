"""Every config root, experiment, sweep and group option composes, and its objects instantiate."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch
from hydra.types import RunMode
from omegaconf import OmegaConf

from pointrecon.config import compose as compose_root
from pointrecon.config import conf_dir
from pointrecon.errors import ConfigError
from pointrecon.utils.instantiate import instantiate

CONF = Path(conf_dir())


def compose_config(name, overrides=None, **kw):
    return compose_root(name, list(overrides or []), **kw)


EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
SWEEPS = sorted(p.stem for p in (CONF / "sweep").glob("*.yaml"))


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def _build_training_objects(cfg, with_model: bool = True) -> None:
    """Model, loss, optimizer and scheduler, exactly as the trainer builds them."""
    model = instantiate(cfg.model) if with_model else torch.nn.Linear(3, 3)
    assert isinstance(model, torch.nn.Module)
    loss = instantiate(cfg.loss)
    assert isinstance(loss, torch.nn.Module)
    opt = instantiate(cfg.optim)(model.parameters())
    assert isinstance(opt, torch.optim.Optimizer)
    assert opt.param_groups[0]["lr"] == pytest.approx(cfg.optim.lr)
    if cfg.sched.get("_target_"):
        sched = instantiate(cfg.sched)(opt)
        assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)


def test_expected_groups_exist():
    for group, needed in {
        "optim": {"adam", "adamw"},
        "sched": {"cosine", "step", "none"},
        "trainer": {"cpu", "gpu", "ddp"},
        "experiment": {"refiner_ablation", "demo"},
        "debug": {"fast"},
    }.items():
        assert needed <= set(_options(group)), group


@pytest.mark.parametrize("root", ["train", "eval", "reconstruct"])
def test_root_defaults_end_with_experiment_and_debug(root):
    defaults = OmegaConf.load(CONF / f"{root}.yaml").defaults
    keys = [next(iter(d)) if not isinstance(d, str) else d for d in defaults]
    assert keys[-2:] in (["experiment", "debug"], ["sweep", "debug"]) and "experiment" in keys


def test_train_root_instantiates():
    cfg = compose_config("train")
    _build_training_objects(cfg)
    for split in ("train", "val", "test"):
        assert cfg.data[split]["_target_"].startswith("pointrecon.")
    OmegaConf.to_container(cfg, resolve=True)  # every interpolation resolves


def test_eval_and_reconstruct_roots_compose():
    e = compose_config("eval", ["ckpt=some/run"])
    assert e.split == "test"
    assert list(e.baselines) == ["input", "mirror", "input_dense", "mirror_dense"]
    OmegaConf.to_container(e, resolve=True)
    r = compose_config("reconstruct", ["ckpt=c", "input=a.ply", "output=b.ply"])
    assert (r.input, r.output, r.mesh) == ("a.ply", "b.ply", False)
    OmegaConf.to_container(r, resolve=True)
    assert compose_config("reconstruct", ["input=a.ply", "output=b.ply"]).ckpt is None
    m = compose_config("eval_meshes", ["dir=meshes"])
    assert (m.dir, m.ckpt, m.views, m.n_complete) == ("meshes", None, 3, 16384)
    OmegaConf.to_container(m, resolve=True)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_and_instantiates(experiment):
    cfg = compose_config("train", [f"experiment={experiment}"])
    _build_training_objects(cfg)


@pytest.mark.parametrize("option", ["optim", "sched", "trainer", "loss", "debug", "sweep"])
def test_every_group_option_composes(option):
    for name in _options(option):
        cfg = compose_config("train", [f"{option}={name}"])
        if option in ("optim", "sched"):
            _build_training_objects(cfg, with_model=False)
        if option == "loss":
            assert isinstance(instantiate(cfg.loss), torch.nn.Module)


def test_refiner_ablation_sweeps_refiner_and_order():
    cfg = compose_config("train", ["experiment=refiner_ablation"], return_hydra_config=True)
    params = cfg.hydra.sweeper.params
    assert cfg.hydra.mode == RunMode.MULTIRUN
    refiners = params["model/refiner"].split(",")
    orders = params["model.refiner.order"].split(",")
    assert refiners == ["identity", "gru", "lstm"] and orders == ["morton", "hilbert", "none"]
    seen = set()
    for refiner, order in itertools.product(refiners, orders):
        job = compose_config(
            "train",
            [
                "experiment=refiner_ablation",
                f"model/refiner={refiner}",
                f"model.refiner.order={order}",
            ],
        )
        built = instantiate(job.model.refiner)
        assert (built.steps == 0) == (refiner == "identity")
        assert (sum(p.numel() for p in built.parameters()) == 0) == (refiner == "identity")
        assert f"order={order!r}" in repr(built) or refiner == "identity"
        if refiner != "identity":
            assert job.model.refiner.order == order and job.model.refiner.cell == refiner
        seen.add((refiner, order))
    assert len(seen) == 9


def test_submitit_slurm_launcher_composes():
    cfg = compose_config(
        "train",
        ["hydra/launcher=submitit_slurm", "hydra.launcher.partition=gpu"],
        return_hydra_config=True,
    )
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert launcher.partition == "gpu" and launcher.gpus_per_node == 1


def test_submitit_launcher_config_matches_the_plugin_schema():
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    from hydra_plugins.hydra_submitit_launcher.config import SlurmQueueConf

    ours = set(OmegaConf.load(CONF / "hydra" / "launcher" / "submitit_slurm.yaml"))
    assert ours <= set(OmegaConf.structured(SlurmQueueConf)) | {"_target_"}
    # with the plugin installed, Hydra validates our file against its schema and can build it
    from hydra.utils import instantiate as hydra_instantiate

    cfg = compose_config("train", ["hydra/launcher=submitit_slurm"], return_hydra_config=True)
    launcher = hydra_instantiate(cfg.hydra.launcher)
    assert type(launcher).__name__ == "SlurmLauncher"


def test_command_line_target_outside_allow_list_is_refused(tmp_path):
    from pointrecon.cli.train import run_train

    marker = tmp_path / "marker"
    cfg = compose_config("train", ["model._target_=os.system", f"+model.command=touch {marker}"])
    with pytest.raises(ConfigError, match=r"os\.system"):
        run_train(cfg, tmp_path / "run")
    assert not marker.exists()
    assert not (tmp_path / "run").exists()
