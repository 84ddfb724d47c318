"""Completion pairs from a user's folder of point clouds (any format :mod:`pointrecon.io` reads).

Layout (``root``, or ``root/<split>`` when ``split`` is given)::

    partial/<rel>.<ext>              one partial cloud          -> complete/<rel>.<ext2>
    partial/<rel>/<view>.<ext>       several views of one object -> complete/<rel>.<ext2>
    complete/<rel>.<ext2>            a point cloud or a mesh (sampled on its surface)

``<rel>`` is any relative path without extension (sub-folders allowed); the extensions may differ
(``.pcd`` partials against ``.ply`` completes, ...). Every partial file is one item. The category
of an item is the first folder of ``<rel>`` (``"object"`` when ``<rel>`` has no folder).

A folder of meshes only (no ``partial/``) is what :class:`pointrecon.data.MeshFolderCompletion`
reads: it simulates the partial scans.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.resample import resample_pair
from pointrecon.data.scan_spec import AUGMENT_SEED_TAG
from pointrecon.errors import DataError


def _ply_has_faces(path: Path) -> bool:
    """True when a file's PLY header declares a non-empty ``face`` element (a mesh)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    header = head.split(b"end_header", 1)[0]
    for line in header.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == b"element" and parts[1] == b"face":
            return parts[2].isdigit() and int(parts[2]) > 0
    return False


