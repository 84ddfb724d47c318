"""SyntheticCompletion: item contract, disjoint deterministic splits, cache, workers, folds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import pointrecon.data.synthetic as synthetic
from pointrecon.data import CATEGORIES, SyntheticCompletion, collate_completion, make_shape
from pointrecon.data.transforms import RandomRotation

SMALL = dict(n_partial=64, n_complete=256, width=48, height=36)


def test_item_contract():
    ds = SyntheticCompletion("train", 12, 3, return_depth=True, **SMALL)
    assert len(ds) == 12
    item = ds[5]
    assert item["partial"].shape == (64, 3) and item["partial"].dtype == torch.float32
    assert item["complete"].shape == (256, 3) and item["complete"].dtype == torch.float32
    assert item["depth"].shape == (1, 36, 48) and item["depth"].dtype == torch.float32
    assert item["category"] == CATEGORIES[5 % len(CATEGORIES)]
    assert item["label"] == CATEGORIES.index(item["category"])
    assert isinstance(item["id"], str) and item["view"] == 0
    # default normalisation (docs/conventions.md), recomputed on the complete cloud
    c = item["complete"].numpy()
    np.testing.assert_allclose((c.min(0) + c.max(0)) / 2, 0, atol=1e-6)
    assert np.linalg.norm(c, axis=1).max() == pytest.approx(1, abs=1e-6)
    # the item is the pair of the shape its key names
    category, seed, view = ds.shape_key(5)
    ref = synthetic.make_completion_pair(
        make_shape(category, seed), seed=seed, view=view, **{**ds.scan_kwargs}
    )
    np.testing.assert_array_equal(item["complete"].numpy(), ref["complete"])
    np.testing.assert_array_equal(item["partial"].numpy(), ref["partial"])


def test_splits_disjoint_and_deterministic():
    keys = {}
    for split in ("train", "val", "test"):
        ds = SyntheticCompletion(split, 60, 7, **SMALL)
        keys[split] = {ds.shape_key(i)[:2] for i in range(len(ds))}
        assert len(keys[split]) == 60
        again = SyntheticCompletion(split, 60, 7, **SMALL)
        assert [again.item_id(i) for i in range(60)] == [ds.item_id(i) for i in range(60)]
    assert not keys["train"] & keys["val"]
    assert not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]
    other_seed = SyntheticCompletion("train", 60, 8, **SMALL)
    assert not {other_seed.shape_key(i)[:2] for i in range(60)} & keys["train"]
    a = SyntheticCompletion("val", 4, 7, **SMALL)[2]
    b = SyntheticCompletion("val", 4, 7, **SMALL)[2]
    assert torch.equal(a["partial"], b["partial"]) and a["id"] == b["id"]


def test_views_per_shape_share_ground_truth():
    ds = SyntheticCompletion("train", 4, 0, views_per_shape=2, **SMALL)
    a, b = ds[0], ds[1]
    assert (a["view"], b["view"]) == (0, 1)
    assert torch.equal(a["complete"], b["complete"])
    assert not torch.equal(a["partial"], b["partial"])
    assert a["id"] != b["id"]


def test_cache_hit_avoids_regeneration(tmp_path, monkeypatch):
    calls = []
    real = synthetic.make_completion_pair

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(synthetic, "make_completion_pair", counting)
    ds = SyntheticCompletion("train", 5, 0, cache_dir=tmp_path, return_depth=True, **SMALL)
    first = [ds[i] for i in range(5)]
    assert len(calls) == 5
    ds2 = SyntheticCompletion("train", 5, 0, cache_dir=tmp_path, return_depth=True, **SMALL)
    second = [ds2[i] for i in range(5)]
    assert len(calls) == 5, "a cached sample was regenerated"
    for x, y in zip(first, second):
        assert torch.equal(x["partial"], y["partial"]) and torch.equal(x["depth"], y["depth"])
    # other generation parameters use another cache folder
    SyntheticCompletion("train", 5, 0, cache_dir=tmp_path, noise_std=0.01, **SMALL)[0]
    assert len(calls) == 6


def test_interrupted_cache_write_leaves_valid_files(tmp_path, monkeypatch):
    ds = SyntheticCompletion("train", 2, 0, cache_dir=tmp_path, **SMALL)
    ds[0]
    good = ds.cache.path(ds.item_id(0))
    before = good.read_bytes()

    def crash(file, **arrays):
        with open(file, "wb") as fh:
            fh.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        ds.cache.save(ds.item_id(0), {"partial": np.zeros((2, 3))})  # overwrite interrupted
    with pytest.raises(KeyboardInterrupt):
        ds[1]  # first write interrupted
    monkeypatch.undo()
    assert good.read_bytes() == before  # the old file is intact
    assert not ds.cache.path(ds.item_id(1)).exists()  # no half-written file under the real name
    assert not [p for p in ds.cache.dir.iterdir() if ".tmp" in p.name]  # temporaries removed
    # a corrupt file (written by something else) is a miss: regenerated and replaced
    ds.cache.path(ds.item_id(1)).write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="unreadable cache file"):
        item = ds[1]
    ref = SyntheticCompletion("train", 2, 0, **SMALL)[1]
    assert torch.equal(item["partial"], ref["partial"])
    assert ds.cache.load(ds.item_id(1)) is not None


def test_dataloader_workers_generate_and_cache(tmp_path):
    ds = SyntheticCompletion("val", 8, 1, cache_dir=tmp_path, **SMALL)
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=collate_completion)
    batches = list(loader)
    assert [b["partial"].points.shape for b in batches] == [(4, 64, 3)] * 2
    assert len(list(ds.cache.dir.glob("*.npz"))) == 8
    ref = [ds[i] for i in range(8)]  # now loaded from the cache written by the workers
    got = torch.cat([b["partial"].points for b in batches])
    assert torch.equal(got, torch.stack([r["partial"] for r in ref]))


def test_transform_seeded_by_epoch():
    ds = SyntheticCompletion("train", 2, 0, transform=RandomRotation("y"), **SMALL)
    plain = SyntheticCompletion("train", 2, 0, **SMALL)[0]
    a, b = ds[0], ds[0]
    assert torch.equal(a["partial"], b["partial"])
    assert not torch.allclose(a["partial"], plain["partial"])
    ds.set_epoch(1)
    assert not torch.allclose(ds[0]["partial"], a["partial"])


def test_folds_partition_the_pool():
    n, k = 20, 4
    held = []
    for fold in range(k):
        tr = SyntheticCompletion("train", n, 2, fold=fold, num_folds=k, **SMALL)
        va = SyntheticCompletion("val", 3, 2, fold=fold, num_folds=k, pool_size=n, **SMALL)
        tr_keys = {tr.shape_key(i)[:2] for i in range(len(tr))}
        va_keys = {va.shape_key(i)[:2] for i in range(len(va))}
        assert not tr_keys & va_keys and len(tr_keys | va_keys) == n
        held.append(va_keys)
    union = set().union(*held)
    assert len(union) == n and sum(len(h) for h in held) == n
    pool = SyntheticCompletion("train", n, 2, **SMALL)
    assert union == {pool.shape_key(i)[:2] for i in range(n)}


def test_bad_arguments():
    with pytest.raises(ValueError, match="split must be one of"):
        SyntheticCompletion("dev", 4)
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        SyntheticCompletion("train", 0)
    with pytest.raises(ValueError, match="category must be one of"):
        SyntheticCompletion("train", 4, categories=["chair", "spaceship"])
    with pytest.raises(ValueError, match="fold and num_folds go together"):
        SyntheticCompletion("train", 4, fold=1)
    with pytest.raises(IndexError, match="out of range"):
        SyntheticCompletion("train", 4)[4]


def test_scan_settings_drawn_per_item_from_ranges(monkeypatch):
    """Ranges are drawn per item, inside their bounds, the same on every call, and varied."""
    from pointrecon.data.scan_spec import ScanSpec

    seen = []
    real = ScanSpec.draw

    def spy(self, rng):
        drawn = real(self, rng)
        seen.append(
            {k: getattr(drawn, k) for k in ("num_views", "noise_std", "dropout", "distance")}
        )
        return drawn

    monkeypatch.setattr(ScanSpec, "draw", spy)
    ds = SyntheticCompletion(
        "train", 6, n_partial=64, n_complete=128, num_views=[1, 3], noise_std=[0.0, 0.01],
        dropout=[0.0, 0.2], distance=[2.0, 3.0],
    )  # fmt: skip
    for i in range(6):
        ds.generate(i)
    first = list(seen)
    for i in range(6):
        ds.generate(i)
    assert seen[6:] == first
    for s in first:
        assert s["num_views"] in (1, 2, 3) and isinstance(s["num_views"], int)
        assert 0.0 <= s["noise_std"] <= 0.01 and 0.0 <= s["dropout"] <= 0.2
        assert 2.0 <= s["distance"] <= 3.0
    assert len({s["noise_std"] for s in first}) == 6
    with pytest.raises(ValueError, match="noise_std"):
        SyntheticCompletion("train", 2, noise_std=[0.1, 0.0])
    with pytest.raises(ValueError, match="num_views"):
        SyntheticCompletion("train", 2, num_views=[1, 2, 3])
