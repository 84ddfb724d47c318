"""PointCloudFolder on a miniature folder of mixed formats written at test time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from pointrecon.data.pointcloud_folder import PointCloudFolder
from pointrecon.errors import DataError
from pointrecon.io import normalize, read_points, write_mesh, write_points


def cloud(rng: np.random.Generator, n: int, offset: float) -> np.ndarray:
    return (rng.random((n, 3)) * [2.0, 1.0, 0.5] + offset).astype(np.float32)


def build_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    write_points(root / "partial" / "chair" / "a.pcd", cloud(rng, 100, 0.0))
    write_points(root / "complete" / "chair" / "a.ply", cloud(rng, 700, 0.0))
    for v in range(2):  # two views of one object in a folder
        write_points(root / "partial" / "table" / "b" / f"{v:02d}.xyz", cloud(rng, 3000, 5.0 + v))
    write_points(root / "complete" / "table" / "b.npy", cloud(rng, 900, 5.0))
    write_points(root / "partial" / "top.csv", cloud(rng, 50, -1.0))
    write_points(root / "complete" / "top.npz", cloud(rng, 400, -1.0))
    mesh = trimesh.creation.box(extents=(2.0, 1.0, 0.5))
    write_points(root / "partial" / "mug" / "c.pcd", np.asarray(mesh.vertices[:4], np.float32))
    write_mesh(root / "complete" / "mug" / "c.obj", mesh)
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return build_folder(tmp_path_factory.mktemp("clouds"))


def rows_subset(rows: np.ndarray, reference: np.ndarray, atol: float = 1e-5) -> bool:
    from scipy.spatial import cKDTree

    d, _ = cKDTree(reference).query(rows)
    return bool(np.all(d <= atol))


def test_pairs_counts_categories(folder):
    ds = PointCloudFolder(folder, n_partial=256, n_complete=512, normalize=False)
    assert len(ds) == 5
    ids = [ds[i]["id"] for i in range(len(ds))]
    assert ids == ["chair__a", "mug__c", "table__b__00", "table__b__01", "top"]
    assert ds.categories == ["chair", "mug", "object", "table"]
    assert [ds[i]["category"] for i in range(5)] == ["chair", "mug", "table", "table", "object"]
    assert [ds[i]["label"] for i in range(5)] == [0, 1, 3, 3, 2]
    assert [ds[i]["view"] for i in range(5)] == [0, 0, 0, 1, 0]
    for i in range(5):
        item = ds[i]
        assert tuple(item["partial"].shape) == (256, 3)
        assert tuple(item["complete"].shape) == (512, 3)
    # the points come from the matched files, as stored
    item = ds[3]
    assert rows_subset(item["partial"].numpy(), read_points(folder / "partial/table/b/01.xyz"))
    assert rows_subset(item["complete"].numpy(), read_points(folder / "complete/table/b.npy"))


def test_mesh_complete_sampled_on_surface(folder):
    item = PointCloudFolder(folder, n_complete=300, normalize=False)[1]
    pts = item["complete"].numpy()
    box = np.abs(pts) / [1.0, 0.5, 0.25]
    np.testing.assert_allclose(box.max(axis=1), 1.0, atol=1e-4)


def test_normalisation_fitted_on_complete(folder):
    raw = PointCloudFolder(folder, n_partial=64, n_complete=700, normalize=False)[0]
    item = PointCloudFolder(folder, n_partial=64, n_complete=700)[0]
    ref_complete, norm = normalize(raw["complete"].numpy())
    # same seed -> same resampling; values match the reference normalisation
    np.testing.assert_allclose(
        np.sort(item["complete"].numpy(), 0), np.sort(ref_complete, 0), atol=1e-5
    )
    np.testing.assert_allclose(
        item["partial"].numpy(), norm.apply(raw["partial"].numpy()), atol=1e-5
    )


def test_split_subfolder(tmp_path):
    build_folder(tmp_path / "data" / "train")
    assert len(PointCloudFolder(tmp_path / "data", split="train")) == 5
    with pytest.raises(DataError, match="val/partial"):
        PointCloudFolder(tmp_path / "data", split="val")


def test_broken_folders(tmp_path):
    root = build_folder(tmp_path / "f")
    (root / "complete" / "chair" / "a.ply").unlink()
    with pytest.raises(DataError, match="a.pcd.*no complete shape.*complete/chair/a"):
        PointCloudFolder(root)
    write_points(root / "complete" / "chair" / "a.xyz", cloud(np.random.default_rng(1), 10, 0))
    write_points(root / "complete" / "chair" / "a.pcd", cloud(np.random.default_rng(1), 10, 0))
    with pytest.raises(DataError, match="ambiguous"):
        PointCloudFolder(root)
    with pytest.raises(DataError, match="MeshFolderCompletion"):
        PointCloudFolder(tmp_path / "meshes_only")
    empty = tmp_path / "empty"
    (empty / "partial").mkdir(parents=True)
    (empty / "complete").mkdir()
    with pytest.raises(DataError, match="no point cloud"):
        PointCloudFolder(empty)
    with pytest.raises(ValueError, match="nan_policy"):
        PointCloudFolder(root, nan_policy="ignore")


def test_config_instantiates_every_split(tmp_path, data_config):
    from pointrecon.utils.instantiate import instantiate

    for split in ("train", "val", "test"):
        build_folder(tmp_path / split)
    cfg = data_config("pointcloud_folder", tmp_path)
    for split in ("train", "val", "test"):
        ds = instantiate(cfg.data[split])
        assert isinstance(ds, PointCloudFolder) and len(ds) == 5
        assert ds.root == tmp_path / split


def test_real_cloud_with_nan_points(real_data_dir, tmp_path):
    """An organized real capture with NaN points: an error by default, dropped on request."""
    import shutil

    src = real_data_dir / "pointclouds" / "pcl_table_scene_mug_stereo_textured.pcd"
    if not src.is_file():
        pytest.skip(f"{src} not found")
    shutil.copyfile(src, tmp_path / "scene.pcd")
    (tmp_path / "partial").mkdir()
    shutil.copyfile(src, tmp_path / "partial" / "scene.pcd")
    write_points(tmp_path / "complete" / "scene.npy", np.eye(3, dtype=np.float32))
    with pytest.raises(DataError, match="scene.pcd.*NaN"):
        PointCloudFolder(tmp_path, n_partial=512, n_complete=16)[0]
    with pytest.warns(UserWarning):
        item = PointCloudFolder(tmp_path, n_partial=512, n_complete=16, nan_policy="drop")[0]
    assert np.isfinite(item["partial"].numpy()).all()
    assert tuple(item["partial"].shape) == (512, 3)


def test_geo_referenced_pairs_share_one_frame(tmp_path):
    """A LAS partial and a LAZ complete each read relative to their own offset; the pair is
    expressed in one frame, so the partial still lies on the complete shape."""
    pytest.importorskip("laspy")
    rng = np.random.default_rng(0)
    origin = np.array([636_000.0, 4_189_000.0, 120.0])
    complete = origin + rng.random((800, 3)) * [20.0, 10.0, 4.0]
    partial = complete[complete[:, 0] < origin[0] + 6.0]  # one end: a different bbox centre
    meta = {"format": "las", "scales": [1e-4] * 3}
    write_points(tmp_path / "partial" / "scan.las", partial, meta=meta)
    write_points(tmp_path / "complete" / "scan.laz", complete, meta=meta)
    for norm in (False, True):
        item = PointCloudFolder(tmp_path, n_partial=128, n_complete=800, normalize=norm)[0]
        p, c = item["partial"].numpy(), item["complete"].numpy()
        assert rows_subset(p, c, atol=1e-3 if not norm else 1e-4)
        if not norm:  # the complete's origin: small float32 coordinates, nothing collapsed
            assert np.abs(c).max() < 50.0 and len(np.unique(c, axis=0)) == 800
