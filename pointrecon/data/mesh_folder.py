"""MeshFolderCompletion: completion pairs from any folder of meshes."""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.data.cache import SampleCache
from pointrecon.data.folds import kfold_indices, ratio_split_indices
from pointrecon.data.pairs import make_completion_pair
from pointrecon.data.scan_spec import SPLITS, ScanSpec
from pointrecon.data.scanned import ScannedCompletion, Transform
from pointrecon.errors import DataError
from pointrecon.io import MESH_EXTENSIONS, find_files, read_mesh

_SPLITS = (*SPLITS, "all")


class MeshFolderCompletion(ScannedCompletion):
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
        seed, scan, return_depth, transform, views_per_shape, cache_dir, scan_settings: as in
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
        scan: ScanSpec | Mapping[str, Any] | None = None,
        cache_dir: str | os.PathLike | None = None,
        return_depth: bool = False,
        transform: Transform | None = None,
        views_per_shape: int = 1,
        ratios: Sequence[float] = (0.8, 0.1, 0.1),
        fold: int | None = None,
        num_folds: int | None = None,
        **scan_settings: Any,
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
        super().__init__(scan, return_depth=return_depth, transform=transform, **scan_settings)
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
                mesh, seed=pair_seed, scan=self.scan, view=view, return_depth=self.return_depth
            )
        except DataError as err:
            if err.path is None:  # name the mesh file in errors raised on in-memory data
                raise DataError(self.files[f], err.reason) from err
            raise
        return self.pair_arrays(pair)

    def cache_key(self, index: int) -> str:
        """The item's id and a hash of its file's size and modification time."""
        f, _ = self._locate(index)
        st = self.files[f].stat()
        return f"{self.item_id(index)}-{zlib.crc32(f'{st.st_size}:{st.st_mtime_ns}'.encode()):08x}"

    def __getitem__(self, index: int) -> dict[str, Any]:
        f, view = self._locate(index)
        index %= len(self)
        arrays = self.load(index)
        category = self.file_categories[f]
        return self.item(
            arrays,
            [self.seed],
            index,
            tag=0x6D66,
            category=category,
            label=self.categories.index(category),
            id=self.item_id(index),
            view=view,
        )

    def __repr__(self) -> str:
        return f"MeshFolderCompletion(root={str(self.root)!r}, split={self.split!r}, items={len(self)})"
