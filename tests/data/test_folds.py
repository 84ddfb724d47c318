"""k-fold and ratio splits: partitions, determinism, balance."""

from __future__ import annotations

import numpy as np
import pytest

from pointrecon.data.folds import kfold_indices, ratio_split_indices


@pytest.mark.parametrize("n,k", [(10, 2), (23, 5), (7, 7)])
def test_folds_partition(n, k):
    held = [kfold_indices(n, k, f, seed=3)[1] for f in range(k)]
    allh = np.concatenate(held)
    assert sorted(allh.tolist()) == list(range(n))  # each item held out exactly once
    sizes = [len(h) for h in held]
    assert max(sizes) - min(sizes) <= 1
    for f in range(k):
        train, h = kfold_indices(n, k, f, seed=3)
        assert not set(train) & set(h) and len(train) + len(h) == n
    np.testing.assert_array_equal(kfold_indices(n, k, 1, seed=3)[1], held[1])


def test_seed_changes_folds():
    a = kfold_indices(30, 3, 0, seed=0)[1]
    b = kfold_indices(30, 3, 0, seed=1)[1]
    assert not np.array_equal(a, b)


def test_ratio_split_partition():
    parts = {
        s: ratio_split_indices(50, s, ratios=(0.6, 0.2, 0.2), seed=1)
        for s in ("train", "val", "test")
    }
    assert [len(p) for p in parts.values()] == [30, 10, 10]
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(50))


def test_errors():
    with pytest.raises(ValueError, match="fold must lie in"):
        kfold_indices(10, 5, 5)
    with pytest.raises(ValueError, match="num_folds must be >= 2"):
        kfold_indices(10, 1, 0)
    with pytest.raises(ValueError, match="num_items must be >= num_folds"):
        kfold_indices(3, 5, 0)
    with pytest.raises(ValueError, match="split must be one of"):
        ratio_split_indices(10, "dev")
