"""MeshFolderCompletion: categories from folders, splits, folds, cache, real meshes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh

import pointrecon.data.mesh_folder as mesh_folder
from pointrecon.data import MeshFolderCompletion, make_shape
from pointrecon.errors import DataError
from pointrecon.io import read_mesh, write_mesh

SMALL = dict(n_partial=32, n_complete=128, width=40, height=30)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for cat, ext in (("chair", ".obj"), ("mug", ".ply"), ("table", ".off")):
        for s in range(3):
            write_mesh(tmp_path / cat / f"{cat}{s}{ext}", make_shape(cat, s))
    return tmp_path


def _real_meshes() -> Path:
    env = os.environ.get("POINTRECON_REAL_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
    return root / "meshes"


def test_items_and_categories(folder):
    ds = MeshFolderCompletion(folder, "all", **SMALL)
    assert ds.categories == ("chair", "mug", "table") and len(ds) == 9
    item = ds[4]
    assert item["category"] == "mug" and item["label"] == 1
    assert item["id"] == "mug__mug1" and item["view"] == 0
    assert item["partial"].shape == (32, 3) and item["complete"].shape == (128, 3)
    # reference: the partial mapped back lies on the file's mesh surface
    arrays = ds.load(4)
    back = arrays["partial"] * arrays["norm_scale"] + arrays["norm_center"]
    mesh = read_mesh(folder / "mug" / "mug1.ply")
    _, dist, _ = trimesh.proximity.closest_point_naive(mesh, back[:16])
    assert dist.max() < 1e-5 * np.linalg.norm(mesh.extents)


def test_splits_and_folds_partition(folder):
    ids = {
        s: {x for x in MeshFolderCompletion(folder, s, seed=1, **SMALL).rel}
        for s in ("train", "val", "test")
    }
    assert not ids["train"] & ids["val"] and not ids["val"] & ids["test"]
    assert len(ids["train"] | ids["val"] | ids["test"]) == 9
    held = [
        set(MeshFolderCompletion(folder, "val", fold=f, num_folds=3, **SMALL).rel) for f in range(3)
    ]
    assert sum(map(len, held)) == 9 and len(set().union(*held)) == 9
    tr = set(MeshFolderCompletion(folder, "train", fold=0, num_folds=3, **SMALL).rel)
    assert not tr & held[0] and len(tr) == 6


def test_cache_and_views(folder, tmp_path, monkeypatch):
    calls = []
    real = mesh_folder.make_completion_pair
    monkeypatch.setattr(
        mesh_folder, "make_completion_pair", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    ds = MeshFolderCompletion(folder, "all", views_per_shape=2, cache_dir=tmp_path / "c", **SMALL)
    a0, a1 = ds[0], ds[1]
    assert (a0["view"], a1["view"]) == (0, 1) and torch.equal(a0["complete"], a1["complete"])
    assert not torch.equal(a0["partial"], a1["partial"])
    ds2 = MeshFolderCompletion(folder, "all", views_per_shape=2, cache_dir=tmp_path / "c", **SMALL)
    assert torch.equal(ds2[1]["partial"], a1["partial"]) and len(calls) == 2


def test_errors(tmp_path):
    with pytest.raises(DataError, match="no mesh files"):
        MeshFolderCompletion(tmp_path)
    with pytest.raises(DataError):
        MeshFolderCompletion(tmp_path / "missing")
    with pytest.raises(ValueError, match="split must be one of"):
        MeshFolderCompletion(tmp_path, "dev")


def test_real_meshes():
    root = _real_meshes()
    if not root.is_dir():
        pytest.skip(f"real data folder {root} not found")
    ds = MeshFolderCompletion(root, "all", **SMALL)
    assert len(ds) >= 1
    names = [r.rsplit(".", 1)[0] for r in ds.rel]
    i = names.index("suzanne") if "suzanne" in names else 0
    item = ds[i]
    assert torch.isfinite(item["partial"]).all() and torch.isfinite(item["complete"]).all()
    c = item["complete"].numpy()
    assert np.linalg.norm(c, axis=1).max() == pytest.approx(1, abs=1e-6)


def test_error_names_the_file(tmp_path):
    # a mesh with zero area: surface sampling fails, and the error names the file
    (tmp_path / "flat.obj").write_text("v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n")
    ds = MeshFolderCompletion(tmp_path, **SMALL)
    with pytest.raises(DataError, match="flat.obj"):
        ds[0]
