"""`python -m pointrecon.cli.sparse_slice_eval`: the baselines table without a checkpoint."""

from __future__ import annotations

import json

from pointrecon.cli import sparse_slice_eval as cli


def test_baselines_table(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert cli.main(["--num-samples", "2", "--num-points", "256", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| contours |" in text and "| linear_mc |" in text and "| model |" not in text
    res = json.loads(out.read_text())
    assert res["contours"]["count"] == 2
    # the interpolated surface is closer to the truth than the bare contours
    assert res["linear_mc"]["cd_l1"] < res["contours"]["cd_l1"]


def test_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nope"), "--num-samples", "1"]) == 1
    assert "nope" in capsys.readouterr().err
