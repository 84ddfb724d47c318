"""ShapeNet-55/34 loader and PoinTr's crop protocol on a miniature tree written at test time."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pointrecon.data.shapenet55 import (
    DIFFICULTIES,
    FIXED_VIEWPOINTS,
    SHAPENET55_SYNSETS,
    ShapeNet55,
    aggregate_by_difficulty,
    crop_nearest,
    parse_test_id,
)
from pointrecon.errors import DataError

AIRPLANE, CHAIR, MUG = "02691156", "03001627", "03797390"
FILES = {
    "train": [f"{AIRPLANE}-m1.npy", f"{CHAIR}-m2.npy"],
    "test": [f"{CHAIR}-m3.npy", f"{MUG}-m4.npy"],
}


def build_tree(root: Path) -> Path:
    rng = np.random.default_rng(0)
    pc = root / "shapenet_pc"
    pc.mkdir(parents=True)
    for name in FILES["train"] + FILES["test"]:
        pts = rng.standard_normal((8192, 3)) * [3.0, 1.0, 0.5] + [5.0, -2.0, 1.0]
        np.save(pc / name, pts.astype(np.float32))
    for variant in ("ShapeNet-55", "ShapeNet-34"):
        (root / variant).mkdir()
        for split, names in FILES.items():
            (root / variant / f"{split}.txt").write_text("\n".join(names) + "\n")
    (root / "ShapeNet-Unseen21").mkdir()
    (root / "ShapeNet-Unseen21" / "test.txt").write_text(f"{MUG}-m4.npy\n")
    return root


@pytest.fixture(scope="module")
def sn_root(tmp_path_factory) -> Path:
    return build_tree(tmp_path_factory.mktemp("ShapeNet55-34"))


def naive_pc_norm(points: np.ndarray) -> np.ndarray:
    p = points.astype(np.float64)
    p = p - p.mean(axis=0)
    return p / max(np.sqrt((q**2).sum()) for q in p)


def rows_in(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    ref = {tuple(r) for r in reference.tolist()}
    return np.array([tuple(r) in ref for r in rows.tolist()])


def test_counts_and_categories(sn_root):
    train = ShapeNet55(sn_root, "train", "55")
    test = ShapeNet55(sn_root, "test", "55")
    assert len(train) == 2
    assert len(test) == 2 * 3 * 8  # models x difficulties x viewpoints
    assert [train[i]["category"] for i in range(2)] == ["airplane", "chair"]
    assert train[1]["label"] == sorted(SHAPENET55_SYNSETS).index(CHAIR)
    assert len(SHAPENET55_SYNSETS) == 55
    novel = ShapeNet55(sn_root, "test_novel", "34", difficulties=["hard"])
    assert len(novel) == 8 and novel[0]["category"] == "mug"
    assert len(ShapeNet55(sn_root, "val", "34")) == 2  # val reads the test list
    with pytest.raises(ValueError, match="split.*'test_novel'"):
        ShapeNet55(sn_root, "test_novel", "55")


def test_complete_is_pointr_unit_sphere_normalised(sn_root):
    ds = ShapeNet55(sn_root, "test", difficulties=["easy"])
    raw = np.load(sn_root / "shapenet_pc" / FILES["test"][0])
    np.testing.assert_allclose(ds[0]["complete"].numpy(), naive_pc_norm(raw), atol=1e-5)


@pytest.mark.parametrize("difficulty", ["easy", "median", "hard"])
def test_crop_protocol_removes_nearest_fraction(sn_root, difficulty):
    ds = ShapeNet55(sn_root, "test", difficulties=[difficulty])
    expected_removed = {"easy": 2048, "median": 4096, "hard": 6144}[difficulty]
    for view in (0, 5):
        item = ds[view]
        assert item["difficulty"] == difficulty and item["view"] == view
        assert item["num_removed"] == expected_removed == int(8192 * DIFFICULTIES[difficulty])
        np.testing.assert_array_equal(item["viewpoint"].numpy(), FIXED_VIEWPOINTS[view])
        complete = item["complete"].numpy()
        # naive reference: sort all points by distance to the viewpoint in plain Python
        vp = FIXED_VIEWPOINTS[view].astype(np.float64)
        dist = [float(np.sqrt(((p - vp) ** 2).sum())) for p in complete.astype(np.float64)]
        by_dist = sorted(range(len(dist)), key=lambda i: dist[i])
        removed = complete[by_dist[:expected_removed]]
        kept = complete[by_dist[expected_removed:]]
        partial = item["partial"].numpy()
        assert partial.shape == (2048, 3)
        assert rows_in(partial, kept).all()
        assert not rows_in(partial, removed).any()
        assert len(np.unique(partial, axis=0)) == 2048
        # every kept point is farther than every removed one
        assert min(dist[i] for i in by_dist[expected_removed:]) >= max(
            dist[i] for i in by_dist[:expected_removed]
        )


def test_crop_nearest_against_naive_argsort():
    rng = np.random.default_rng(1)
    pts = rng.standard_normal((500, 3)).astype(np.float32)
    for k in (0, 125, 250, 375, 500):
        vp = FIXED_VIEWPOINTS[k % 8]
        kept = crop_nearest(pts, vp, k)
        d = np.linalg.norm(pts.astype(np.float64) - vp, axis=1)
        naive_removed = set(sorted(range(500), key=lambda i: d[i])[:k])
        assert len(kept) == 500 - k
        assert set(kept.tolist()) == set(range(500)) - naive_removed
    with pytest.raises(ValueError, match="num_crop"):
        crop_nearest(pts, FIXED_VIEWPOINTS[0], 501)


def test_test_items_enumerate_difficulties_and_viewpoints(sn_root):
    ds = ShapeNet55(sn_root, "test")
    seen = set()
    for i in range(0, len(ds), 5):
        item = ds[i]
        model_id, difficulty, view = parse_test_id(item["id"])
        assert (item["difficulty"], item["view"]) == (difficulty, view)
        assert model_id == FILES["test"][i // 24].removesuffix(".npy")
        assert (difficulty, view) == (["easy", "median", "hard"][(i % 24) // 8], i % 8)
        seen.add((model_id, difficulty, view))
    assert len(seen) == len(range(0, len(ds), 5))
    # deterministic across epochs and instances
    ds.set_epoch(3)
    np.testing.assert_array_equal(ds[10]["partial"], ShapeNet55(sn_root, "test")[10]["partial"])


def test_train_random_crops_vary_by_epoch_and_reproduce(sn_root):
    ds = ShapeNet55(sn_root, "train", seed=7)
    removed, viewpoints = [], []
    for epoch in range(6):
        ds.set_epoch(epoch)
        item = ds[0]
        assert 2048 <= item["num_removed"] <= 6144
        assert item["difficulty"] == "random" and item["view"] == -1
        assert np.linalg.norm(item["viewpoint"].numpy()) == pytest.approx(1.0, abs=1e-5)
        assert item["partial"].shape == (2048, 3)
        removed.append(item["num_removed"])
        viewpoints.append(item["viewpoint"].numpy())
    assert len(set(removed)) > 1
    again = ShapeNet55(sn_root, "train", seed=7)
    again.set_epoch(4)
    ds.set_epoch(4)
    np.testing.assert_array_equal(again[0]["partial"].numpy(), ds[0]["partial"].numpy())
    # the random crop follows the same nearest-to-viewpoint rule
    item = ds[0]
    complete = item["complete"].numpy()
    kept = complete[crop_nearest(complete, item["viewpoint"].numpy(), item["num_removed"])]
    assert rows_in(item["partial"].numpy(), kept).all()


def test_aggregate_by_difficulty(tmp_path):
    rows = []
    # easy: chair items 1, 3 -> 2 ; mug item 6 -> 6 ; category mean (2 + 6) / 2 = 4
    for cat, v in (("chair", 1.0), ("chair", 3.0), ("mug", 6.0)):
        rows.append({"id": f"x-{cat}__easy_v0", "category": cat, "cd_l1": v})
    # hard via an explicit difficulty column: chair 10, mug 20 -> 15
    rows.append({"id": "y", "difficulty": "hard", "category": "chair", "cd_l1": 10.0})
    rows.append({"id": "z", "difficulty": "hard", "category": "mug", "cd_l1": "20.0"})
    table = aggregate_by_difficulty(rows, metrics=["cd_l1"])
    assert table["easy"]["cd_l1"] == pytest.approx(4.0)
    assert table["hard"]["cd_l1"] == pytest.approx(15.0)
    assert table["avg"]["cd_l1"] == pytest.approx(9.5)
    assert "median" not in table
    csv_path = tmp_path / "per_sample.csv"
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "category", "difficulty", "cd_l1"])
        writer.writeheader()
        writer.writerows(rows)
    assert aggregate_by_difficulty(csv_path, metrics=["cd_l1"]) == table
    flat = aggregate_by_difficulty(rows, metrics=["cd_l1"], by_category=False)
    assert flat["easy"]["cd_l1"] == pytest.approx(10.0 / 3)
    with pytest.raises(ValueError, match="missing metric column 'fscore'"):
        aggregate_by_difficulty(rows, metrics=["fscore"])
    with pytest.raises(ValueError, match="sample_id"):
        aggregate_by_difficulty([{"id": "no-difficulty", "cd_l1": 1.0}], metrics=["cd_l1"])


def test_broken_trees(tmp_path):
    root = build_tree(tmp_path / "ShapeNet55-34")
    (root / "shapenet_pc" / FILES["test"][1]).unlink()
    with pytest.raises(DataError, match=f"{MUG}-m4.npy.*test.txt line 2"):
        ShapeNet55(root, "test")
    (root / "ShapeNet-55" / "train.txt").write_text("\n")
    with pytest.raises(DataError, match="train.txt.*names no model"):
        ShapeNet55(root, "train")
    (root / "ShapeNet-55" / "train.txt").write_text("not-a-synset.npy\n")
    with pytest.raises(DataError, match="line 1.*'not-a-synset.npy'"):
        ShapeNet55(root, "train")
    (root / "ShapeNet-34" / "train.txt").unlink()
    with pytest.raises(DataError, match="ShapeNet-34/train.txt.*missing split list"):
        ShapeNet55(root, "train", "34")
    (root / "ShapeNet-34" / "test.txt").write_text(f"{CHAIR}-m3.npy\n")
    np.save(root / "shapenet_pc" / f"{CHAIR}-m3.npy", np.zeros((0, 3), np.float32))
    with pytest.raises(DataError, match="m3.npy"):
        ShapeNet55(root, "test", "34", difficulties=["easy"])[0]
    np.save(root / "shapenet_pc" / f"{CHAIR}-m3.npy", np.ones((8192, 3), np.float32))
    with pytest.raises(DataError, match="m3.npy.*identical"):
        ShapeNet55(root, "test", "34", difficulties=["easy"])[0]


@pytest.mark.parametrize("name", ["shapenet55", "shapenet34"])
def test_configs_instantiate_every_split(sn_root, name, data_config):
    from pointrecon.utils.instantiate import instantiate

    cfg = data_config(name, sn_root)
    splits = ["train", "val", "test"] + (["test_novel"] if name == "shapenet34" else [])
    for split in splits:
        ds = instantiate(cfg.data[split])
        assert isinstance(ds, ShapeNet55)
        assert (ds.split, ds.variant) == (split, name[-2:])
        assert ds.n_partial == 2048 and ds.n_complete == 8192
    assert len(instantiate(cfg.data.test)) == 2 * 24
