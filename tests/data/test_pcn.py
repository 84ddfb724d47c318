"""PCN loader on a miniature tree in the exact public layout, written at test time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pointrecon.data.pcn import PCN, PCN_SYNSETS
from pointrecon.errors import DataError
from pointrecon.io import read_points, write_points

AIRPLANE, CHAIR = "02691156", "03001627"
# split -> synset -> model ids
MODELS = {
    "train": {AIRPLANE: ["a1", "a2"], CHAIR: ["c1"]},
    "val": {AIRPLANE: ["a3"], CHAIR: ["c2"]},
    "test": {AIRPLANE: ["a4"], CHAIR: ["c3", "c4"]},
}
N_VIEWS = 8


def view_cloud(rng: np.random.Generator, view: int, n: int) -> np.ndarray:
    """A partial cloud whose x coordinates sit in [10*view, 10*view + 1): the view is readable."""
    pts = rng.random((n, 3)).astype(np.float32)
    pts[:, 0] += 10.0 * view
    return pts


def build_pcn(root: Path, complete_size: int = 600) -> Path:
    rng = np.random.default_rng(0)
    for split, synsets in MODELS.items():
        for synset, models in synsets.items():
            for i, model in enumerate(models):
                views = N_VIEWS if split == "train" else 1
                for v in range(views):
                    n = 300 if (i + v) % 2 else 2500  # fewer and more points than n_partial
                    write_points(
                        root / split / "partial" / synset / model / f"{v:02d}.pcd",
                        view_cloud(rng, v, n),
                    )
                complete = (rng.random((complete_size, 3)) * [2.0, 1.0, 0.5] - 3.0).astype(
                    np.float32
                )
                write_points(root / split / "complete" / synset / f"{model}.pcd", complete)
    return root


@pytest.fixture(scope="module")
def pcn_root(tmp_path_factory) -> Path:
    return build_pcn(tmp_path_factory.mktemp("PCN"))


def rows_subset(rows: np.ndarray, reference: np.ndarray) -> bool:
    ref = {tuple(r) for r in np.asarray(reference, dtype=np.float32).tolist()}
    return all(tuple(r) in ref for r in np.asarray(rows, dtype=np.float32).tolist())


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_counts_categories_and_shapes(pcn_root, split):
    ds = PCN(pcn_root, split, n_partial=2048, n_complete=1024)
    expected = [(s, m) for s in sorted(MODELS[split]) for m in MODELS[split][s]]
    assert len(ds) == len(expected)
    for i, (synset, model) in enumerate(expected):
        item = ds[i]
        assert item["id"] == f"{synset}-{model}"
        assert item["category"] == PCN_SYNSETS[synset]
        assert item["label"] == sorted(PCN_SYNSETS).index(synset)
        assert tuple(item["partial"].shape) == (2048, 3)
        assert tuple(item["complete"].shape) == (1024, 3)
        assert item["partial"].dtype == item["complete"].dtype
        stored = read_points(pcn_root / split / "complete" / synset / f"{model}.pcd")
        assert rows_subset(item["complete"].numpy(), stored)  # as stored, no renormalisation
    assert ds.categories[:8] == [PCN_SYNSETS[s] for s in sorted(PCN_SYNSETS)]


def test_complete_kept_at_stored_size_and_resampled_otherwise(pcn_root):
    ds = PCN(pcn_root, "val", n_complete=600)
    stored = read_points(pcn_root / "val" / "complete" / AIRPLANE / "a3.pcd")
    np.testing.assert_array_equal(ds[0]["complete"].numpy(), stored)
    assert tuple(PCN(pcn_root, "val")[0]["complete"].shape) == (16384, 3)


def test_train_view_random_per_epoch_and_reproducible(pcn_root):
    ds = PCN(pcn_root, "train", seed=3)
    seen = []
    for epoch in range(16):
        ds.set_epoch(epoch)
        item = ds[0]
        x = item["partial"][:, 0].numpy()
        # the stored view is the one the item reports
        assert np.all((x >= 10 * item["view"]) & (x < 10 * item["view"] + 1))
        seen.append(item["view"])
    assert set(seen) <= set(range(N_VIEWS))
    assert len(set(seen)) >= 4  # 16 draws over 8 views
    # same seed and epoch -> same view and same resampled points
    again = PCN(pcn_root, "train", seed=3)
    again.set_epoch(5)
    ds.set_epoch(5)
    assert again[0]["view"] == seen[5]
    np.testing.assert_array_equal(again[0]["partial"].numpy(), ds[0]["partial"].numpy())


@pytest.mark.parametrize("split", ["val", "test"])
def test_val_test_always_view_00(pcn_root, split):
    ds = PCN(pcn_root, split)
    first = ds[0]["partial"].numpy()
    for epoch in (0, 1, 7):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            item = ds[i]
            assert item["view"] == 0
            assert np.all(item["partial"][:, 0].numpy() < 1.0)
        np.testing.assert_array_equal(ds[0]["partial"].numpy(), first)


def test_partial_resampled_from_stored_points(pcn_root):
    ds = PCN(pcn_root, "val")
    stored = read_points(pcn_root / "val" / "partial" / AIRPLANE / "a3" / "00.pcd")
    partial = ds[0]["partial"].numpy()
    assert rows_subset(partial, stored)
    if len(stored) >= 2048:  # a subset without replacement
        assert len(np.unique(partial, axis=0)) == 2048
    else:  # every stored point is kept
        assert len(np.unique(partial, axis=0)) == len(np.unique(stored, axis=0))


def test_normalize_option(pcn_root):
    item = PCN(pcn_root, "val", normalize=True, n_complete=600)[0]
    complete = item["complete"].numpy().astype(np.float64)
    centre = (complete.max(0) + complete.min(0)) / 2
    np.testing.assert_allclose(centre, 0.0, atol=1e-5)
    assert np.linalg.norm(complete, axis=1).max() == pytest.approx(1.0, abs=1e-5)


def test_categories_filter_and_unknown(pcn_root):
    ds = PCN(pcn_root, "test", categories=["chair"])
    assert len(ds) == 2 and {ds[i]["category"] for i in range(2)} == {"chair"}
    assert len(PCN(pcn_root, "test", categories=[AIRPLANE])) == 1
    with pytest.raises(ValueError, match="categories.*teapot"):
        PCN(pcn_root, "test", categories=["teapot"])


def test_category_file(tmp_path):
    root = build_pcn(tmp_path / "PCN", complete_size=50)
    entries = [
        {
            "taxonomy_id": AIRPLANE,
            "taxonomy_name": "airplane,aeroplane,plane",
            "train": ["a2"],
            "val": ["a3"],
            "test": ["a4"],
        },
        {"taxonomy_id": CHAIR, "taxonomy_name": "chair", "train": [], "val": [], "test": ["c4"]},
    ]
    (root / "PCN.json").write_text(json.dumps(entries))
    ds = PCN(root, "train")
    assert [ds[i]["id"] for i in range(len(ds))] == [f"{AIRPLANE}-a2"]
    assert ds[0]["category"] == "airplane"
    assert len(PCN(root, "test")) == 2
    entries[1]["test"].append("missing_model")
    (root / "PCN.json").write_text(json.dumps(entries))
    with pytest.raises(DataError, match="missing_model"):
        PCN(root, "test")
    (root / "PCN.json").write_text("{not json")
    with pytest.raises(DataError, match="PCN.json"):
        PCN(root, "test")


def test_broken_trees(tmp_path):
    root = build_pcn(tmp_path / "PCN", complete_size=50)
    missing = root / "val" / "complete" / CHAIR / "c2.pcd"
    missing.unlink()
    with pytest.raises(DataError, match="c2.pcd.*missing complete"):
        PCN(root, "val")
    for f in (root / "test" / "partial").rglob("*.pcd"):
        f.unlink()
    with pytest.raises(DataError, match="no PCN samples.*'test'"):
        PCN(root, "test")
    with pytest.raises(DataError, match="missing PCN folder"):
        PCN(tmp_path / "nowhere", "train")
    stray = root / "train" / "partial" / CHAIR / "c1" / "extra.pcd"
    write_points(stray, np.ones((3, 3), np.float32) * [1, 2, 3])
    with pytest.raises(DataError, match="extra.pcd"):
        PCN(root, "train")


def test_bad_arguments(pcn_root):
    with pytest.raises(ValueError, match="split.*'validation'"):
        PCN(pcn_root, "validation")
    with pytest.raises(ValueError, match="n_partial"):
        PCN(pcn_root, "val", n_partial=0)
    with pytest.raises(ValueError, match="epoch"):
        PCN(pcn_root, "val").set_epoch(-1)


def test_config_instantiates_every_split(pcn_root, data_config):
    from pointrecon.utils.instantiate import instantiate

    cfg = data_config("pcn", pcn_root)
    assert int(cfg.data.batch_size) > 0 and int(cfg.data.num_workers) >= 0
    for split in ("train", "val", "test"):
        ds = instantiate(cfg.data[split])
        assert isinstance(ds, PCN) and ds.split == split
        assert len(ds) == sum(len(m) for m in MODELS[split].values())
        assert not ds.normalize and ds.n_partial == 2048 and ds.n_complete == 16384
        assert (ds.transform is not None) == (split == "train")


def test_real_pcn_partials(real_data_dir, tmp_path):
    """PCN's own demo partial scans (real PCN files) load through a PCN tree."""
    import shutil

    synsets = {"airplane": AIRPLANE, "car": "02958343", "chair": CHAIR, "lamp": "03636649"}
    rng = np.random.default_rng(0)
    for name, synset in synsets.items():
        src = real_data_dir / "pointclouds" / f"pcn_{name}.pcd"
        if not src.is_file():
            pytest.skip(f"{src} not found")
        dst = tmp_path / "test" / "partial" / synset / "demo" / "00.pcd"
        dst.parent.mkdir(parents=True)
        shutil.copyfile(src, dst)
        write_points(tmp_path / "test" / "complete" / synset / "demo.pcd", rng.random((64, 3)))
    ds = PCN(tmp_path, "test", n_complete=64)
    assert [ds[i]["category"] for i in range(len(ds))] == sorted(synsets, key=lambda n: synsets[n])
    for i in range(len(ds)):
        stored = read_points(real_data_dir / "pointclouds" / f"pcn_{ds[i]['category']}.pcd")
        assert 500 < len(stored) < 2048  # the demo scans hold 753..1715 points
        partial = ds[i]["partial"].numpy()
        assert partial.shape == (2048, 3) and rows_subset(partial, stored)
        assert len(np.unique(partial, axis=0)) == len(np.unique(stored, axis=0))


