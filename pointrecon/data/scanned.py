"""ScannedCompletion: what the data sets that scan meshes share (Synthetic, MeshFolder, ModelNet)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from pointrecon.data.cache import SampleCache
from pointrecon.data.item import check_epoch, completion_item
from pointrecon.data.scan_spec import AUGMENT_SEED_TAG, ScanSpec

Transform = Callable[[dict[str, Any], np.random.Generator], dict[str, Any]]


class ScannedCompletion(Dataset):
    """Base of the completion data sets whose partials are simulated scans of meshes.

    Holds the scan settings (:class:`~pointrecon.data.scan_spec.ScanSpec`), depth output, the
    augmentation and its epoch; subclasses say which mesh and seed item ``i`` uses.

    Args:
        scan: the scan settings, as a spec or a mapping of its fields.
        return_depth: add the depth images ``depth`` (V, H, W) to each item.
        transform: callable ``(sample, rng) -> sample`` on numpy clouds, seeded per item and
            epoch (see :meth:`item`).
        scan_settings: single scan settings (``n_partial=...``), over ``scan``; the flat keys of
            older configs.
    """

    def __init__(
        self,
        scan: ScanSpec | Mapping[str, Any] | None = None,
        *,
        return_depth: bool = False,
        transform: Transform | None = None,
        **scan_settings: Any,
    ) -> None:
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        self.scan = ScanSpec.create(scan, **scan_settings)
        self.return_depth = bool(return_depth)
        self.transform = transform
        self.epoch = 0
        self.cache: SampleCache | None = None  # subclasses set it when given a cache_dir

    @property
    def scan_kwargs(self) -> dict[str, Any]:
        """The scan settings as a plain dict (cache parameters, manifests)."""
        return self.scan.as_dict()

    def set_epoch(self, epoch: int) -> None:
        """Re-seed the augmentation for ``epoch`` (call before creating the epoch's iterator)."""
        self.epoch = check_epoch(epoch)

    def generate(self, index: int) -> dict[str, np.ndarray]:
        """The arrays of item ``index``, generated (no cache, no transform)."""
        raise NotImplementedError

    def item_id(self, index: int) -> str:
        """The id of item ``index``."""
        raise NotImplementedError

    def cache_key(self, index: int) -> str:
        """The sample cache's key of item ``index`` (default: its id)."""
        return self.item_id(index)

    def load(self, index: int) -> dict[str, np.ndarray]:
        """The arrays of item ``index``, from the cache when present (generated and stored else)."""
        if self.cache is None:
            return self.generate(index)
        key = self.cache_key(index)
        arrays = self.cache.load(key)
        if arrays is None:
            arrays = self.generate(index)
            self.cache.save(key, arrays)
        return arrays

    def pair_arrays(self, pair: dict[str, Any]) -> dict[str, np.ndarray]:
        """The arrays kept (and cached) of a :func:`~pointrecon.data.make_completion_pair`."""
        arrays = {k: pair[k] for k in ("partial", "complete")}
        arrays["norm_center"] = np.asarray(pair["normalization"].center, dtype=np.float64)
        arrays["norm_scale"] = np.asarray(pair["normalization"].scale, dtype=np.float64)
        if self.return_depth:
            arrays["depth"] = pair["depth"]
        return arrays

    def item(
        self,
        arrays: Mapping[str, np.ndarray],
        seed_prefix: list[int],
        index: int,
        *,
        tag: int = AUGMENT_SEED_TAG,
        **meta: Any,
    ) -> dict[str, Any]:
        """The item of ``arrays``; augmentation seeded ``[*seed_prefix, index, epoch, tag]``."""
        return completion_item(
            arrays["partial"],
            arrays["complete"],
            transform=self.transform,
            transform_seed=[*seed_prefix, index, self.epoch, tag],
            depth=arrays.get("depth") if self.return_depth else None,
            **meta,
        )