def _read_cloud(path: Path, nan_policy: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Points of a point file (float64 relative to the offset for LAS/LAZ/E57) and the offset."""
    from pointrecon.io import read_point_cloud

    cloud = read_point_cloud(path, nan_policy=nan_policy, dtype=np.float64)
    if cloud.offset is None:
        return cloud.points.astype(np.float32), None
    return cloud.points, cloud.offset


def _stem_key(rel: Path) -> str:
    return rel.with_suffix("").as_posix()


class PointCloudFolder(Dataset):
    """Partial/complete pairs matched by relative path in ``partial/`` and ``complete/``.

    Args:
        root: the data-set folder (see the module docstring).
        split: optional sub-folder of ``root`` holding ``partial/`` and ``complete/``.
        n_partial, n_complete: points per cloud (random subset, or repeats when short).
        normalize: True (default) applies the project's default normalisation fitted on the
            complete cloud to both clouds (docs/conventions.md, Frames); False keeps the stored coordinates.
        seed: base seed of the resampling (fixed per item).
        nan_policy: passed to :func:`pointrecon.io.read_points` (``"error"`` or ``"drop"``).
        transform: optional augmentation ``(sample, rng) -> sample`` on the numpy clouds
            (:mod:`pointrecon.data.transforms`), seeded by ``(seed, split, index, epoch)``.

    Items (dict): ``partial`` float32 tensor (n_partial, 3), ``complete`` (n_complete, 3),
    ``category`` str, ``label`` int (index in the sorted categories), ``id`` str (``<rel>`` of
    the partial file with ``/`` replaced by ``__``), ``view`` int (index among the object's views).

    Shapes:
        partial: (N, 3); complete: (M, 3).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str | None = None,
        *,
        n_partial: int = 2048,
        n_complete: int = 16384,
        normalize: bool = True,
        seed: int = 0,
        nan_policy: str = "error",
        transform: Callable[[dict[str, Any], np.random.Generator], dict[str, Any]] | None = None,
    ) -> None:
        for name, value in (("n_partial", n_partial), ("n_complete", n_complete)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if nan_policy not in ("error", "drop"):
            raise ValueError(f"nan_policy: expected 'error' or 'drop', got {nan_policy!r}")
        self.root = Path(root) if split is None else Path(root) / split
        self.n_partial = n_partial
        self.n_complete = n_complete
        self.normalize = bool(normalize)
        self.seed = int(seed)
        self.nan_policy = nan_policy
        self.transform = transform
        self.epoch = 0
        self.samples = self._scan()
        self.categories = sorted({s[2] for s in self.samples})

    def _scan(self) -> list[tuple[Path, Path, str, str, int]]:
        from pointrecon.io import MESH_EXTENSIONS, POINT_EXTENSIONS, find_files

        partial_root, complete_root = self.root / "partial", self.root / "complete"
        for folder in (partial_root, complete_root):
            if not folder.is_dir():
                raise DataError(
                    folder,
                    "missing folder: a point-cloud folder data set needs partial/ and complete/ "
                    "(for a folder of meshes only, use MeshFolderCompletion)",
                )
        completes: dict[str, Path] = {}
        exts = tuple(dict.fromkeys(tuple(POINT_EXTENSIONS) + tuple(MESH_EXTENSIONS)))
        for path in find_files(complete_root, exts):
            key = _stem_key(path.relative_to(complete_root))
            if key in completes:
                raise DataError(
                    path,
                    f"ambiguous complete shape: {completes[key].name} has the "
                    "same relative path without extension",
                )
            completes[key] = path
        partials = find_files(partial_root, tuple(POINT_EXTENSIONS))
        if not partials:
            raise DataError(partial_root, f"no point cloud ({', '.join(POINT_EXTENSIONS)}) found")
        views: dict[Path, list[Path]] = {}
        samples = []
        for path in partials:
            rel = path.relative_to(partial_root)
            key = _stem_key(rel)
            if key in completes:
                complete, view_key = completes[key], None
            elif len(rel.parts) > 1 and rel.parent.as_posix() in completes:
                complete, view_key = completes[rel.parent.as_posix()], path.parent
            else:
                raise DataError(
                    path,
                    f"no complete shape for this partial cloud: expected complete/{key}.<ext> "
                    f"or complete/{rel.parent.as_posix()}.<ext> under {self.root}",
                )
            crel = complete.relative_to(complete_root)
            category = crel.parts[0] if len(crel.parts) > 1 else "object"
            view = 0
            if view_key is not None:
                views.setdefault(view_key, []).append(path)
                view = len(views[view_key]) - 1
            samples.append((path, complete, category, key.replace("/", "__"), view))
        _check_manifest(self.root)
        return samples

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch that seeds the augmentation (``transform``)."""
        self.epoch = check_epoch(epoch)

    def __len__(self) -> int:
        return len(self.samples)

    def _read_complete(
        self, path: Path, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray | None]:
        from pointrecon.io import (
            MESH_EXTENSIONS,
            POINT_EXTENSIONS,
            read_mesh,
            sample_surface,
        )

        ext = path.suffix.lower()
        if ext in POINT_EXTENSIONS and not (ext in MESH_EXTENSIONS and _ply_has_faces(path)):
            return _read_cloud(path, self.nan_policy)
        seed = int(rng.integers(2**31))
        return sample_surface(read_mesh(path), self.n_complete, seed=seed), None

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} samples")
        index = index % len(self)
        partial_path, complete_path, category, sample_id, view = self.samples[index]
        rng = np.random.default_rng([self.seed, index])
        partial, p_offset = _read_cloud(partial_path, self.nan_policy)
        complete, c_offset = self._read_complete(complete_path, rng)
        # geo-referenced files (LAS/LAZ/E57) each come relative to their own offset: express
        # the pair in one frame (the complete's origin) before going to float32
        origin = c_offset if c_offset is not None else p_offset
        if origin is not None:
            partial = np.asarray(partial, np.float64) + (0.0 if p_offset is None else p_offset)
            complete = np.asarray(complete, np.float64) + (0.0 if c_offset is None else c_offset)
            partial = (partial - origin).astype(np.float32)
            complete = (complete - origin).astype(np.float32)
        partial, complete = resample_pair(
            partial, complete, self.n_partial, self.n_complete, rng, normalize=self.normalize
        )
        return completion_item(
            partial,
            complete,
            category=category,
            label=self.categories.index(category),
            id=sample_id,
            view=view,
            transform=self.transform,
            transform_seed=[self.seed, 0, index, self.epoch, AUGMENT_SEED_TAG],
        )


def _check_manifest(root: Path) -> None:
    """Raise if a ``manifest.json`` (of ``pointrecon make-data``) lists a file under ``root`` that
    is missing: the item would otherwise be dropped without a word."""
    import json

    for manifest in (root / "manifest.json", root.parent / "manifest.json"):
        if not manifest.is_file():
            continue
        try:
            entries = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            return
        base = manifest.parent
        for entry in entries if isinstance(entries, list) else []:
            for key in ("partial", "complete"):
                rel = entry.get(key) if isinstance(entry, dict) else None
                if not isinstance(rel, str):
                    continue
                path = base / rel
                inside = path.resolve().is_relative_to(root.resolve())
                if inside and not path.exists():
                    raise DataError(path, f"listed in {manifest} but missing")
        return
