"""ShapeNet-55 / ShapeNet-34 (Yu et al., PoinTr, 2021) with PoinTr's crop protocol.

Layout (``root`` is the ``ShapeNet55-34`` folder as PoinTr distributes it)::

    root/
      shapenet_pc/<taxonomy_id>-<model_id>.npy     (8192, 3) points each
      ShapeNet-55/train.txt, ShapeNet-55/test.txt  one "<taxonomy_id>-<model_id>.npy" a line
      ShapeNet-34/train.txt, ShapeNet-34/test.txt  (seen categories)
      ShapeNet-Unseen21/test.txt                   the 21 unseen categories (split "test_novel";
                                                   ShapeNet-34/test_novel.txt is accepted too)

Every cloud is normalised as PoinTr's ``pc_norm`` does: centred at its centroid and scaled so the
farthest point is at radius 1. Metrics are reported in that unit-sphere frame (docs/conventions.md, Frames).

The partial input is made on the fly by removing the points nearest to a viewpoint
(PoinTr's ``misc.seprate_point_cloud``): the remaining points, farthest-point sampled to
``n_partial``, are the input; the whole normalised cloud is the ground truth.

- ``split="train"``: a random viewpoint on the unit sphere and a random number of removed points
  in ``[N/4, 3N/4]`` (N = 8192), per ``(seed, epoch, index)``; call :meth:`ShapeNet55.set_epoch`.
- ``split="val"``: the test list with the same random crop, fixed per index (PoinTr validates so).
- ``split="test"`` / ``"test_novel"``: each model yields one item per difficulty (easy, median,
  hard: 1/4, 1/2, 3/4 of the points removed) and per each of the 8 fixed viewpoints
  (:data:`FIXED_VIEWPOINTS`, the cube corners as PoinTr uses them). Items carry ``difficulty``
  and ``viewpoint``; :func:`aggregate_by_difficulty` turns per-item metrics into the reported
  table (one row per difficulty and their average).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.resample import resample_points
from pointrecon.data.scan_spec import AUGMENT_SEED_TAG
from pointrecon.errors import DataError

#: The 55 ShapeNetCore.v2 synsets of ShapeNet-55 -> category name (labels: sorted synset order).
SHAPENET55_SYNSETS: dict[str, str] = {
    "02691156": "airplane",
    "02747177": "trash bin",
    "02773838": "bag",
    "02801938": "basket",
    "02808440": "bathtub",
    "02818832": "bed",
    "02828884": "bench",
    "02843684": "birdhouse",
    "02871439": "bookshelf",
    "02876657": "bottle",
    "02880940": "bowl",
    "02924116": "bus",
    "02933112": "cabinet",
    "02942699": "camera",
    "02946921": "can",
    "02954340": "cap",
    "02958343": "car",
    "02992529": "cellphone",
    "03001627": "chair",
    "03046257": "clock",
    "03085013": "keyboard",
    "03207941": "dishwasher",
    "03211117": "display",
    "03261776": "earphone",
    "03325088": "faucet",
    "03337140": "file cabinet",
    "03467517": "guitar",
    "03513137": "helmet",
    "03593526": "jar",
    "03624134": "knife",
    "03636649": "lamp",
    "03642806": "laptop",
    "03691459": "loudspeaker",
    "03710193": "mailbox",
    "03759954": "microphone",
    "03761084": "microwave",
    "03790512": "motorbike",
    "03797390": "mug",
    "03928116": "piano",
    "03938244": "pillow",
    "03948459": "pistol",
    "03991062": "flowerpot",
    "04004475": "printer",
    "04074963": "remote",
    "04090263": "rifle",
    "04099429": "rocket",
    "04225987": "skateboard",
    "04256520": "sofa",
    "04330267": "stove",
    "04379243": "table",
    "04401088": "telephone",
    "04460130": "tower",
    "04468005": "train",
    "04530566": "watercraft",
    "04554684": "washer",
}
#: The 8 fixed test viewpoints of PoinTr, in its order (index = item ``view``/``viewpoint``).
FIXED_VIEWPOINTS = np.array(
    [
        [1, 1, 1],
        [1, 1, -1],
        [1, -1, 1],
        [-1, 1, 1],
        [-1, -1, 1],
        [-1, 1, -1],
        [1, -1, -1],
        [-1, -1, -1],
    ],
    dtype=np.float32,
)
#: Share of the points removed per difficulty (PoinTr's ``crop_ratio``).
DIFFICULTIES: dict[str, float] = {"easy": 1 / 4, "median": 1 / 2, "hard": 3 / 4}
_VARIANT_DIRS = {"55": "ShapeNet-55", "34": "ShapeNet-34"}
_ID_RE = re.compile(r"__(easy|median|hard)_v(\d+)$")


def pc_norm(points: np.ndarray) -> np.ndarray:
    """PoinTr's normalisation: centre at the centroid, divide by the largest norm.

    Shapes:
        points: (N, 3) -> (N, 3) float32.
    """
    points = np.asarray(points, dtype=np.float64)
    centred = points - points.mean(axis=0)
    scale = float(np.sqrt((centred**2).sum(axis=1)).max())
    if not np.isfinite(scale) or scale <= 0:
        raise DataError(None, f"cannot normalise a cloud of {len(points)} identical points")
    return (centred / scale).astype(np.float32)


def crop_nearest(points: np.ndarray, viewpoint: np.ndarray, num_crop: int) -> np.ndarray:
    """Indices of the points kept after removing the ``num_crop`` nearest to ``viewpoint``.

    Ties are broken by index (stable sort), so the result is deterministic.

    Shapes:
        points: (N, 3); viewpoint: (3,) -> kept indices (N - num_crop,) int64, nearest first.
    """
    if not 0 <= num_crop <= len(points):
        raise ValueError(f"num_crop: expected 0..{len(points)}, got {num_crop}")
    dist = np.linalg.norm(points - np.asarray(viewpoint, dtype=points.dtype)[None], axis=1)
    order = np.argsort(dist, kind="stable")
    return order[num_crop:]


def farthest_point_sample(points: np.ndarray, size: int) -> np.ndarray:
    """Farthest-point subsample to ``size`` points (Open3D, start at index 0); all when fewer.

    Shapes:
        points: (N, 3) -> (min(N, size), 3) float32.
    """
    if len(points) <= size:
        return np.asarray(points, dtype=np.float32)
    import open3d as o3d

    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))
    return np.asarray(pcd.farthest_point_down_sample(size).points, dtype=np.float32)


class ShapeNet55(Dataset):
    """ShapeNet-55 or ShapeNet-34 completion items with PoinTr's crop protocol.

    Args:
        root: the ``ShapeNet55-34`` folder (see the module docstring).
        split: ``"train"``, ``"val"``, ``"test"``, or ``"test_novel"`` (variant 34 only).
        variant: ``"55"`` or ``"34"``.
        n_partial: points of the partial input after the crop (farthest-point sampled).
        n_complete: points of the ground truth (8192 as stored; resampled if different).
        difficulties: test difficulties to enumerate (default all three).
        seed: base seed of the random crops (train, val).
        sampling: ``"fps"`` (as PoinTr) or ``"random"`` subsampling of the cropped input.
        transform: optional augmentation ``(sample, rng) -> sample`` on the numpy clouds
            (:mod:`pointrecon.data.transforms`), seeded by ``(seed, split, index, epoch)``.

    Items (dict): ``partial`` float32 tensor (n_partial, 3), ``complete`` (n_complete, 3),
    ``category`` str, ``label`` int (index in the sorted 55 synsets), ``id`` str
    (``"<taxonomy>-<model>"``, plus ``"__<difficulty>_v<k>"`` on test), ``view`` int (the
    viewpoint index, -1 for random viewpoints), ``difficulty`` str (``"random"`` on train/val),
    ``viewpoint`` (3,) float32 tensor, ``num_removed`` int.

    Shapes:
        partial: (N, 3); complete: (M, 3); viewpoint: (3,).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        variant: str = "55",
        *,
        n_partial: int = 2048,
        n_complete: int = 8192,
        difficulties: Sequence[str] | None = None,
        seed: int = 0,
        sampling: str = "fps",
        transform: Callable[[dict[str, Any], np.random.Generator], dict[str, Any]] | None = None,
    ) -> None:
        variant = str(variant)
        if variant not in _VARIANT_DIRS:
            raise ValueError(f"variant: expected '55' or '34', got {variant!r}")
        splits = ("train", "val", "test") + (("test_novel",) if variant == "34" else ())
        if split not in splits:
            raise ValueError(
                f"split: expected one of {splits} for variant {variant}, got {split!r}"
            )
        if sampling not in ("fps", "random"):
            raise ValueError(f"sampling: expected 'fps' or 'random', got {sampling!r}")
        difficulties = list(DIFFICULTIES) if difficulties is None else list(difficulties)
        for d in difficulties:
            if d not in DIFFICULTIES:
                raise ValueError(f"difficulties: expected items of {list(DIFFICULTIES)}, got {d!r}")
        if not difficulties:
            raise ValueError("difficulties: expected at least one difficulty, got []")
        for name, value in (("n_partial", n_partial), ("n_complete", n_complete)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.root = Path(root)
        self.split = split
        self.variant = variant
        self.n_partial = n_partial
        self.n_complete = n_complete
        self.difficulties = difficulties
        self.seed = int(seed)
        self.sampling = sampling
        self.transform = transform
        self.epoch = 0
        self.classes = sorted(SHAPENET55_SYNSETS)
        self.list_file = self._list_file()
        self.files = self._read_list(self.list_file)
        if not self.files:
            raise DataError(self.list_file, "the split list names no model")

    # ---------------------------------------------------------------- lists
    def _list_file(self) -> Path:
        if self.split == "test_novel":
            candidates = [
                self.root / "ShapeNet-Unseen21" / "test.txt",
                self.root / "ShapeNet-34" / "test_novel.txt",
            ]
        else:
            name = "test" if self.split == "val" else self.split
            candidates = [self.root / _VARIANT_DIRS[self.variant] / f"{name}.txt"]
        for c in candidates:
            if c.is_file():
                return c
        raise DataError(candidates[0], f"missing split list for {self.variant}/{self.split}")

    def _read_list(self, list_file: Path) -> list[tuple[str, str, Path]]:
        pc_dir = self.root / "shapenet_pc"
        if not pc_dir.is_dir():
            raise DataError(pc_dir, "missing point folder shapenet_pc/ of the ShapeNet55-34 tree")
        try:
            lines = list_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(list_file, f"cannot read split list ({exc})") from exc
        files = []
        for n, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                continue
            taxonomy, sep, rest = line.partition("-")
            if not sep or not rest.endswith(".npy") or taxonomy not in SHAPENET55_SYNSETS:
                raise DataError(
                    list_file,
                    f"line {n}: expected '<taxonomy_id>-<model_id>.npy' with a ShapeNet-55 "
                    f"synset, got {line!r}",
                )
            path = pc_dir / line
            if not path.is_file():
                raise DataError(path, f"missing point file listed in {list_file} line {n}")
            files.append((taxonomy, rest[: -len(".npy")], path))
        return files

    # ---------------------------------------------------------------- access
    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose random crops training items use."""
        self.epoch = check_epoch(epoch)

    @property
    def is_fixed(self) -> bool:
        """True when items enumerate difficulties x fixed viewpoints (test splits)."""
        return self.split in ("test", "test_novel")

    def __len__(self) -> int:
        per_model = len(self.difficulties) * len(FIXED_VIEWPOINTS) if self.is_fixed else 1
        return len(self.files) * per_model

    def load_complete(self, model_index: int) -> np.ndarray:
        """The normalised ground-truth cloud of a model (before any crop).

        Shapes:
            returns (n_complete, 3) float32.
        """
        from pointrecon.io import read_points

        _, _, path = self.files[model_index]
        points = read_points(path)  # hardened .npy reader: shape, dtype, finiteness, size
        if len(points) != self.n_complete:
            points = resample_points(points, self.n_complete, np.random.default_rng(model_index))
        try:
            return pc_norm(points)
        except DataError as exc:
            raise DataError(path, exc.reason) from None

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        index = index % len(self)
        n = self.n_complete
        if self.is_fixed:
            per_model = len(self.difficulties) * len(FIXED_VIEWPOINTS)
            model_index, rest = divmod(index, per_model)
            d, view = divmod(rest, len(FIXED_VIEWPOINTS))
            difficulty = self.difficulties[d]
            viewpoint = FIXED_VIEWPOINTS[view]
            num_crop = int(n * DIFFICULTIES[difficulty])
            rng = np.random.default_rng([self.seed, index])
        else:
            model_index, view, difficulty = index, -1, "random"
            epoch = self.epoch if self.split == "train" else 0
            rng = np.random.default_rng(
                [self.seed, 0 if self.split == "train" else 1, epoch, index]
            )
            num_crop = int(rng.integers(int(n * 1 / 4), int(n * 3 / 4) + 1))
            direction = rng.standard_normal(3)
            viewpoint = (direction / np.linalg.norm(direction)).astype(np.float32)
        taxonomy, model, _ = self.files[model_index]
        complete = self.load_complete(model_index)
        kept = complete[crop_nearest(complete, viewpoint, num_crop)]
        if self.sampling == "fps":
            partial = farthest_point_sample(kept, self.n_partial)
        else:
            partial = kept[rng.permutation(len(kept))[: self.n_partial]]
        if len(partial) < self.n_partial:
            partial = resample_points(partial, self.n_partial, rng)
        sample_id = f"{taxonomy}-{model}"
        if self.is_fixed:
            sample_id += f"__{difficulty}_v{view}"
        split_code = ("train", "val", "test", "test_novel").index(self.split)
        item = completion_item(
            partial,
            complete,
            category=SHAPENET55_SYNSETS[taxonomy],
            label=self.classes.index(taxonomy),
            id=sample_id,
            view=int(view),
            transform=self.transform,
            transform_seed=[self.seed, split_code, index, self.epoch, AUGMENT_SEED_TAG],
        )
        item["difficulty"] = difficulty
        item["viewpoint"] = torch.from_numpy(np.asarray(viewpoint, dtype=np.float32).copy())
        item["num_removed"] = num_crop
        return item


def parse_test_id(sample_id: str) -> tuple[str, str, int]:
    """Split a test item id into ``(model_id, difficulty, viewpoint index)``."""
    m = _ID_RE.search(sample_id)
    if m is None:
        raise ValueError(
            f"sample_id: expected '<model>__<easy|median|hard>_v<k>', got {sample_id!r}"
        )
    return sample_id[: m.start()], m.group(1), int(m.group(2))


def aggregate_by_difficulty(
    rows: Iterable[Mapping[str, Any]] | str | os.PathLike,
    metrics: Sequence[str] = ("cd_l1", "cd_l2", "fscore"),
    *,
    by_category: bool = True,
) -> dict[str, dict[str, float]]:
    """Per-difficulty metrics of a ShapeNet-55/34 test run, and their average.

    ``rows`` is a metrics table, one row per test item (e.g. the rows of an evaluation run's
    ``per_sample.csv`` as dicts, or the path of such a CSV file): each has the metric columns and either a ``difficulty`` column
    or an ``id`` ending in ``__<difficulty>_v<k>`` (as :class:`ShapeNet55` test ids do). With
    ``by_category`` (PoinTr's way) a difficulty's value is the mean over categories (column
    ``category``) of the per-category means; otherwise the mean over items. The ``"avg"`` row is
    the mean of the difficulties present.

    Returns:
        ``{"easy": {metric: value}, "median": {...}, "hard": {...}, "avg": {...}}``.
    """
    if isinstance(rows, (str, os.PathLike)):
        import csv

        path = Path(rows)
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataError(path, f"cannot read metrics table ({exc})") from exc
    groups: dict[str, dict[str, dict[str, list[float]]]] = {}
    for n, row in enumerate(rows):
        difficulty = row.get("difficulty")
        if difficulty in (None, "", "random"):
            difficulty = parse_test_id(str(row.get("id", "")))[1]
        if difficulty not in DIFFICULTIES:
            raise ValueError(f"rows[{n}]: unknown difficulty {difficulty!r}")
        category = str(row.get("category", "")) if by_category else ""
        per_cat = groups.setdefault(difficulty, {}).setdefault(category, {})
        for m in metrics:
            if m not in row:
                raise ValueError(f"rows[{n}]: missing metric column {m!r}; has {sorted(row)}")
            per_cat.setdefault(m, []).append(float(row[m]))
    if not groups:
        raise ValueError("rows: expected at least one row, got none")
    table: dict[str, dict[str, float]] = {}
    for difficulty in DIFFICULTIES:
        if difficulty not in groups:
            continue
        cats = groups[difficulty].values()
        table[difficulty] = {m: float(np.mean([np.mean(c[m]) for c in cats])) for m in metrics}
    table["avg"] = {m: float(np.mean([table[d][m] for d in table])) for m in metrics}
    return table