def test_epoch_views_reach_dataloader_workers(pcn_root):
    from torch.utils.data import DataLoader

    from pointrecon.data import collate_completion

    ds = PCN(pcn_root, "train", seed=11)
    for epoch in (2, 3):
        ds.set_epoch(epoch)
        expected = [ds[i]["view"] for i in range(len(ds))]
        loader = DataLoader(ds, batch_size=2, num_workers=2, collate_fn=collate_completion)
        views = [int(v) for batch in loader for v in batch["view"]]
        assert views == expected


def test_transform_applies_one_map_to_both_clouds(pcn_root):
    from pointrecon.data.transforms import RandomMirror

    plain = PCN(pcn_root, "train", seed=2, n_complete=600)
    flipped = PCN(pcn_root, "train", seed=2, n_complete=600, transform=RandomMirror(["x"], p=1.0))
    for epoch in (0, 1):
        plain.set_epoch(epoch)
        flipped.set_epoch(epoch)
        a, b = plain[1], flipped[1]
        assert a["view"] == b["view"]
        for key in ("partial", "complete"):
            np.testing.assert_allclose(b[key].numpy(), a[key].numpy() * [-1.0, 1.0, 1.0])


# PCN's original release: flat test/ and test_novel/ folders, one partial per model.
BUS, BENCH = "02924116", "02828884"  # two of test_novel's unseen categories
FLAT = {"test": {AIRPLANE: ["f1", "f2"], CHAIR: ["f3"]}, "test_novel": {BUS: ["n1"], BENCH: ["n2"]}}


