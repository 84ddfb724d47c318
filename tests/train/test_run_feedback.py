"""What a training run tells its user: the start line, the first-step estimate (with the smaller
presets on a slow CPU), one line per epoch, all of it in ``train.log``; debug presets that win
over command-line limits; TensorBoard hyperparameters and config; no empty folder after a
failure."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pointrecon.cli.train import remove_empty_run_folder, run_train
from pointrecon.train import trainer as trainer_mod
from pointrecon.train.assembly import debug_caps, trainer_settings

SMALL = [
    "data.batch_size=4",
    "data.train.num_samples=8",
    "data.val.num_samples=4",
    "data.test.num_samples=4",
    "trainer.max_epochs=2",
]


def test_debug_fast_caps_an_explicit_max_epochs(compose):
    cfg = compose("train", ["trainer.max_epochs=50", "trainer.limit_val_batches=7", "debug=fast"])
    assert cfg.trainer.max_epochs == 50  # Hydra: the command line wins over config files ...
    s = trainer_settings(cfg)  # ... and the debug preset's caps win over that
    assert (s.max_epochs, s.limit_train_batches, s.limit_val_batches) == (1, 2, 1)
    _, notes = debug_caps(cfg)
    assert any("trainer.max_epochs 50 -> 1" in n for n in notes)
    # a cap can be raised or lifted on the command line
    s = trainer_settings(
        compose("train", ["trainer.max_epochs=50", "debug=fast", "debug_caps.max_epochs=3"])
    )
    assert s.max_epochs == 3
    s = trainer_settings(
        compose("train", ["trainer.max_epochs=50", "debug=fast", "debug_caps=null"])
    )
    assert (s.max_epochs, s.limit_train_batches) == (50, 2)
    # a smaller explicit value stays
    assert (
        trainer_settings(
            compose("train", ["debug=fast", "trainer.limit_train_batches=1"])
        ).limit_train_batches
        == 1
    )
    assert trainer_settings(compose("train", ["trainer.max_epochs=50"])).max_epochs == 50


def test_console_lines_are_in_train_log(tiny_cfg, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(trainer_mod, "SLOW_EPOCH_S", 0.0)  # every epoch counts as slow here
    run_train(tiny_cfg(*SMALL), tmp_path / "run")
    out = capsys.readouterr().out
    log = (tmp_path / "run" / "train.log").read_text()
    for needle in (
        "training Reconstructor (",
        "first training step:",
        "This is long for a CPU",
        "`debug=fast`",
        "`experiment=demo`",
        "epoch 1/2 | train loss ",
        "val CD-L1 (x1e3) ",
        "lower is better",
        "ETA ",
        "epoch 2/2 | ",
        "trained 2 epochs",
    ):
        assert needle in out, needle
        assert needle in log, needle
    assert out.count("This is long for a CPU") == 1  # one message, from the first step
    assert "[WARNING] first training step:" in log


def test_a_fast_run_gets_the_estimate_without_the_warning(tiny_cfg, tmp_path, capsys):
    run_train(tiny_cfg(*SMALL, "trainer.max_epochs=1"), tmp_path / "run")
    out = capsys.readouterr().out
    assert "first training step:" in out and "This is long" not in out


def test_tensorboard_has_hparams_and_the_config(tiny_cfg, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    run_train(tiny_cfg(*SMALL, "trainer.tensorboard=true", "optim.lr=0.00123"), tmp_path / "r")
    ea = EventAccumulator(str(tmp_path / "r" / "tb"), size_guidance={"tensors": 0})
    ea.Reload()
    content = ea.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(content)
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    ).session_start_info
    assert start.hparams["optim.lr"].number_value == pytest.approx(0.00123)
    assert start.hparams["data.batch_size"].number_value == 4
    assert start.hparams["seed"].number_value == 0
    assert start.hparams["model._target_"].string_value == "Reconstructor"
    assert "hparam/cd_l1" in ea.Tags()["scalars"]
    text = ea.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert text.startswith("```yaml\n") and text.rstrip().endswith("```")
    assert "lr: 0.00123" in text


def test_a_failed_run_leaves_no_empty_folder(tmp_path, tiny, data_cache):
    run = tmp_path / "run"
    res = subprocess.run(
        [sys.executable, "-m", "pointrecon.cli.train", *tiny, *SMALL,
         f"paths.root_dir={tmp_path}", f"paths.cache_dir={data_cache}",
         "optim.lr=-1", f"hydra.run.dir={run}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 1 and "optim.lr must be a finite number" in res.stderr
    assert "removed the run folder" in res.stderr
    assert not run.exists()


def test_only_scaffold_folders_are_removed(tmp_path):
    empty = tmp_path / "a"
    (empty / ".hydra").mkdir(parents=True)
    (empty / ".hydra" / "config.yaml").write_text("x: 1\n")
    (empty / "train.log").write_text("")
    (empty / "checkpoints").mkdir()
    (empty / "tb").mkdir()
    (empty / "tb" / "events.out.tfevents.1.host").write_bytes(b"")
    assert remove_empty_run_folder(empty) and not empty.exists()
    for name in ("notes.txt", "metrics.csv"):
        kept = tmp_path / name.replace(".", "_")
        (kept / ".hydra").mkdir(parents=True)
        (kept / name).write_text("mine")
        assert not remove_empty_run_folder(kept) and (kept / name).exists()
    ck = tmp_path / "ck"
    (ck / "checkpoints" / "epoch_0001").mkdir(parents=True)
    assert not remove_empty_run_folder(ck) and ck.exists()
    # a file, or a link to the user's folder, where a run keeps its checkpoints: not scaffold
    as_file = tmp_path / "as_file"
    as_file.mkdir()
    (as_file / "checkpoints").write_text("mine")
    assert not remove_empty_run_folder(as_file) and (as_file / "checkpoints").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "tb").symlink_to(mine, target_is_directory=True)
    assert not remove_empty_run_folder(linked) and (linked / "tb").is_symlink()


@pytest.mark.filterwarnings("ignore:Seems like `optimizer.step\\(\\)` has been overridden")
def test_the_estimate_leaves_out_the_first_steps_warm_up(tiny_cfg, tmp_path, capsys, monkeypatch):
    """A first step 50 s longer than the others (warm-up) does not enter the estimate."""
    from pointrecon.train.assembly import Assembly

    clock = {"t": 0.0, "steps": 0}
    monkeypatch.setattr(trainer_mod.time, "perf_counter", lambda: clock["t"])
    cfg = tiny_cfg(*SMALL, "trainer.max_epochs=1", "data.train.num_samples=16")
    trainer = Assembly(cfg).trainer(tmp_path / "run")
    step = trainer.optimizer.step

    def timed_step(*args, **kwargs):  # the only thing that advances the clock
        clock["steps"] += 1
        clock["t"] += 52.0 if clock["steps"] == 1 else 2.0
        return step(*args, **kwargs)

    monkeypatch.setattr(trainer.optimizer, "step", timed_step)
    assert len(trainer.train_loader) == 4
    try:
        trainer.fit()
    finally:
        trainer.close()
    out = capsys.readouterr().out
    # 4 batches: 2.0 s x 4 = 8.0 s per epoch, from steps 2 and 3; with the first step's 52 s
    # the estimate would have been 3.5 min
    assert "first training step: 52 s, then 2.0 s per step; estimated 8.0 s per epoch" in out
