"""SparseSliceCompletion: sparse-slice contours / complete-surface pairs of procedural shapes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from pointrecon.data.cache import SampleCache
from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.pairs import sample_exterior
from pointrecon.data.resample import resample_points
from pointrecon.data.scan_spec import check_setting, draw_setting, split_code
from pointrecon.data.shapes import CATEGORIES, category_label, make_shape
from pointrecon.data.synthetic import shape_seed
from pointrecon.io.normalization import Normalization, normalize

GENERATOR_VERSION = 1  # bump when the voxelization or slicing changes


class SparseSliceCompletion(Dataset):
    """Pairs of (contours of every k-th slice of a voxelized shape, complete surface sample).

    Item ``i`` is shape ``i`` (category ``categories[i % len(categories)]``, seeded as in
    :class:`~pointrecon.data.SyntheticCompletion`, so splits never share a shape). Each item:

    1. voxelizes the procedural shape (a solid, :func:`~pointrecon.volumes.sparse.voxelize_mesh`)
       with ``resolution`` voxels along its longest side and a voxel size stretched per axis by a
       factor drawn in ``[1, anisotropy]``;
    2. picks the slice axis (``axis``, or at random) and keeps every ``k``-th slice from a random
       offset, as a thick-slice MRI acquisition would;
    3. takes the marching-squares contours of the kept slices as the partial cloud
       (``n_partial`` points) and an exterior surface sample of the shape as the target
       (``n_complete`` points).

    Frame: the slice frame with the sliced axis as z (a cyclic permutation of the shape's axes,
    so a rotation), then the partial-fitted normalisation (partial's bounding-box centre, farthest
    partial point at radius 1), applied to both clouds. Contour points of one slice share one z.

    ``resolution``, ``k`` and ``anisotropy`` may be ``[low, high]`` ranges drawn per item.
    :meth:`sparse_stack` returns the kept slices themselves, for the interpolation baseline.

    Shapes:
        item partial (n_partial, 3) float32, complete (n_complete, 3) float32
    """

    def __init__(
        self,
        split: str,
        num_samples: int,
        seed: int = 0,
        *,
        n_partial: int = 1024,
        n_complete: int = 2048,
        k: int | Sequence[int] = 4,
        resolution: int | Sequence[int] = (32, 64),
        anisotropy: float | Sequence[float] = 2.0,
        axis: int | None = None,
        categories: Sequence[str] | None = None,
        cache_dir: str | os.PathLike | None = None,
    ) -> None:
        split_code(split)  # ValueError naming the splits
        for name, v in (
            ("num_samples", num_samples),
            ("n_partial", n_partial),
            ("n_complete", n_complete),
        ):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if axis is not None and axis not in (0, 1, 2):
            raise ValueError(f"axis must be 0, 1, 2 or None, got {axis!r}")
        cats = tuple(CATEGORIES if categories is None else categories)
        if not cats:
            raise ValueError("categories must name at least one category, got an empty list")
        for c in cats:
            category_label(c)
        self.split, self.seed, self.categories = split, int(seed), cats
        self.num_samples = int(num_samples)
        self.n_partial, self.n_complete = int(n_partial), int(n_complete)
        self.k = check_setting("k", k, int, 1, True)
        self.resolution = check_setting("resolution", resolution, int, 4, True)
        anis = anisotropy if isinstance(anisotropy, (int, float)) else list(anisotropy)
        self.anisotropy = check_setting("anisotropy", anis, float, 1.0, True)
        self.axis = axis
        self.epoch = 0
        self.cache = None
        if cache_dir is not None:
            params = dict(
                version=GENERATOR_VERSION,
                n_partial=self.n_partial,
                n_complete=self.n_complete,
                k=self.k,
                resolution=self.resolution,
                anisotropy=self.anisotropy,
                axis=axis,
            )
            self.cache = SampleCache(cache_dir, "sparse_slices", params)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Kept for the trainer's interface (items are not augmented)."""
        self.epoch = check_epoch(epoch)

    def shape_key(self, index: int) -> tuple[str, int]:
        """``(category, shape seed)`` of item ``index``."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        index %= len(self)
        return self.categories[index % len(self.categories)], shape_seed(
            self.split, index, self.seed
        )

    def item_id(self, index: int) -> str:
        category, sseed = self.shape_key(index)
        return f"{category}-{sseed}"

    def generate(self, index: int) -> dict[str, np.ndarray]:
        """The arrays of item ``index``: ``partial``, ``complete``, ``norm_center``,
        ``norm_scale``, and the sparse acquisition: ``slices`` (I, J, T) uint8, ``spacing``
        (sx, sy, gap), ``z0``, ``k``, all in the (unnormalised) slice frame."""
        from pointrecon.volumes.sparse import contour_points, keep_every_kth, voxelize_mesh

        category, sseed = self.shape_key(index)
        rng = np.random.default_rng([sseed, 0x51])
        mesh = make_shape(category, sseed)
        res, k = draw_setting(self.resolution, rng), draw_setting(self.k, rng)
        anis = self.anisotropy if isinstance(self.anisotropy, list) else [1.0, self.anisotropy]
        stretch = rng.uniform(anis[0], anis[1], size=3)
        spacing = float(np.ptp(mesh.bounds, axis=0).max()) / res * stretch
        occ, origin = voxelize_mesh(mesh, spacing)
        axis = int(rng.integers(3)) if self.axis is None else int(self.axis)
        perm = [(axis + 1) % 3, (axis + 2) % 3, axis]
        occ = occ.transpose(perm)
        sp = spacing[perm]
        complete = sample_exterior(mesh, self.n_complete, sseed)
        complete = (complete.astype(np.float64) - origin)[:, perm]
        offsets = rng.permutation(k)
        for off in offsets:  # the first offset whose slices cut the shape
            kept = keep_every_kth(occ.shape[2], k, int(off))
            slices = occ[:, :, kept]
            gap_spacing = np.array([sp[0], sp[1], sp[2] * k])
            partial = contour_points(slices, gap_spacing, z0=float(kept[0] * sp[2]))
            if len(partial):
                break
        partial = resample_points(partial, self.n_partial, rng)
        partial, norm = normalize(partial)
        return {
            "partial": partial,
            "complete": norm.apply(complete),
            "norm_center": np.asarray(norm.center, dtype=np.float64),
            "norm_scale": np.asarray(norm.scale, dtype=np.float64),
            "slices": slices.astype(np.uint8),
            "spacing": gap_spacing,
            "z0": np.asarray(kept[0] * sp[2], dtype=np.float64),
            "k": np.asarray(k, dtype=np.int64),
        }

    def load(self, index: int) -> dict[str, np.ndarray]:
        """The arrays of item ``index``, from the cache when present (generated and stored else)."""
        if self.cache is None:
            return self.generate(index)
        key = self.item_id(index)
        arrays = self.cache.load(key)
        if arrays is None:
            arrays = self.generate(index)
            self.cache.save(key, arrays)
        return arrays

    def normalization(self, arrays: dict[str, np.ndarray]) -> Normalization:
        return Normalization(center=arrays["norm_center"], scale=float(arrays["norm_scale"]))

    def sparse_stack(self, index: int) -> dict[str, Any]:
        """The kept slices and their geometry (slice frame), and the item's normalisation."""
        a = self.load(index)
        return {
            "slices": a["slices"],
            "spacing": a["spacing"],
            "z0": float(a["z0"]),
            "k": int(a["k"]),
            "normalization": self.normalization(a),
        }

    def __getitem__(self, index: int) -> dict[str, Any]:
        category, _ = self.shape_key(index)
        index %= len(self)
        arrays = self.load(index)
        return completion_item(
            arrays["partial"],
            arrays["complete"],
            category=category,
            label=category_label(category),
            id=self.item_id(index),
            view=0,
        )

    def __repr__(self) -> str:
        return (
            f"SparseSliceCompletion(split={self.split!r}, num_samples={len(self)}, "
            f"seed={self.seed}, k={self.k}, resolution={self.resolution})"
        )
