"""One live training per run folder: a second run is refused at once; a dead owner's lock is
taken over; default run folders differ even when started in the same second."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from pointrecon.errors import RunLockedError
from pointrecon.train.assembly import build_trainer
from pointrecon.train.run_lock import RunLock

SMALL = [
    "data.batch_size=4",
    "data.train.num_samples=8",
    "data.val.num_samples=4",
    "trainer.max_epochs=2",
]


def test_second_lock_is_refused_and_names_the_owner(tmp_path):
    with RunLock(tmp_path) as lock:
        owner = json.loads(lock.path.read_text())
        assert owner["pid"] == os.getpid() and owner["host"]
        with pytest.raises(RunLockedError, match=f"pid {os.getpid()} on host"):
            RunLock(tmp_path)
    RunLock(tmp_path).release()  # free again once released


def test_lock_of_a_killed_process_is_taken_over(tmp_path):
    code = (
        "import sys, time; from pointrecon.train.run_lock import RunLock; "
        f"RunLock({str(tmp_path)!r}); print('held', flush=True); time.sleep(60)"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {proc.pid} "):
            RunLock(tmp_path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with pytest.warns(UserWarning, match=f"stale lock of pid {proc.pid}"):
        lock = RunLock(tmp_path)
    assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    lock.release()


def test_two_trainings_into_one_folder(tiny_cfg, tmp_path):
    run = tmp_path / "run"
    first = build_trainer(tiny_cfg(*SMALL), run)
    with pytest.raises(RunLockedError, match="another training is running in this run folder"):
        build_trainer(tiny_cfg(*SMALL), run)
    summary = first.fit()
    first.close()
    assert summary["epoch"] == 2
    assert sorted(p.name for p in (run / "checkpoints").iterdir() if p.is_dir())[-1] == "epoch_0002"
    assert len((run / "metrics.csv").read_text().splitlines()) == 3  # header + 2 epochs
    build_trainer(tiny_cfg(*SMALL, "resume=true"), run).close()  # free once the first has ended


def test_default_run_folders_differ_within_one_second(compose):
    from hydra.core.global_hydra import GlobalHydra

    dirs = []
    for _ in range(3):
        cfg = compose("train", [], return_hydra_config=True)
        dirs.append(str(cfg.hydra.run.dir))
        GlobalHydra.instance().clear()
    assert len(set(dirs)) == 3, dirs
    # down to the microsecond: the old per-second names were equal within one second
    assert all(re.search(r"/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d-\d{6}$", d) for d in dirs), dirs
