"""SparseSliceCompletion: sparse contours and the complete surface of procedural shapes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from pointrecon.data import SparseSliceCompletion, collate_completion


@pytest.fixture(scope="module")
def data():
    return SparseSliceCompletion("test", 6, n_partial=512, n_complete=1024, resolution=[32, 40])


def test_items_are_contours_on_every_kth_slice(data):
    for i in range(len(data)):
        a = data.generate(i)
        assert a["partial"].shape == (512, 3) and a["complete"].shape == (1024, 3)
        zs = np.unique(a["partial"][:, 2])
        assert len(zs) <= a["slices"].shape[2]
        # the gaps between kept slices are multiples of k voxels (gap in the normalised frame)
        gap = a["spacing"][2] / a["norm_scale"]
        if len(zs) > 1:
            ratio = np.diff(zs) / gap
            np.testing.assert_allclose(ratio, np.round(ratio), atol=1e-3)
        # partial-fitted frame: the farthest contour point at radius 1
        c = a["partial"] - (a["partial"].min(0) + a["partial"].max(0)) / 2
        assert np.linalg.norm(c, axis=1).max() == pytest.approx(1.0, abs=1e-5)
        # contours lie on the true surface up to the voxel size
        voxel = a["spacing"][:2].max() / a["norm_scale"]
        d = cKDTree(a["complete"]).query(a["partial"])[0]
        assert np.median(d) < 1.5 * voxel


def test_deterministic_splits_differ_and_cache(tmp_path, data):
    a = data[0]
    b = SparseSliceCompletion("test", 6, n_partial=512, n_complete=1024, resolution=[32, 40])[0]
    np.testing.assert_array_equal(a["partial"], b["partial"])
    v = SparseSliceCompletion("val", 6, n_partial=512, n_complete=1024, resolution=[32, 40])
    assert v.item_id(0) != data.item_id(0)
    cached = SparseSliceCompletion(
        "test", 2, n_partial=512, n_complete=1024, resolution=[32, 40], cache_dir=tmp_path
    )
    first = cached[1]
    assert any(tmp_path.rglob("*.npz"))
    np.testing.assert_array_equal(cached[1]["complete"], first["complete"])
    stack = cached.sparse_stack(1)
    assert stack["slices"].dtype == np.uint8 and stack["k"] == 4
    batch = collate_completion([data[i] for i in range(3)])
    assert batch["partial"].points.shape == (3, 512, 3)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="split"):
        SparseSliceCompletion("dev", 4)
    with pytest.raises(ValueError, match="axis"):
        SparseSliceCompletion("test", 4, axis=3)
    with pytest.raises(ValueError, match="k"):
        SparseSliceCompletion("test", 4, k=0)
