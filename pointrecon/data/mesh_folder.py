"""MeshFolderCompletion: completion pairs from any folder of meshes."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from pointrecon.data.cache import SampleCache
from pointrecon.data.folds import kfold_indices, ratio_split_indices
from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.pairs import make_completion_pair
from pointrecon.errors import DataError
from pointrecon.io import MESH_EXTENSIONS, find_files, read_mesh

_SPLITS = ("train", "val", "test", "all")


class MeshFolderCompletion(Dataset):
    """Partial-scan / complete-surface pairs of the meshes found under ``root``.

    Every mesh file (``.obj .off .stl .ply .glb .gltf``, any depth) is one shape. Its category is
    its first folder below ``root`` (``root/<category>/.../x.obj``), or ``root``'s own name for
    files directly in it; labels number the sorted categories. Splits are deterministic: a seeded
    ``ratios`` split of the sorted files, or with ``fold``/``num_folds`` a k-fold split (``train``
    = the other folds, ``val``/``test`` = fold ``fold``); ``"all"`` takes every file. Pairs come
    from :func:`~pointrecon.data.make_completion_pair` seeded by (seed, relative path, view) and
    are cached as ``.npz`` when ``cache_dir`` is given (keyed by path, size and mtime).

    Args:
        root: the folder of meshes.
        split: ``"train"``, ``"val"``, ``"test"`` or ``"all"``.
        seed, n_partial, n_complete, return_depth, transform, views_per_shape, num_views,
            noise_std, dropout, width, height, fov_deg, distance, elevation_deg, cache_dir: as in
            :class:`~pointrecon.data.SyntheticCompletion`.
        ratios: train/val/test shares of the ratio split.
        fold, num_folds: k-fold cross-validation.

    Shapes:
        item partial (n_partial, 3) float32, complete (n_complete, 3) float32,
        depth (num_views, height, width) float32
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "all",
        seed: int = 0,
        *,
        n_partial: int = 2048,
        n_complete: int = 16384,
        cache_dir: str | os.PathLike | None = None,
        return_depth: bool = False,
        transform: Callable[[dict, np.random.Generator], dict] | None = None,
        views_per_shape: int = 1,
        num_views: int = 1,
        noise_std: float = 0.0,
        dropout: float = 0.0,
        width: int = 160,
        height: int = 120,
        fov_deg: float = 65.0,
        distance: float = 2.5,
        elevation_deg: Sequence[float] = (-90.0, 90.0),
        ratios: Sequence[float] = (0.8, 0.1, 0.1),
        fold: int | None = None,
        num_folds: int | None = None,
    ) -> None:
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
        if (
            isinstance(views_per_shape, bool)
            or not isinstance(views_per_shape, int)
            or views_per_shape < 1
        ):
            raise ValueError(f"views_per_shape must be a positive integer, got {views_per_shape!r}")
        self.root = Path(root)
        files = find_files(self.root, MESH_EXTENSIONS)
        if not files:
            raise DataError(self.root, f"no mesh files ({' '.join(MESH_EXTENSIONS)}) found")
        rel = [f.relative_to(self.root) for f in files]
        cats = [r.parts[0] if len(r.parts) > 1 else self.root.name for r in rel]
        self.categories = tuple(sorted(set(cats)))
        if split == "all":
            keep = np.arange(len(files))
        elif fold is not None or num_folds is not None:
            if fold is None or num_folds is None:
                raise ValueError(
                    f"fold and num_folds go together, got fold={fold!r}, num_folds={num_folds!r}"
                )
            train, held = kfold_indices(len(files), int(num_folds), int(fold), seed=int(seed))
            keep = train if split == "train" else held
        else:
            keep = ratio_split_indices(len(files), split, ratios=tuple(ratios), seed=int(seed))
        self.files = [files[i] for i in keep]
        self.rel = [rel[i].as_posix() for i in keep]
        self.file_categories = [cats[i] for i in keep]
        self.split, self.seed, self.fold, self.num_folds = split, int(seed), fold, num_folds
        self.views_per_shape = int(views_per_shape)
        self.return_depth, self.transform = bool(return_depth), transform
        self.epoch = 0
        self.scan_kwargs: dict[str, Any] = dict(
            n_partial=int(n_partial),
            n_complete=int(n_complete),
            num_views=int(num_views),
            noise_std=float(noise_std),
            dropout=float(dropout),
            width=int(width),
            height=int(height),
            fov_deg=float(fov_deg),
            distance=float(distance),
            elevation_deg=tuple(float(e) for e in elevation_deg),
        )
        self.cache = None
        if cache_dir is not None:
            params = dict(
                root=str(self.root.resolve()),
                seed=self.seed,
                depth=self.return_depth,
                **self.scan_kwargs,
            )
            self.cache = SampleCache(cache_dir, "meshfolder", params)

    def __len__(self) -> int:
        return len(self.files) * self.views_per_shape

    def set_epoch(self, epoch: int) -> None:
        """Re-seed the augmentation for ``epoch``."""
        self.epoch = check_epoch(epoch)

    def _locate(self, index: int) -> tuple[int, int]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        index %= len(self)
        return index // self.views_per_shape, index % self.views_per_shape

    def item_id(self, index: int) -> str:
        """``<relative path without extension, '/' -> '__'>[-v<view>]``."""
        f, view = self._locate(index)
        base = self.rel[f].rsplit(".", 1)[0].replace("/", "__")
        return base + (f"-v{view}" if self.views_per_shape > 1 else "")

    def generate(self, index: int) -> dict[str, np.ndarray]:
        f, view = self._locate(index)
        mesh = read_mesh(self.files[f])
        pair_seed = zlib.crc32(self.rel[f].encode()) + 2**32 * self.seed
        try:
            pair = make_completion_pair(
                mesh, seed=pair_seed, view=view, return_depth=self.return_depth, **self.scan_kwargs
            )
        except DataError as err:
            if err.path is None:  # name the mesh file in errors raised on in-memory data
                raise DataError(self.files[f], err.reason) from err
            raise
        arrays = {k: pair[k] for k in ("partial", "complete")}
        arrays["norm_center"] = np.asarray(pair["normalization"].center, dtype=np.float64)
        arrays["norm_scale"] = np.asarray(pair["normalization"].scale, dtype=np.float64)
        if self.return_depth:
            arrays["depth"] = pair["depth"]
        return arrays

    def load(self, index: int) -> dict[str, np.ndarray]:
        if self.cache is None:
            return self.generate(index)
        f, _ = self._locate(index)
        st = self.files[f].stat()
        key = f"{self.item_id(index)}-{zlib.crc32(f'{st.st_size}:{st.st_mtime_ns}'.encode()):08x}"
        arrays = self.cache.load(key)
        if arrays is None:
            arrays = self.generate(index)
            self.cache.save(key, arrays)
        return arrays

    def __getitem__(self, index: int) -> dict[str, Any]:
        f, view = self._locate(index)
        index %= len(self)
        arrays = self.load(index)
        category = self.file_categories[f]
        return completion_item(
            arrays["partial"],
            arrays["complete"],
            category=category,
            label=self.categories.index(category),
            id=self.item_id(index),
            view=view,
            transform=self.transform,
            transform_seed=[self.seed, index, self.epoch, 0x6D66],
            depth=arrays["depth"] if self.return_depth else None,
        )

    def __repr__(self) -> str:
        return f"MeshFolderCompletion(root={str(self.root)!r}, split={self.split!r}, items={len(self)})"
