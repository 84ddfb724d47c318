"""ModelNet10 / ModelNet40 (Wu et al., 2015) meshes turned into completion pairs.

Layout (``root`` is the unpacked ``ModelNet10`` or ``ModelNet40`` folder)::

    root/<class>/train/<class>_NNNN.off
    root/<class>/test/<class>_NNNN.off

Each mesh is read by :func:`pointrecon.io.read_mesh` (which accepts the malformed first line
``OFF<nverts> <nfaces> <nedges>`` that many ModelNet files have), and :func:`pointrecon.data.make_completion_pair` samples the complete
cloud on its surface and simulates a depth scan for the partial one; both are in the project's
default normalisation (docs/conventions.md, Frames). ModelNet has no validation split: ``split="val"`` holds out a
fixed share (``val_fraction``) of every class's training models, which ``"train"`` then excludes.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pointrecon.data.scan_spec import ScanSpec, split_code
from pointrecon.data.scanned import ScannedCompletion, Transform
from pointrecon.errors import DataError

MODELNET10_CLASSES = (
    "bathtub", "bed", "chair", "desk", "dresser",
    "monitor", "night_stand", "sofa", "table", "toilet",
)  # fmt: skip
MODELNET40_CLASSES = (
    "airplane", "bathtub", "bed", "bench", "bookshelf", "bottle", "bowl", "car",
    "chair", "cone", "cup", "curtain", "desk", "door", "dresser", "flower_pot",
    "glass_box", "guitar", "keyboard", "lamp", "laptop", "mantel", "monitor", "night_stand",
    "person", "piano", "plant", "radio", "range_hood", "sink", "sofa", "stairs",
    "stool", "table", "tent", "toilet", "tv_stand", "vase", "wardrobe", "xbox",
)  # fmt: skip


class ModelNet(ScannedCompletion):
    """ModelNet meshes as completion pairs (sampled complete cloud, simulated partial scan).

    Args:
        root: the ``ModelNet10``/``ModelNet40`` folder (see the module docstring).
        split: ``"train"``, ``"val"`` (held out of train) or ``"test"``.
        num_classes: 10 or 40; every class folder of that set must be present (unless
            ``categories`` restricts them), and no other folder.
        scan, scan_settings, return_depth: the scan (as in
            :class:`~pointrecon.data.SyntheticCompletion`), passed to
            :func:`pointrecon.data.make_completion_pair`.
        categories: restrict to these class names.
        seed: base seed; an item's scan depends on ``(seed, split, epoch, index)``, and training
            items get a new viewpoint each epoch (:meth:`set_epoch`).
        val_fraction: share of each class's training models held out as ``"val"``.
        cache_dir: optional folder where generated pairs are kept (atomic ``.npz`` writes).
        transform: optional augmentation ``(sample, rng) -> sample`` on the numpy clouds
            (:mod:`pointrecon.data.transforms`), seeded by ``(seed, split, index, epoch)``.

    Items (dict): ``partial`` float32 tensor (n_partial, 3), ``complete`` (n_complete, 3),
    ``category`` str, ``label`` int (index in the canonical sorted class list), ``id`` str
    (file stem), ``view`` int, [``depth`` (V, H, W) float32].

    Shapes:
        partial: (N, 3); complete: (M, 3); depth: (V, H, W).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        num_classes: int = 40,
        *,
        scan: ScanSpec | Mapping[str, Any] | None = None,
        categories: Sequence[str] | None = None,
        return_depth: bool = False,
        seed: int = 0,
        val_fraction: float = 0.1,
        cache_dir: str | os.PathLike | None = None,
        transform: Transform | None = None,
        **scan_settings: Any,
    ) -> None:
        split_code(split)
        if num_classes not in (10, 40):
            raise ValueError(f"num_classes: expected 10 or 40, got {num_classes!r}")
        if not 0.0 <= float(val_fraction) < 1.0:
            raise ValueError(f"val_fraction: expected a value in [0, 1), got {val_fraction!r}")
        super().__init__(scan, return_depth=return_depth, transform=transform, **scan_settings)
        self.root = Path(root)
        self.split = split
        self.num_classes = num_classes
        self.classes = list(MODELNET10_CLASSES if num_classes == 10 else MODELNET40_CLASSES)
        self.seed = int(seed)
        self.val_fraction = float(val_fraction)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        if categories is not None:
            categories = [categories] if isinstance(categories, str) else list(categories)
            unknown = [c for c in categories if c not in self.classes]
            if unknown:
                raise ValueError(
                    f"categories: {unknown} are not ModelNet{num_classes} classes {self.classes}"
                )
        self.categories = sorted(categories) if categories is not None else list(self.classes)
        self.samples = self._scan()
        if not self.samples:
            raise DataError(self.root, f"no .off mesh found for split {split!r}")

    def _scan(self) -> list[tuple[str, Path]]:
        from pointrecon.io import find_files

        if not self.root.is_dir():
            raise DataError(self.root, "missing ModelNet folder (expected <class>/{train,test}/)")
        present = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        unknown = [c for c in present if c not in self.classes]
        if unknown:
            raise DataError(
                self.root,
                f"folders {unknown} are not ModelNet{self.num_classes} classes; "
                f"expected class folders among {self.classes}",
            )
        disk_split = "test" if self.split == "test" else "train"
        samples = []
        for cls in self.categories:
            folder = self.root / cls / disk_split
            if not folder.is_dir():
                raise DataError(folder, f"missing class/split folder of ModelNet{self.num_classes}")
            files = [p for p in find_files(folder, (".off",)) if p.parent == folder]
            if disk_split == "train" and self.val_fraction > 0:
                n_val = int(round(len(files) * self.val_fraction))
                perm = np.random.default_rng(zlib.crc32(cls.encode())).permutation(len(files))
                val_idx = set(perm[:n_val].tolist())
                keep_val = self.split == "val"
                files = [f for i, f in enumerate(files) if (i in val_idx) == keep_val]
            samples.extend((cls, f) for f in files)
        return samples

    def __len__(self) -> int:
        return len(self.samples)

    def item_seed(self, index: int) -> tuple[int, int]:
        """``(seed, view)`` of item ``index``'s pair: the seed fixes the complete cloud, the view
        the simulated camera(s); training items take view = epoch, so a new scan each epoch."""
        seq = np.random.SeedSequence([self.seed, split_code(self.split), index])
        return int(seq.generate_state(1)[0]), (self.epoch if self.split == "train" else 0)

    def _pair(self, index: int) -> dict[str, Any]:
        from pointrecon.data import make_completion_pair
        from pointrecon.io import read_mesh

        _, path = self.samples[index]
        seed, view = self.item_seed(index)
        cache = None
        if self.cache_dir is not None:
            cache = self.cache_dir / self.split / f"{path.stem}_{seed:010d}_v{view}.npz"
            if cache.is_file():
                try:
                    with np.load(cache, allow_pickle=False) as z:
                        return {k: z[k] for k in z.files}
                except (OSError, ValueError):
                    pass  # unreadable cache entry: regenerate and overwrite it
        try:
            pair = make_completion_pair(
                read_mesh(path),
                seed=seed,
                scan=self.scan,
                view=view,
                return_depth=self.return_depth,
            )
        except DataError as exc:
            if exc.path is None:  # name the mesh in errors raised on in-memory data
                raise DataError(path, exc.reason) from exc
            raise
        keys = ("partial", "complete", "view", "depth")
        arrays = {k: np.asarray(pair[k]) for k in keys if k in pair}
        if cache is not None:
            from pointrecon.utils.atomic import atomic_path

            with atomic_path(cache) as tmp, open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        return arrays

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        index = index % len(self)
        cls, path = self.samples[index]
        pair = self._pair(index)
        return self.item(
            pair,
            [self.seed, split_code(self.split)],
            index,
            category=cls,
            label=self.classes.index(cls),
            id=path.stem,
            view=int(pair.get("view", 0)),
        )
