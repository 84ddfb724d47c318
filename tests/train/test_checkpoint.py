"""Checkpoints: round trip, atomic writes, untrusted configs and malicious pickles."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from pointrecon.errors import CheckpointError
from pointrecon.train import checkpoint as ck
from pointrecon.train.seed import get_rng_state, set_rng_state


def _model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3))


def _same(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


CFG = {"model": {"_target_": "torch.nn.Linear", "in_features": 3, "out_features": 3}}


def test_round_trip_with_weights_only_load(tmp_path):
    model = _model(0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    state = {"epoch": 3, "global_step": 30, "optimizer": opt.state_dict(), "rng": get_rng_state()}
    ck.save_checkpoint(tmp_path, "epoch_0003", model, state, CFG, pointers=("last", "best"))
    path = ck.resolve_checkpoint(tmp_path, "best")
    assert path == tmp_path / "epoch_0003"
    # also reachable as <checkpoints>/best and <run> (a folder holding checkpoints/)
    assert ck.resolve_checkpoint(tmp_path / "best") == path
    other = _model(1)
    assert not _same(model, other)
    ck.load_weights(other, path)
    assert _same(model, other)
    loaded = torch.load(path / "state.pt", weights_only=True)  # plain containers only
    assert loaded["epoch"] == 3 and loaded["global_step"] == 30
    opt2 = torch.optim.AdamW(other.parameters(), lr=1e-3)
    opt2.load_state_dict(ck.load_state(path)["optimizer"])
    assert torch.equal(
        opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"]
    )
    assert OmegaConf.to_container(ck.load_config(path)) == CFG


def test_rng_state_survives_a_weights_only_round_trip(tmp_path):
    import random

    import numpy as np

    torch.manual_seed(5)
    random.seed(5)
    np.random.seed(5)
    torch.save(get_rng_state(), tmp_path / "rng.pt")
    expected = (torch.rand(3), random.random(), np.random.rand())
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    got = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(expected[0], got[0]) and expected[1:] == got[1:]


def test_interrupted_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    first = _model(0)
    ck.save_checkpoint(tmp_path, "epoch_0001", first, {"epoch": 1}, CFG)

    def crash(obj, f, *args, **kwargs):  # half a file, then the process "dies"
        Path(f).write_bytes(b"\x80\x02 half written")
        raise KeyboardInterrupt("simulated crash during torch.save")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(tmp_path, "epoch_0002", _model(1), {"epoch": 2}, CFG)
    # the same name being overwritten crashes too
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(tmp_path, "epoch_0001", _model(2), {"epoch": 9}, CFG)
    monkeypatch.undo()

    path = ck.resolve_checkpoint(tmp_path, "last")
    assert path == tmp_path / "epoch_0001"
    restored = _model(3)
    ck.load_weights(restored, path)
    assert _same(first, restored)
    assert ck.load_state(path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0001", "last.json"]


def test_interrupted_pointer_write_keeps_old_pointer(tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path, "epoch_0001", _model(0), {"epoch": 1}, CFG)
    import pointrecon.utils.atomic as atomic

    def crash(self, data):  # dies while writing the temporary pointer file
        raise KeyboardInterrupt("crash")

    monkeypatch.setattr(atomic.Path, "write_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(tmp_path, "epoch_0002", _model(1), {"epoch": 2}, CFG)
    monkeypatch.undo()
    assert ck.resolve_checkpoint(tmp_path, "last") == tmp_path / "epoch_0001"
    assert ck.load_state(ck.resolve_checkpoint(tmp_path))["epoch"] == 1


class _Evil:
    """Unpickling this creates a marker file (stands in for arbitrary code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_malicious_pickle_is_refused_without_running(tmp_path, writer):
    ck.save_checkpoint(tmp_path, "epoch_0001", _model(0), {"epoch": 1}, CFG)
    marker = tmp_path / "pwned"
    evil = {"epoch": 1, "optimizer": _Evil(marker)}
    state_file = tmp_path / "epoch_0001" / "state.pt"
    if writer == "torch.save":
        torch.save(evil, state_file)
    else:
        state_file.write_bytes(pickle.dumps(evil))
    with pytest.raises(CheckpointError, match=r"state\.pt: refused to load"):
        ck.load_state(tmp_path / "epoch_0001")
    assert not marker.exists()
    # the payload is live: a plain unpickle would have run it
    if writer == "pickle":
        pickle.loads(state_file.read_bytes())
        assert marker.exists()


def test_checkpoint_config_with_forbidden_target_is_refused(tmp_path):
    bad = {"model": {"_target_": "os.system", "command": f"touch {tmp_path / 'pwned'}"}}
    ck.save_checkpoint(tmp_path, "epoch_0001", _model(0), {"epoch": 1}, bad)
    with pytest.raises(CheckpointError, match=r"os\.system.*outside the allowed prefixes"):
        ck.load_config(tmp_path / "epoch_0001")
    # a trusted prefix given by the caller (never by the checkpoint itself) lifts the refusal,
    # but only for what really lives in that package: os.system is posix.system
    with pytest.raises(CheckpointError, match="from module 'posix'"):
        ck.load_config(tmp_path / "epoch_0001", ["os."])
    ok = {"model": {"_target_": "collections.OrderedDict"}}
    ck.save_checkpoint(tmp_path, "epoch_0002", _model(0), {"epoch": 2}, ok)
    assert ck.load_config(tmp_path / "epoch_0002", ["collections."]).model._target_ == (
        "collections.OrderedDict"
    )
    assert not (tmp_path / "pwned").exists()


def test_eval_refuses_checkpoint_with_forbidden_target(tmp_path, compose):
    from pointrecon.cli.evaluate import run_eval

    bad = {"model": {"_target_": "os.system", "command": f"touch {tmp_path / 'pwned'}"}}
    ck.save_checkpoint(tmp_path / "run" / "checkpoints", "epoch_0001", _model(0), {"epoch": 1}, bad)
    cfg = compose("eval", [f"ckpt={tmp_path / 'run'}"])
    with pytest.raises(CheckpointError, match=r"os\.system"):
        run_eval(cfg, tmp_path / "eval")
    assert not (tmp_path / "pwned").exists()


def test_missing_or_wrong_checkpoints_raise_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        ck.resolve_checkpoint(tmp_path / "nope")
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        ck.resolve_checkpoint(tmp_path)
    ck.save_checkpoint(tmp_path, "epoch_0001", _model(0), {"epoch": 1}, CFG)
    with pytest.raises(CheckpointError, match="do not match the model"):
        ck.load_weights(nn.Linear(3, 3), tmp_path / "epoch_0001")
    (tmp_path / "epoch_0001" / "state.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="state.pt"):
        ck.load_state(tmp_path / "epoch_0001")


def test_old_checkpoints_are_pruned_but_best_is_kept(tmp_path):
    ck.save_checkpoint(tmp_path, "epoch_0001", _model(0), {"epoch": 1}, pointers=("last", "best"))
    ck.save_checkpoint(tmp_path, "epoch_0002", _model(1), {"epoch": 2})
    ck.save_checkpoint(tmp_path, "epoch_0003", _model(2), {"epoch": 3})
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["epoch_0001", "epoch_0003"]
    assert ck.resolve_checkpoint(tmp_path, "best").name == "epoch_0001"
    assert ck.resolve_checkpoint(tmp_path, "last").name == "epoch_0003"
