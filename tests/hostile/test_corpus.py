"""Run every hostile-corpus case with a time bound: a clear DataError or an exact, full load."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import trimesh

from pointrecon.errors import DataError
from pointrecon.io import find_files, read_mesh, read_point_cloud

_spec = importlib.util.spec_from_file_location(
    "hostile_corpus", Path(__file__).with_name("corpus.py")
)
corpus = importlib.util.module_from_spec(_spec)
sys.modules["hostile_corpus"] = corpus  # dataclasses look their module up there
_spec.loader.exec_module(corpus)

TIME_BOUND_S = 10.0


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return corpus.build(tmp_path_factory.mktemp("hostile"))


def run_bounded(fn):
    """Run ``fn`` in a worker thread; fail the test if it does not finish within the bound."""
    box: dict = {}

    def work():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(TIME_BOUND_S)
    if t.is_alive():
        pytest.fail(f"reader did not finish within {TIME_BOUND_S} s (hang)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_corpus_size():
    assert len(corpus.CASES) >= 30
    assert len({c.name for c in corpus.CASES}) == len(corpus.CASES)


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda c: c.name)
def test_case(built, case, monkeypatch):
    if case.root_skip and hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip(case.root_skip)
    path = built[case.name]
    if case.simulate_permission_error:

        def denied(self, *a, **k):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
    reader = {
        "points": lambda: read_point_cloud(path, **case.kwargs),
        "mesh": lambda: read_mesh(path),
        "find_files": lambda: find_files(path, [".ply", ".off"]),
    }[case.kind]
    if case.error is not None:
        with pytest.warns(UserWarning) if case.kwargs.get("nan_policy") == "drop" else _null():
            with pytest.raises(DataError, match=case.error) as exc:
                run_bounded(reader)
        assert exc.value.path == os.fspath(path), "the error names the file"
        assert str(exc.value).startswith(os.fspath(path) + ": ")
        return
    if case.kwargs.get("nan_policy") == "drop":
        with pytest.warns(UserWarning, match="dropped"):
            out = run_bounded(reader)
    else:
        out = run_bounded(reader)
    if case.kind == "points":  # every point the file holds, no partial load
        assert out.points.shape == (case.count, 3) and out.points.dtype == np.float32
        assert np.isfinite(out.points).all()
    elif case.kind == "mesh":
        assert isinstance(out, trimesh.Trimesh) and out.faces.shape == (case.count, 3)
    else:
        assert len(out) == case.count and all(p.is_file() for p in out)
        assert sorted(p.name for p in out) == ["a.ply", "b.off"]


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
