"""`pointrecon bench compare`: ratios between two runs against hand-computed values."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pointrecon.bench.compare import SCHEMA, compare_reports, format_compare, load_report
from pointrecon.errors import DataError


def _record(key, fwd, fb, mem, status="ok"):
    return {
        "key": key,
        "status": status,
        "forward": {"median_ms": fwd, "peak_mem_bytes": mem},
        "forward_backward": None if fb is None else {"median_ms": fb, "peak_mem_bytes": 2 * mem},
    }


def _report(records, name):
    return {"schema": SCHEMA, "env": {"device_name": name, "timestamp": "t"}, "results": records}


A = _report(
    [
        _record("ops/knn/x[N=1]", 10.0, 40.0, 100),
        _record("ops/fps/x[N=1]", 8.0, None, 50),
        _record("ops/only_a[N=1]", 1.0, None, 1),
        _record("ops/err[N=1]", 1.0, None, 1, status="error"),
    ],
    "dev-a",
)
B = _report(
    [
        _record("ops/fps/x[N=1]", 2.0, None, 25),
        _record("ops/knn/x[N=1]", 5.0, 10.0, 300),
        _record("ops/err[N=1]", 1.0, None, 1),
    ],
    "dev-b",
)


def test_compare_ratios_hand_computed():
    rows = {r["key"]: r for r in compare_reports(A, B)}
    assert set(rows) == {"ops/knn/x[N=1]", "ops/fps/x[N=1]"}  # only cases ok in both
    knn = rows["ops/knn/x[N=1]"]
    assert knn["forward_ratio"] == pytest.approx(0.5)  # 5 / 10
    assert knn["forward_backward_ratio"] == pytest.approx(0.25)  # 10 / 40
    assert knn["mem_ratio"] == pytest.approx(3.0)  # 600 / 200 (forward+backward peak)
    fps = rows["ops/fps/x[N=1]"]
    assert fps["forward_ratio"] == pytest.approx(0.25)
    assert fps["forward_backward_ratio"] is None
    assert fps["mem_ratio"] == pytest.approx(0.5)  # forward peak: 25 / 50


def test_format_compare_prints_ratios_and_unmatched():
    text = format_compare(A, B, names=("a.json", "b.json"))
    line = next(t for t in text.splitlines() if t.startswith("| ops/knn/x[N=1]"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1:] == ["10", "5", "0.500", "40", "10", "0.250", "3.000"]
    assert "dev-a" in text and "dev-b" in text
    assert "cases only in a: 1, only in b: 0" in text


def test_load_report_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_report(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match="JSON"):
        load_report(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "something/else"}))
    with pytest.raises(DataError, match="schema"):
        load_report(other)


def test_compare_command_line(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(A))
    b.write_text(json.dumps(B))
    out = subprocess.run(
        [sys.executable, "-m", "pointrecon.cli.bench", "compare", str(a), str(b)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "| ops/fps/x[N=1] | 8 | 2 | 0.250 |" in out


def test_compare_flag_in_process(tmp_path, capsys, monkeypatch):
    from pointrecon.cli import bench

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(A))
    b.write_text(json.dumps(B))
    monkeypatch.setattr(sys, "argv", ["pointrecon bench", "--compare", str(a), str(b)])
    assert bench.main() == 0
    assert "| ops/knn/x[N=1] | 10 | 5 | 0.500 |" in capsys.readouterr().out
    monkeypatch.setattr(sys, "argv", ["pointrecon bench", "compare", str(a), str(tmp_path / "x")])
    assert bench.main() == 2
    assert "file not found" in capsys.readouterr().err