def build_flat_pcn(root: Path, n_partial_stored: int = 100) -> Path:
    """``<split>/partial/<synset>/<id>.pcd`` + ``<split>/complete/<synset>/<id>.pcd``."""
    rng = np.random.default_rng(1)
    for split, synsets in FLAT.items():
        for synset, models in synsets.items():
            for model in models:
                partial = rng.random((n_partial_stored, 3)).astype(np.float32) + 1.0
                write_points(root / split / "partial" / synset / f"{model}.pcd", partial)
                complete = rng.random((500, 3)).astype(np.float32)
                write_points(root / split / "complete" / synset / f"{model}.pcd", complete)
    return root


@pytest.mark.parametrize("split", ["test", "test_novel"])
def test_flat_original_layouts_load(tmp_path, split):
    root = build_flat_pcn(tmp_path / "shapenet")
    ds = PCN(root, split, n_partial=64, n_complete=500)
    expected = [(s, m) for s in sorted(FLAT[split]) for m in FLAT[split][s]]
    assert [ds[i]["id"] for i in range(len(ds))] == [f"{s}-{m}" for s, m in expected]
    for i, (synset, model) in enumerate(expected):
        item = ds[i]
        assert item["view"] == 0
        stored = read_points(root / split / "partial" / synset / f"{model}.pcd")
        assert rows_subset(item["partial"].numpy(), stored)
    names = {ds[i]["category"] for i in range(len(ds))}
    assert names == ({"airplane", "chair"} if split == "test" else {"bus", "bench"})


