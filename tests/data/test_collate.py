"""collate_completion: batch shapes, dtypes, ragged clouds, depth stacking."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pointrecon.data import collate_completion
from pointrecon.types import PointBatch


def _sample(i: int, n: int = 8, m: int = 16, depth: bool = False) -> dict:
    rng = np.random.default_rng(i)
    s = {
        "partial": torch.from_numpy(rng.normal(size=(n, 3)).astype(np.float32)),
        "complete": torch.from_numpy(rng.normal(size=(m, 3)).astype(np.float32)),
        "category": f"c{i}",
        "label": i,
        "id": f"id{i}",
        "view": 2 * i,
    }
    if depth:
        s["depth"] = torch.full((2, 5, 6), float(i))
    return s


def test_fixed_size_batch():
    samples = [_sample(i, depth=True) for i in range(3)]
    out = collate_completion(samples)
    assert isinstance(out["partial"], PointBatch) and isinstance(out["complete"], PointBatch)
    assert out["partial"].points.shape == (3, 8, 3) and out["partial"].lengths is None
    assert out["complete"].points.shape == (3, 16, 3)
    for i, s in enumerate(samples):
        torch.testing.assert_close(out["partial"].points[i], s["partial"])
        torch.testing.assert_close(out["complete"].points[i], s["complete"])
    assert out["label"].dtype == torch.int64 and out["label"].tolist() == [0, 1, 2]
    assert out["view"].tolist() == [0, 2, 4]
    assert out["category"] == ["c0", "c1", "c2"] and out["id"] == ["id0", "id1", "id2"]
    assert out["depth"].shape == (3, 2, 5, 6)
    assert out["depth"][:, 0, 0, 0].tolist() == [0.0, 1.0, 2.0]


def test_ragged_and_no_depth():
    samples = [_sample(0, n=5), _sample(1, n=8)]
    out = collate_completion(samples)
    assert out["partial"].points.shape == (2, 8, 3)
    assert out["partial"].lengths.tolist() == [5, 8]
    torch.testing.assert_close(out["partial"][0], samples[0]["partial"])
    assert "depth" not in out


def test_errors():
    with pytest.raises(ValueError, match="non-empty sequence"):
        collate_completion([])
    bad = _sample(0)
    del bad["label"]
    with pytest.raises(ValueError, match=r"samples\[0\] lacks the keys \['label'\]"):
        collate_completion([bad])
