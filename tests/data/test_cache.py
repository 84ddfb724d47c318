"""SampleCache: keyed by parameters, atomic writes, unreadable files are misses."""

from __future__ import annotations

import json
import os

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


# ---------------------------------------------------------------- verification
SMALL_DS = {"n_partial": 64, "n_complete": 128, "width": 40, "height": 30}


def _dataset(root):
    from pointrecon.data import SyntheticCompletion

    return SyntheticCompletion("val", 2, 0, cache_dir=root, **SMALL_DS)


def _same(a: dict, b: dict) -> bool:
    return sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)


def test_swapped_cache_file_is_detected_and_regenerated(tmp_path):
    ds = _dataset(tmp_path)
    ref0, ref1 = ds.generate(0), ds.generate(1)
    assert _same(ds.load(0), ref0) and _same(ds.load(1), ref1)  # now both cached
    f0, f1 = (ds.cache.path(ds.item_id(i)) for i in (0, 1))
    f0.write_bytes(f1.read_bytes())  # item 0's file now holds item 1's data
    with pytest.warns(UserWarning, match=rf"{f0.name}: cache file rejected \(written for sample"):
        got = _dataset(tmp_path).load(0)
    assert _same(got, ref0)
    assert _same(_dataset(tmp_path).load(0), ref0)  # and the file was rewritten


@pytest.mark.parametrize("keep_meta", [True, False])
def test_zeroed_cache_file_is_detected_and_regenerated(tmp_path, keep_meta):
    ds = _dataset(tmp_path)
    ref = ds.generate(0)
    ds.load(0)
    f = ds.cache.path(ds.item_id(0))
    with np.load(f) as z:
        arrays = {k: z[k] for k in z.files}
    zeros = {k: (np.zeros_like(v) if k != "__pointrecon_cache__" else v) for k, v in arrays.items()}
    if not keep_meta:
        zeros.pop("__pointrecon_cache__")
    np.savez(f, **zeros)
    reason = "checksum mismatch" if keep_meta else "no generating key"
    with pytest.warns(UserWarning, match=rf"{f.name}: cache file rejected \({reason}"):
        got = _dataset(tmp_path).load(0)
    assert _same(got, ref)


@pytest.mark.parametrize("damage", ["nan", "missing array", "wrong shape"])
def test_damaged_cache_file_names_the_file_and_regenerates(tmp_path, damage):
    ds = _dataset(tmp_path)
    ref = ds.generate(0)
    ds.load(0)
    f = ds.cache.path(ds.item_id(0))
    with np.load(f) as z:
        arrays = {k: z[k] for k in z.files}
    if damage == "nan":
        arrays["partial"] = arrays["partial"].copy()
        arrays["partial"][0, 0] = np.nan
    elif damage == "missing array":
        del arrays["complete"]
    else:
        arrays["partial"] = arrays["partial"][:10]
    np.savez(f, **arrays)
    with pytest.warns(UserWarning, match=rf"{f.name}: cache file rejected"):
        item = _dataset(tmp_path)[0]
    np.testing.assert_array_equal(item["partial"], ref["partial"])


def test_read_only_cache_folder_falls_back_to_no_cache(tmp_path):
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o555)
    try:
        if os.access(root, os.W_OK) and os.geteuid() == 0:
            # root writes anywhere: make the folder unusable as a folder instead
            root.chmod(0o755)
            root.rmdir()
            root.write_text("not a folder")
        ds = _dataset(root)
        with pytest.warns(UserWarning, match="cannot write the data cache.*without a cache"):
            got = ds.load(0)
        assert _same(got, ds.generate(0))
        assert ds.cache.disabled and ds.load(1) is not None  # no further warning, still works
    finally:
        if root.is_dir():
            root.chmod(0o755)
