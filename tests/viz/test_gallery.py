"""Evaluation-run gallery: sample selection by metric, HTML referencing only existing files."""

from __future__ import annotations

import csv
import warnings
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from pointrecon.errors import DataError
from pointrecon.viz.gallery import render_eval_gallery, select_samples


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("src", "href") and value:
                self.refs.append(value)


def make_run(root: Path, *, missing: str | None = None) -> Path:
    """A fake evaluation run: 2 categories x 4 samples, cd_l1 = known values."""
    rng = np.random.default_rng(0)
    (root / "samples").mkdir(parents=True)
    rows = []
    for cat in ("chair", "lamp"):
        for i, cd in enumerate([0.04, 0.01, 0.03, 0.02]):
            sid = f"{cat}-{i}"
            rows.append({"id": sid, "category": cat, "cd_l1": cd, "fscore": 1 - cd * 10})
            if sid == missing:
                continue
            gt = rng.normal(size=(300, 3)).astype(np.float32)
            np.savez(root / "samples" / f"{sid}.npz", partial=gt[:100], pred=gt + cd, gt=gt)
    with open(root / "per_sample.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "category", "cd_l1", "fscore"])
        w.writeheader()
        w.writerows(rows)
    return root


def test_select_best_median_worst(tmp_path):
    from pointrecon.viz.gallery import read_per_sample

    rows = read_per_sample(make_run(tmp_path) / "per_sample.csv")
    sel = select_samples(rows, "cd_l1")
    assert [(r, row["id"]) for r, row in sel["chair"]] == [
        ("best", "chair-1"),
        ("median", "chair-2"),
        ("worst", "chair-0"),
    ]
    # F-score: higher is better, so the order flips.
    sel = select_samples(rows, "fscore")
    assert [row["id"] for _, row in sel["lamp"]] == ["lamp-1", "lamp-2", "lamp-0"]
    with pytest.raises(ValueError, match="metric.*'emd'"):
        select_samples(rows, "emd")


def test_gallery_html_references_existing_files(tmp_path):
    run = make_run(tmp_path / "run", missing="lamp-0")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = render_eval_gallery(run, width=64, height=64, progress=False)
    assert any("1 of 8 samples have no" in str(w.message) for w in caught)  # warned once
    assert page == run / "gallery" / "index.html"
    parser = _Refs()
    parser.feed(page.read_text())
    # lamp-0 (the worst lamp) was not saved: the lamps are ranked among the three saved ones
    assert len(parser.refs) == 6
    for ref in parser.refs:
        assert (page.parent / ref).is_file(), ref
    text = page.read_text()
    assert "chair-1" in text and "0.01" in text and "<h2>lamp</h2>" in text
    assert "lamp-2" in text and "lamp-0" not in text


def test_gallery_without_any_saved_sample_is_an_error(tmp_path):
    run = make_run(tmp_path / "run")
    for f in (run / "samples").iterdir():
        f.unlink()
    with pytest.warns(UserWarning, match="8 of 8"), pytest.raises(DataError, match="no saved"):
        render_eval_gallery(run, width=64, height=64, progress=False)


def test_gallery_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        render_eval_gallery(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="per_sample.csv"):
        render_eval_gallery(tmp_path / "empty")
