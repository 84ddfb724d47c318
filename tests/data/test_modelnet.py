"""ModelNet loader on a miniature ModelNet10 tree (OFF files written at test time)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from pointrecon.data.modelnet import MODELNET10_CLASSES, MODELNET40_CLASSES, ModelNet
from pointrecon.errors import DataError
from pointrecon.io import read_mesh

HALF = np.array([1.0, 0.5, 0.25])  # half extents of every test box


def off_text(mesh: trimesh.Trimesh, joined: bool) -> str:
    head = f"{len(mesh.vertices)} {len(mesh.faces)} 0"
    lines = [f"OFF{head}" if joined else f"OFF\n{head}"]
    lines += [" ".join(f"{c:.6f}" for c in v) for v in mesh.vertices]
    lines += ["3 " + " ".join(str(int(i)) for i in f) for f in mesh.faces]
    return "\n".join(lines) + "\n"


def build_modelnet(root: Path, n_train: int = 2, n_test: int = 1) -> Path:
    box = trimesh.creation.box(extents=2 * HALF)
    k = 0
    for cls in MODELNET10_CLASSES:
        for split, count in (("train", n_train), ("test", n_test)):
            for _ in range(count):
                k += 1
                path = root / cls / split / f"{cls}_{k:04d}.off"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(off_text(box, joined=k % 2 == 0))  # half of them malformed
    return root


@pytest.fixture(scope="module")
def mn_root(tmp_path_factory) -> Path:
    return build_modelnet(tmp_path_factory.mktemp("ModelNet10"))


def test_counts_splits_and_labels(mn_root):
    train = ModelNet(mn_root, "train", 10, val_fraction=0.5)
    val = ModelNet(mn_root, "val", 10, val_fraction=0.5)
    test = ModelNet(mn_root, "test", 10)
    assert (len(train), len(val), len(test)) == (10, 10, 10)
    train_ids = {path.stem for _, path in train.samples}
    val_ids = {path.stem for _, path in val.samples}
    assert not train_ids & val_ids
    assert len(ModelNet(mn_root, "train", 10, val_fraction=0.0)) == 20
    assert {c for c, _ in test.samples} == set(MODELNET10_CLASSES)
    for cls, path in test.samples:
        assert path.parent.name == "test" and path.parent.parent.name == cls
    assert test.classes == sorted(MODELNET10_CLASSES)
    assert len(MODELNET40_CLASSES) == 40 == len(set(MODELNET40_CLASSES))
    sub = ModelNet(mn_root, "test", 10, categories=["sofa", "chair"])
    assert [c for c, _ in sub.samples] == ["chair", "sofa"]
    with pytest.raises(ValueError, match="categories.*'airplane'"):
        ModelNet(mn_root, "test", 10, categories=["airplane"])


def test_joined_off_header_reads_like_a_good_one(mn_root):
    good = read_mesh(mn_root / "bathtub" / "train" / "bathtub_0001.off")
    joined_path = mn_root / "bathtub" / "train" / "bathtub_0002.off"
    assert joined_path.read_text().startswith("OFF8 12 0\n")
    joined = read_mesh(joined_path)
    np.testing.assert_allclose(joined.vertices, good.vertices)
    np.testing.assert_array_equal(joined.faces, good.faces)


def test_items_are_normalised_pairs_on_the_surface(mn_root):
    ds = ModelNet(mn_root, "test", 10, n_partial=256, n_complete=512, seed=1)
    item = ds[3]
    assert item["category"] == MODELNET10_CLASSES[3] and item["label"] == 3
    assert item["id"] == ds.samples[3][1].stem
    partial, complete = item["partial"].numpy(), item["complete"].numpy()
    assert partial.shape == (256, 3) and complete.shape == (512, 3)
    # default normalisation (docs/conventions.md) fitted on the complete cloud
    centre = (complete.max(0) + complete.min(0)) / 2
    np.testing.assert_allclose(centre, 0.0, atol=0.05)
    assert np.linalg.norm(complete - centre, axis=1).max() <= 1.0 + 1e-5
    # both clouds lie on the box surface: back in the box frame, max(|x|/h) == 1 for each point
    scale = HALF[0] / np.abs(complete[:, 0] - centre[0]).max()  # samples lie on the x faces
    for pts in (partial, complete):
        box_coords = np.abs((pts - centre) * scale) / HALF
        np.testing.assert_allclose(box_coords.max(axis=1), 1.0, atol=1e-3)


def test_reproducible_and_new_scan_each_training_epoch(mn_root, tmp_path):
    kw = dict(n_partial=128, n_complete=256, seed=5, cache_dir=tmp_path / "cache")
    ds = ModelNet(mn_root, "train", 10, **kw)
    first = ds[0]
    again = ModelNet(mn_root, "train", 10, n_partial=128, n_complete=256, seed=5)[0]
    np.testing.assert_array_equal(first["partial"].numpy(), again["partial"].numpy())
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1
    np.testing.assert_array_equal(ds[0]["partial"].numpy(), first["partial"].numpy())  # cached
    ds.set_epoch(1)
    second = ds[0]
    assert second["view"] == 1 and first["view"] == 0
    assert not np.array_equal(second["partial"].numpy(), first["partial"].numpy())
    np.testing.assert_array_equal(second["complete"].numpy(), first["complete"].numpy())


def test_broken_trees(tmp_path):
    root = build_modelnet(tmp_path / "ModelNet10", n_train=1, n_test=1)
    with pytest.raises(DataError, match="airplane/test.*missing class/split folder"):
        ModelNet(root, "test", 40)
    assert len(ModelNet(root, "test", 40, categories=["bathtub"])) == 1
    (root / "airplane").mkdir()
    with pytest.raises(DataError, match=r"\['airplane'\] are not ModelNet10 classes"):
        ModelNet(root, "test", 10)
    (root / "airplane").rmdir()
    for f in (root / "desk" / "test").iterdir():
        f.unlink()
    (root / "desk" / "test").rmdir()
    with pytest.raises(DataError, match="desk/test.*missing class/split folder"):
        ModelNet(root, "test", 10)
    with pytest.raises(DataError, match="no .off mesh.*'val'"):
        ModelNet(root, "val", 10, categories=["chair"], val_fraction=0.4)
    bad = root / "chair" / "train" / "chair_0100.off"
    bad.write_text("OFF\n8 12 0\n0 0 0\n")
    ds = ModelNet(root, "train", 10, categories=["chair"], val_fraction=0.0)
    index = [p for _, p in ds.samples].index(bad)
    with pytest.raises(DataError, match="chair_0100.off"):
        ds[index]
    with pytest.raises(ValueError, match="num_classes"):
        ModelNet(root, "test", 20)


@pytest.mark.parametrize("name", ["modelnet10", "modelnet40"])
def test_configs_instantiate(mn_root, tmp_path, name, data_config):
    from pointrecon.utils.instantiate import instantiate

    cfg = data_config(name, mn_root, **{"data.train.val_fraction": 0.5})
    cfg.data.train.cache_dir = str(tmp_path)
    if name == "modelnet40":  # the ModelNet10 tree lacks the other 30 classes
        with pytest.raises(Exception, match="missing class/split folder") as info:
            instantiate(cfg.data.train)
        # hydra may wrap the error in its InstantiationException
        assert isinstance(info.value, DataError) or isinstance(info.value.__cause__, DataError)
        cfg.data.train.categories = ["chair", "sofa"]
    sizes = {}
    for split in ("train", "val", "test"):
        ds = instantiate(cfg.data[split])
        assert isinstance(ds, ModelNet) and ds.split == split
        assert ds.num_classes == int(name[-2:]) and ds.cache_dir == tmp_path
        sizes[split] = len(ds)
    expected = 10 if name == "modelnet10" else 2
    assert sizes == {"train": expected, "val": expected, "test": expected}
