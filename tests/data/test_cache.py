"""SampleCache: keyed by parameters, atomic writes, unreadable files are misses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pointrecon.data.cache import SampleCache


def test_round_trip_and_params(tmp_path):
    c = SampleCache(tmp_path, "x", {"n": 3, "noise": 0.1})
    assert c.load("a") is None
    arrays = {"partial": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.float64(2.5)}
    c.save("a", arrays)
    got = c.load("a")
    np.testing.assert_array_equal(got["partial"], arrays["partial"])
    assert got["s"] == 2.5 and got["partial"].dtype == np.float32
    assert json.loads((c.dir / "params.json").read_text()) == {"n": 3, "noise": 0.1}
    same = SampleCache(tmp_path, "x", {"noise": 0.1, "n": 3})  # key order does not matter
    other = SampleCache(tmp_path, "x", {"n": 4, "noise": 0.1})
    assert same.dir == c.dir and other.dir != c.dir and other.load("a") is None


def test_truncated_file_is_a_miss(tmp_path):
    c = SampleCache(tmp_path, "x", {})
    c.save("a", {"p": np.zeros((100, 3))})
    data = c.path("a").read_bytes()
    c.path("a").write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="unreadable cache file"):
        assert c.load("a") is None
