"""The PCN completion benchmark (Yuan et al., 2018) read from its public folder layout.

Layout (``root`` is the folder that holds the split folders)::

    root/
      PCN.json                                  optional category file (see below)
      train/partial/<synset>/<model_id>/00.pcd ... 07.pcd   8 partial views per model
      train/complete/<synset>/<model_id>.pcd                16384 points
      val/partial/<synset>/<model_id>/00.pcd
      val/complete/<synset>/<model_id>.pcd
      test/partial/<synset>/<model_id>/00.pcd
      test/complete/<synset>/<model_id>.pcd

PCN's original release (``data/shapenet`` of Yuan et al.) stores its test sets flat, one partial
per model, and has a second test set of 8 categories unseen in training (split ``test_novel``)::

    root/
      test/partial/<synset>/<model_id>.pcd        test/complete/<synset>/<model_id>.pcd
      test_novel/partial/<synset>/<model_id>.pcd  test_novel/complete/<synset>/<model_id>.pcd

Both layouts are read (one per split; a split that mixes them is an error). Its training data
(``train.lmdb``/``valid.lmdb``) is not read: convert it to the per-view layout above.

``PCN.json`` (as distributed with PoinTr/GRNet) is a list of
``{"taxonomy_id", "taxonomy_name", "train": [...], "val": [...], "test": [...]}``. When present it
names the categories and lists the models of each split; every listed model must exist on disk.
Without it, every model found on disk is used and names come from :data:`PCN_SYNSETS`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.resample import PADDINGS, resample_pair
from pointrecon.data.scan_spec import AUGMENT_SEED_TAG
from pointrecon.data.scan_spec import SPLITS as BASE_SPLITS
from pointrecon.errors import DataError

#: The 8 PCN categories: ShapeNet synset id -> name. Labels follow the sorted synset order.
PCN_SYNSETS: dict[str, str] = {
    "02691156": "airplane",
    "02933112": "cabinet",
    "02958343": "car",
    "03001627": "chair",
    "03636649": "lamp",
    "04256520": "sofa",
    "04379243": "table",
    "04530566": "watercraft",
}

SPLITS = (*BASE_SPLITS, "test_novel")
_VIEW_RE = re.compile(r"^(\d{2})\.pcd$", re.IGNORECASE)


def _novel_name(synset: str) -> str:
    """Category name of a synset outside PCN's 8 (test_novel): its ShapeNet name, else the id."""
    from pointrecon.data.shapenet55 import SHAPENET55_SYNSETS

    return SHAPENET55_SYNSETS.get(synset, synset)


