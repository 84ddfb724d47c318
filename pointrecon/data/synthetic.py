"""SyntheticCompletion: completion pairs from the procedural shapes, generated on demand and cached."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pointrecon.data.cache import SampleCache
from pointrecon.data.folds import kfold_indices
from pointrecon.data.pairs import make_completion_pair
from pointrecon.data.scan_spec import ScanSpec, split_code
from pointrecon.data.scanned import ScannedCompletion, Transform
from pointrecon.data.shapes import CATEGORIES, category_label, make_shape

GENERATOR_VERSION = 3  # bump when shapes or scans change, so old caches are not reused


def shape_seed(split: str, shape_index: int, seed: int) -> int:
    """The procedural seed of shape ``shape_index`` of ``split`` under base ``seed``.

    ``3 * shape_index + split_code + 3 * 2**32 * seed``: for one base seed, the three splits draw
    from disjoint residues mod 3, so they never share a shape (for shape_index < 2**32 / 3).
    """
    return 3 * int(shape_index) + split_code(split) + 3 * 2**32 * int(seed)


class SyntheticCompletion(ScannedCompletion):
    """Partial-scan / complete-surface pairs of procedural shapes.

    Item ``i`` is view ``i % views_per_shape`` of shape ``i // views_per_shape``; shape ``s`` has
    category ``categories[s % len(categories)]`` (balanced) and is drawn with
    :func:`shape_seed`. Each pair comes from :func:`~pointrecon.data.make_completion_pair`. With a
    ``cache_dir``, generated pairs are stored as ``.npz`` (atomic writes), so later epochs load
    them; generation is stateless and works inside DataLoader workers.

    K folds: with ``num_folds`` and ``fold`` set, the first ``pool_size`` shapes of the train
    split form a pool cut into folds; ``split="train"`` yields the pool minus fold ``fold`` and
    ``split="val"`` yields fold ``fold``, each shape with ``views_per_shape`` views, so
    ``num_samples`` is not used (``test`` is unchanged). Give train and val the same
    ``pool_size`` (the configs interpolate it).

    Args:
        split: ``"train"``, ``"val"`` or ``"test"``.
        num_samples: number of items (shapes x views_per_shape); the pool size with folds.
        seed: base seed of the data set.
        categories: subset of :data:`~pointrecon.data.shapes.CATEGORIES` (default all); the label
            is the index in the full tuple, so labels agree between subsets.
        cache_dir: folder for the sample cache (None: regenerate every time).
        return_depth: add the depth images ``depth`` (V, H, W) to each item.
        transform: callable ``(sample, rng) -> sample`` on numpy clouds (see transforms); its
            generator is seeded by (seed, split, index, epoch), see :meth:`set_epoch`.
        views_per_shape: distinct scans per shape.
        scan: the scan settings (:class:`~pointrecon.data.scan_spec.ScanSpec` or a mapping);
            ranges are drawn per item, seeded by its shape seed and view.
        scan_settings: single scan settings over ``scan`` (``n_partial=512``, ...).
        fold, num_folds: k-fold cross-validation (see above).
        pool_size: shapes in the k-fold pool (default: this data set's shape count).

    Shapes:
        item partial (n_partial, 3) float32, complete (n_complete, 3) float32,
        depth (num_views, height, width) float32
    """

    def __init__(
        self,
        split: str,
        num_samples: int,
        seed: int = 0,
        *,
        scan: ScanSpec | Mapping[str, Any] | None = None,
        categories: Sequence[str] | None = None,
        cache_dir: str | os.PathLike | None = None,
        return_depth: bool = False,
        transform: Transform | None = None,
        views_per_shape: int = 1,
        fold: int | None = None,
        num_folds: int | None = None,
        pool_size: int | None = None,
        **scan_settings: Any,
    ) -> None:
        split_code(split)
        for name, v in (("num_samples", num_samples), ("views_per_shape", views_per_shape)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        cats = tuple(CATEGORIES if categories is None else categories)
        if not cats:
            raise ValueError("categories must name at least one category, got an empty list")
        for c in cats:
            category_label(c)  # raises ValueError naming the category
        super().__init__(scan, return_depth=return_depth, transform=transform, **scan_settings)
        self.split, self.seed, self.categories = split, int(seed), cats
        self.views_per_shape = int(views_per_shape)
        # which (split, shape index) pairs this data set covers
        self._source_split = split
        n_shapes = -(-int(num_samples) // self.views_per_shape)
        self._num_items = int(num_samples)
        self._shape_ids = np.arange(n_shapes, dtype=np.int64)
        if fold is not None or num_folds is not None:
            if fold is None or num_folds is None:
                raise ValueError(
                    f"fold and num_folds go together, got fold={fold!r}, num_folds={num_folds!r}"
                )
            if split != "test":
                pool = n_shapes if pool_size is None else int(pool_size)
                train_ids, held = kfold_indices(pool, int(num_folds), int(fold), seed=self.seed)
                self._shape_ids = train_ids if split == "train" else held
                self._source_split = "train"
                self._num_items = len(self._shape_ids) * self.views_per_shape
        self.fold, self.num_folds = fold, num_folds
        self.cache = None
        if cache_dir is not None:
            params = dict(version=GENERATOR_VERSION, depth=self.return_depth, **self.scan_kwargs)
            self.cache = SampleCache(cache_dir, "synthetic", params)

    def __len__(self) -> int:
        return self._num_items

    def shape_key(self, index: int) -> tuple[str, int, int]:
        """``(category, shape seed, view)`` of item ``index``."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        index %= len(self)
        s = int(self._shape_ids[index // self.views_per_shape])
        category = self.categories[s % len(self.categories)]
        return category, shape_seed(self._source_split, s, self.seed), index % self.views_per_shape

    def item_id(self, index: int) -> str:
        """The item's id, ``<category>-<shape seed>[-v<view>]``."""
        category, sseed, view = self.shape_key(index)
        return f"{category}-{sseed}" + (f"-v{view}" if self.views_per_shape > 1 else "")

    def generate(self, index: int) -> dict[str, np.ndarray]:
        """Generate the arrays of item ``index`` (no cache, no transform)."""
        category, sseed, view = self.shape_key(index)
        pair = make_completion_pair(
            make_shape(category, sseed),
            seed=sseed,
            scan=self.scan,
            view=view,
            return_depth=self.return_depth,
        )
        return self.pair_arrays(pair)

    def __getitem__(self, index: int) -> dict[str, Any]:
        category, _, view = self.shape_key(index)
        index %= len(self)
        arrays = self.load(index)
        return self.item(
            arrays,
            [self.seed, split_code(self.split)],
            index,
            category=category,
            label=category_label(category),
            id=self.item_id(index),
            view=view,
        )

    def __repr__(self) -> str:
        return (
            f"SyntheticCompletion(split={self.split!r}, num_samples={len(self)}, seed={self.seed}, "
            f"categories={len(self.categories)}, fold={self.fold}/{self.num_folds})"
        )
