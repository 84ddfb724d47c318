"""Resume is explicit: changed training settings stop with a diff unless resume_override=true,
which rebuilds the optimizer and schedule from the new config."""

from __future__ import annotations

import csv
import math

import pytest

from pointrecon.errors import CheckpointError
from pointrecon.train.assembly import build_trainer

SMALL = [
    "data.batch_size=4",
    "data.train.num_samples=8",
    "data.val.num_samples=4",
    "trainer.max_epochs=2",
    "optim.lr=0.002",
    "sched=cosine",
]


@pytest.fixture
def two_epoch_run(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    t = build_trainer(tiny_cfg(*SMALL), run)
    t.fit()
    t.close()
    return run


def _lrs(run) -> list[float]:
    with open(run / "metrics.csv") as fh:
        return [float(r["lr"]) for r in csv.DictReader(fh)]


def test_changed_epochs_or_lr_stop_with_a_diff(tiny_cfg, two_epoch_run):
    with pytest.raises(CheckpointError) as info:
        build_trainer(tiny_cfg(*SMALL, "trainer.max_epochs=4", "resume=true"), two_epoch_run)
    msg = str(info.value)
    assert "trainer.max_epochs: 2 -> 4" in msg and "sched.T_max: 2 -> 4" in msg
    assert "resume_override=true" in msg and "\n" not in msg
    with pytest.raises(CheckpointError, match=r"optim\.lr: 0\.002 -> 0\.01"):
        build_trainer(tiny_cfg(*SMALL, "optim.lr=0.01", "resume=true"), two_epoch_run)
    # unchanged settings resume exactly, with no complaint
    same = build_trainer(tiny_cfg(*SMALL, "resume=true"), two_epoch_run)
    assert same.epoch == 2 and same.resume_differences == []
    same.close()


def test_resume_override_uses_the_new_schedule(tiny_cfg, two_epoch_run):
    over = ["trainer.max_epochs=4", "optim.lr=0.004", "resume=true", "resume_override=true"]
    t = build_trainer(tiny_cfg(*SMALL, *over), two_epoch_run)
    assert t.epoch == 2
    t.fit()
    t.close()
    lrs = _lrs(two_epoch_run)
    assert len(lrs) == 4
    # epochs 3 and 4 follow cosine(lr0=0.004, T_max=4, eta_min=1e-5) from epoch 2 on; the old
    # restored schedule (T_max=2) would have climbed back up from eta_min instead
    eta = 1e-5
    expected = [eta + (0.004 - eta) * (1 + math.cos(math.pi * e / 4)) / 2 for e in (2, 3)]
    assert lrs[2:] == pytest.approx(expected, rel=1e-9)
    assert lrs[3] < lrs[2]
    note = (two_epoch_run / "resume_note.txt").read_text()
    assert "resume_override=true" in note and "optim.lr: 0.002 -> 0.004" in note