class PCN(Dataset):
    """PCN partial/complete pairs, as the completion literature evaluates them.

    Training picks one of the stored partial views of a model at random for each epoch: the view
    and the resampling depend on ``(seed, epoch, index)`` only, so a run is reproducible; call
    :meth:`set_epoch` at the start of every epoch (with a DataLoader, before iterating; with
    ``persistent_workers=True`` the workers keep the epoch they were started with). Validation and
    test always use view ``00`` (or the single partial of the flat layout) and a fixed resampling
    per index.

    Args:
        root: folder holding ``train/``, ``val/``, ``test/`` (see the module docstring).
        split: ``"train"``, ``"val"``, ``"test"`` or ``"test_novel"`` (PCN's unseen categories,
            original flat layout).
        n_partial: points per partial cloud (resampled: random subset, or padded when short).
        padding: how a partial shorter than ``n_partial`` is filled: ``"repeat"`` (default,
            random repeats of its points) or ``"zeros"`` (origin points appended, as PoinTr's
            and GRNet's PCN loaders do; use it to reproduce their inputs).
        n_complete: points per complete cloud (PCN stores 16384; resampled if different).
        categories: restrict to these categories (names like ``"chair"`` or synset ids).
        seed: base seed of the view choice and resampling.
        normalize: False (default) keeps the stored coordinates, the frame PCN metrics are
            reported in. True applies the project's default normalisation fitted on
            the complete cloud (:func:`pointrecon.io.normalize`) to both clouds.
        category_file: a PCN.json; default ``root/PCN.json`` if it exists.
        transform: optional augmentation ``(sample, rng) -> sample`` on the numpy clouds
            (:mod:`pointrecon.data.transforms`), seeded by ``(seed, split, index, epoch)``.

    Items (dict): ``partial`` float32 tensor (n_partial, 3), ``complete`` (n_complete, 3),
    ``category`` str, ``label`` int, ``id`` str (``"<synset>-<model_id>"``), ``view`` int.

    Shapes:
        partial: (N, 3) with N = n_partial; complete: (M, 3) with M = n_complete.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        *,
        n_partial: int = 2048,
        n_complete: int = 16384,
        categories: Sequence[str] | None = None,
        seed: int = 0,
        normalize: bool = False,
        padding: str = "repeat",
        category_file: str | os.PathLike | None = None,
        transform: Callable[[dict[str, Any], np.random.Generator], dict[str, Any]] | None = None,
    ) -> None:
        if split not in SPLITS:
            raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
        for name, value in (("n_partial", n_partial), ("n_complete", n_complete)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if padding not in PADDINGS:
            raise ValueError(f"padding: expected one of {PADDINGS}, got {padding!r}")
        self.padding = padding
        self.root = Path(root)
        self.split = split
        self.n_partial = n_partial
        self.n_complete = n_complete
        self.seed = int(seed)
        self.normalize = bool(normalize)
        self.transform = transform
        self.epoch = 0

        names = dict(PCN_SYNSETS)
        listed: dict[str, list[str]] | None = None
        cat_path = Path(category_file) if category_file is not None else self.root / "PCN.json"
        if category_file is not None or cat_path.is_file():
            listed = self._read_category_file(cat_path, names)
        self.synset_names = names
        self.classes = sorted(names)  # label = index of the synset in this list

        wanted = self._resolve_categories(categories, names)
        self.samples = self._scan(listed, wanted)
        if not self.samples:
            where = self.root / split / "partial"
            raise DataError(where, f"no PCN samples found for split {split!r}")

    # ---------------------------------------------------------------- scanning
    def _read_category_file(self, path: Path, names: dict[str, str]) -> dict[str, list[str]] | None:
        """The models listed for this split; None when the file has no list for it at all
        (PCN.json lists train/val/test only, so ``test_novel`` is read from disk)."""
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
            listed: dict[str, list[str]] = {}
            has_split = False
            for entry in entries:
                synset = str(entry["taxonomy_id"])
                names.setdefault(synset, str(entry.get("taxonomy_name", synset)).split(",")[0])
                has_split = has_split or self.split in entry
                listed[synset] = [str(m) for m in entry.get(self.split, [])]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError, KeyError) as exc:
            raise DataError(
                path,
                "expected a PCN category file: a JSON list of {taxonomy_id, taxonomy_name, "
                f"train, val, test}} ({type(exc).__name__}: {exc})",
            ) from exc
        return listed if has_split else None

    def _resolve_categories(
        self, categories: Sequence[str] | None, names: dict[str, str]
    ) -> set[str] | None:
        if categories is None:
            return None
        if isinstance(categories, str):
            categories = [categories]
        by_name = {v: k for k, v in names.items()}
        wanted = set()
        for c in categories:
            if c in names:
                wanted.add(c)
            elif c in by_name:
                wanted.add(by_name[c])
            else:
                raise ValueError(
                    f"categories: unknown PCN category {c!r}; expected a name or synset id of "
                    f"{sorted(by_name)}"
                )
        return wanted

    def _scan(
        self, listed: dict[str, list[str]] | None, wanted: set[str] | None
    ) -> list[tuple[str, str, list[Path], Path]]:
        from pointrecon.io import find_files

        split_dir = self.root / self.split
        partial_root = split_dir / "partial"
        complete_root = split_dir / "complete"
        for folder in (partial_root, complete_root):
            if not folder.is_dir():
                raise DataError(
                    folder, f"missing PCN folder (expected {split_dir}/partial and complete)"
                )
        views: dict[tuple[str, str], list[Path]] = {}
        flat: Path | None = None  # first file of the flat layout, nested: first view file
        nested: Path | None = None
        for path in find_files(partial_root, (".pcd",)):
            rel = path.relative_to(partial_root).parts
            if len(rel) == 3 and _VIEW_RE.match(rel[2]):
                nested = nested or path
                views.setdefault((rel[0], rel[1]), []).append(path)
            elif len(rel) == 2 and self.split != "train":
                flat = flat or path
                views.setdefault((rel[0], Path(rel[1]).stem), []).append(path)
            else:
                expected = "partial/<synset>/<model_id>/NN.pcd" + (
                    "" if self.split == "train" else " or partial/<synset>/<model_id>.pcd"
                )
                raise DataError(path, f"unexpected file in PCN partial tree: expected {expected}")
            if flat is not None and nested is not None:
                raise DataError(
                    path,
                    f"PCN split {self.split!r} mixes the per-view layout ({nested}) and the "
                    f"flat layout ({flat}); use one",
                )
        self.flat = flat is not None

        if listed is not None:
            keys = [(s, m) for s in sorted(listed) for m in listed[s]]
        else:
            keys = sorted(views)
        samples = []
        for synset, model in keys:
            if wanted is not None and synset not in wanted:
                continue
            model_views = sorted(views.get((synset, model), []))
            if not model_views:
                raise DataError(
                    partial_root / synset / model,
                    "no partial views (NN.pcd) for a model listed in the category file",
                )
            complete = complete_root / synset / f"{model}.pcd"
            if not complete.is_file():
                raise DataError(
                    complete, f"missing complete cloud for partial views in {model_views[0].parent}"
                )
            if self.split != "train" and not self.flat:
                zero = [p for p in model_views if p.name == "00.pcd"]
                if not zero:
                    raise DataError(model_views[0].parent, "no view 00.pcd (val/test use view 00)")
                model_views = zero
            names = self.synset_names
            names.setdefault(synset, _novel_name(synset))
            if synset not in self.classes:
                self.classes.append(synset)
            samples.append((synset, model, model_views, complete))
        return samples

    # ---------------------------------------------------------------- access
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose random view choice training items use."""
        self.epoch = check_epoch(epoch)

    @property
    def categories(self) -> list[str]:
        """Category names, in label order."""
        return [self.synset_names[s] for s in self.classes]

    def __len__(self) -> int:
        return len(self.samples)

    def _rng(self, index: int) -> np.random.Generator:
        epoch = self.epoch if self.split == "train" else 0
        return np.random.default_rng([self.seed, SPLITS.index(self.split), epoch, index])

    def __getitem__(self, index: int) -> dict[str, Any]:
        from pointrecon.io import read_points

        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        index = index % len(self)
        synset, model, views, complete_path = self.samples[index]
        rng = self._rng(index)
        k = int(rng.integers(len(views))) if self.split == "train" else 0
        partial_path = views[k]
        partial, complete = resample_pair(
            read_points(partial_path),
            read_points(complete_path),
            self.n_partial,
            self.n_complete,
            rng,
            padding=self.padding,
            normalize=self.normalize,
        )
        return completion_item(
            partial,
            complete,
            category=self.synset_names[synset],
            label=self.classes.index(synset),
            id=f"{synset}-{model}",
            view=0 if self.flat else int(partial_path.stem),
            transform=self.transform,
            transform_seed=[
                self.seed,
                SPLITS.index(self.split),
                index,
                self.epoch,
                AUGMENT_SEED_TAG,
            ],
        )