def test_flat_layout_ignores_category_file_without_that_split(tmp_path):
    root = build_flat_pcn(tmp_path / "shapenet")
    entries = [{"taxonomy_id": AIRPLANE, "taxonomy_name": "airplane", "test": ["f2"]}]
    (root / "PCN.json").write_text(json.dumps(entries))
    assert [PCN(root, "test")[0]["id"]] == [f"{AIRPLANE}-f2"]  # listed
    assert len(PCN(root, "test_novel")) == 2  # PCN.json has no test_novel list: read from disk


def test_flat_layout_errors(tmp_path):
    root = build_flat_pcn(tmp_path / "shapenet")
    nested = root / "test" / "partial" / CHAIR / "f9" / "00.pcd"
    write_points(nested, np.ones((3, 3), np.float32))
    with pytest.raises(DataError, match="mixes the per-view layout"):
        PCN(root, "test")
    nested.unlink()
    (root / "test" / "complete" / CHAIR / "f3.pcd").unlink()
    with pytest.raises(DataError, match="f3.pcd.*missing complete"):
        PCN(root, "test")
    train_flat = root / "train" / "partial" / CHAIR / "t1.pcd"
    write_points(train_flat, np.ones((3, 3), np.float32))
    (root / "train" / "complete").mkdir(parents=True)
    with pytest.raises(DataError, match="t1.pcd.*<model_id>/NN.pcd$"):
        PCN(root, "train")


@pytest.mark.parametrize("padding", ["repeat", "zeros"])
def test_padding_of_short_partials(tmp_path, padding):
    root = build_flat_pcn(tmp_path / "shapenet", n_partial_stored=100)
    ds = PCN(root, "test", n_partial=256, n_complete=500, padding=padding)
    item = ds[0]
    stored = read_points(root / "test" / "partial" / AIRPLANE / "f1.pcd")
    pts = item["partial"].numpy()
    assert pts.shape == (256, 3)
    # every stored point is kept once among the first 100 (stored points sit in [1, 2)^3)
    assert {tuple(r) for r in pts[:100].tolist()} == {tuple(r) for r in stored.tolist()}
    if padding == "zeros":
        assert np.all(pts[100:] == 0.0)
    else:
        assert rows_subset(pts[100:], stored)
    with pytest.raises(ValueError, match="padding.*'edge'"):
        PCN(root, "test", padding="edge")


def test_config_reads_flat_test_novel_and_zero_padding(tmp_path, data_config):
    from pointrecon.utils.instantiate import instantiate

    root = build_flat_pcn(tmp_path / "shapenet")
    cfg = data_config("pcn", root, **{"data.train.padding": "zeros"})
    for split in ("test", "test_novel"):
        ds = instantiate(cfg.data[split])
        assert isinstance(ds, PCN) and ds.split == split and ds.flat
        assert ds.padding == "zeros"
