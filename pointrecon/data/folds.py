"""Deterministic splits of an indexed data set: k folds and ratio splits."""

from __future__ import annotations

import numpy as np

from pointrecon.data.scan_spec import SPLITS


def kfold_indices(
    num_items: int, num_folds: int, fold: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training part and of fold ``fold`` in a seeded k-fold partition.

    The items are shuffled once with ``seed`` and cut into ``num_folds`` folds whose sizes differ
    by at most one; fold ``fold`` is held out. Over ``fold = 0 .. num_folds - 1`` the held-out
    parts partition ``range(num_items)``, which is what a sweep over ``data.fold`` relies on.

    Shapes:
        -> (train (num_items - n_f,) int64, held_out (n_f,) int64), each sorted
    """
    for name, v in (("num_items", num_items), ("num_folds", num_folds), ("fold", fold)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(v).__name__} {v!r}")
    if num_folds < 2:
        raise ValueError(f"num_folds must be >= 2, got {num_folds}")
    if num_items < num_folds:
        raise ValueError(f"num_items must be >= num_folds={num_folds}, got {num_items}")
    if not 0 <= fold < num_folds:
        raise ValueError(f"fold must lie in [0, {num_folds - 1}], got {fold}")
    perm = np.random.default_rng([seed, 0x4B464F4C]).permutation(num_items)
    parts = np.array_split(perm, num_folds)
    held = np.sort(parts[fold])
    train = np.sort(np.concatenate([p for i, p in enumerate(parts) if i != fold]))
    return train.astype(np.int64), held.astype(np.int64)


def ratio_split_indices(
    num_items: int,
    split: str,
    *,
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
) -> np.ndarray:
    """Sorted indices of ``split`` (train/val/test) in a seeded split by ``ratios``.

    Shapes:
        -> (n_split,) int64
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    r = np.asarray(ratios, dtype=np.float64)
    if r.shape != (3,) or (r < 0).any() or not r.sum() > 0:
        raise ValueError(
            f"ratios must be three non-negative numbers with a positive sum, got {ratios}"
        )
    r = r / r.sum()
    perm = np.random.default_rng([seed, 0x53504C54]).permutation(num_items)
    ends = np.round(np.cumsum(r) * num_items).astype(int)
    starts = np.concatenate([[0], ends[:-1]])
    i = SPLITS.index(split)
    return np.sort(perm[starts[i] : ends[i]]).astype(np.int64)
