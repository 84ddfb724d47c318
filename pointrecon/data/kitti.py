"""The KITTI cars of PCN (Yuan et al., 2018): real LiDAR scans of cars, without ground truth.

Layout (``root`` is PCN's ``data/kitti`` folder, as GRNet and PoinTr also distribute it)::

    root/
      cars/<frame>_car_<k>.pcd       the points of one car in one LiDAR frame (scan frame)
      bboxes/<frame>_car_<k>.txt     its 3D box: 8 lines "x y z", the corners in the scan frame
      tracklets/                     optional, not read (car instance ids across frames)

Each scan is moved into its box's frame (:class:`pointrecon.data.box_frame.BoxFrame`: centred,
rotated by the box yaw, divided by the box length, y and z exchanged), the frame of the ShapeNet
cars models are trained on. Completion is scored there with Fidelity and MMD
(:mod:`pointrecon.metrics`); :meth:`KITTI.frame` gives the inverse that brings a completion back
to the scan frame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from pointrecon.data.box_frame import BoxFrame
from pointrecon.data.item import completion_item
from pointrecon.data.resample import PADDINGS, resample_points
from pointrecon.errors import DataError

CAR_SYNSET = "02958343"


class KITTI(Dataset):
    """PCN's KITTI car scans in their box frames (evaluation only: there is no ground truth).

    Args:
        root: the folder holding ``cars/`` and ``bboxes/``.
        split: ``"test"`` (the only split).
        n_partial: points of the model input (random subset, or padded when short).
        padding: ``"zeros"`` (default; PoinTr and GRNet pad KITTI inputs with origin points) or
            ``"repeat"``.
        seed: seed of the resampling (fixed per item).

    Every box is read and checked when the data set is built: a scan without a box file, a box
    file without exactly 8 corners of 3 coordinates, or a degenerate box is a ``DataError``
    naming the file.

    Items (dict): ``partial`` (n_partial, 3) float32, the model input; ``observed`` (K, 3), every
    scanned point in the box frame (Fidelity is measured from these); ``complete`` = ``observed``
    (no ground truth exists; it keeps the item usable by the common collate); ``category``
    ``"car"``, ``label`` 0, ``id`` (the file stem), ``view`` 0, ``num_points`` K.

    Shapes:
        partial: (N, 3); observed, complete: (K, 3).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "test",
        *,
        n_partial: int = 2048,
        padding: str = "zeros",
        seed: int = 0,
    ) -> None:
        if split != "test":
            raise ValueError(f"split: KITTI has only the split 'test', got {split!r}")
        if isinstance(n_partial, bool) or not isinstance(n_partial, int) or n_partial < 1:
            raise ValueError(f"n_partial: expected a positive int, got {n_partial!r}")
        if padding not in PADDINGS:
            raise ValueError(f"padding: expected one of {PADDINGS}, got {padding!r}")
        self.root = Path(root)
        self.split = split
        self.n_partial = n_partial
        self.padding = padding
        self.seed = int(seed)
        self.classes = [CAR_SYNSET]
        self.samples, self.frames = self._scan()

    def _scan(self) -> tuple[list[tuple[str, Path]], list[BoxFrame]]:
        from pointrecon.io import find_files

        cars, boxes = self.root / "cars", self.root / "bboxes"
        for folder in (cars, boxes):
            if not folder.is_dir():
                raise DataError(folder, f"missing KITTI folder (expected {cars} and {boxes})")
        samples, frames = [], []
        for path in find_files(cars, (".pcd",)):
            if path.parent != cars:
                raise DataError(path, "unexpected file in KITTI cars/: expected cars/<id>.pcd")
            box = boxes / f"{path.stem}.txt"
            if not box.is_file():
                raise DataError(path, f"scan without a bounding box: missing {box}")
            frames.append(BoxFrame.from_file(box))
            samples.append((path.stem, path))
        if not samples:
            raise DataError(cars, "no KITTI car scans (cars/<id>.pcd) found")
        return samples, frames

    @property
    def categories(self) -> list[str]:
        return ["car"]

    def __len__(self) -> int:
        return len(self.samples)

    def frame(self, index: int) -> BoxFrame:
        """The box frame of item ``index`` (``invert`` maps a completion to the scan frame)."""
        return self.frames[index]

    def __getitem__(self, index: int) -> dict[str, Any]:
        from pointrecon.io import read_points

        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        index = index % len(self)
        sample_id, path = self.samples[index]
        observed = self.frames[index].apply(read_points(path))
        rng = np.random.default_rng([self.seed, index])
        partial = resample_points(observed, self.n_partial, rng, self.padding)
        item = completion_item(partial, observed, category="car", label=0, id=sample_id, view=0)
        item["observed"] = torch.from_numpy(np.ascontiguousarray(observed, dtype=np.float32))
        item["num_points"] = len(observed)
        return item


def load_reference_set(path: str | os.PathLike, n_points: int, seed: int = 0) -> np.ndarray:
    """The reference set of complete clouds for MMD, each resampled to ``n_points``.

    ``path`` is a folder of point clouds (e.g. PCN's ``complete/02958343`` ShapeNet cars; read
    recursively, sorted) or one ``.npy`` array of shape (R, M, 3).

    Shapes:
        returns (R, n_points, 3) float32.
    """
    from pointrecon.io import find_files, read_points
    from pointrecon.io.formats import POINT_EXTENSIONS

    path = Path(path)
    rng = np.random.default_rng(seed)
    if path.is_file() and path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DataError(path, f"cannot read reference array ({exc})") from exc
        if arr.ndim != 3 or arr.shape[2] != 3 or len(arr) == 0 or not np.isfinite(arr).all():
            raise DataError(path, f"expected a finite (R, M, 3) array, got shape {arr.shape}")
        clouds = list(arr)
    else:
        files = find_files(path, POINT_EXTENSIONS)
        if not files:
            raise DataError(path, "no point cloud files for the MMD reference set")
        clouds = [read_points(f) for f in files]
    return np.stack([resample_points(c, n_points, rng) for c in clouds]).astype(np.float32)
