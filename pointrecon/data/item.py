"""The item every completion data set yields, built in one place.

Shapes:
    partial: (N, 3) float32 tensor
    complete: (M, 3) float32 tensor
    depth: (V, H, W) float32 tensor, optional
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch


def check_epoch(epoch: int) -> int:
    """``epoch`` as an int; ValueError unless it is a non-negative integer."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"epoch: expected a non-negative int, got {epoch!r}")
    return int(epoch)


def completion_item(
    partial: np.ndarray,
    complete: np.ndarray,
    *,
    category: str,
    label: int,
    id: str,  # noqa: A002 - the item key
    view: int,
    transform: Callable[[dict[str, Any], np.random.Generator], dict[str, Any]] | None = None,
    transform_seed: Sequence[int] = (),
    depth: np.ndarray | None = None,
) -> dict[str, Any]:
    """Apply ``transform`` (seeded by ``transform_seed``) to both clouds and build the item dict.

    ``transform_seed`` should identify the item, the epoch and the augmentation stream, e.g.
    ``[seed, split, index, epoch, AUGMENT_SEED_TAG]``, so that augmentation is reproducible, differs per epoch
    and does not share a random stream with the data generation.
    """
    if transform is not None:
        rng = np.random.default_rng([int(s) for s in transform_seed])
        sample = transform({"partial": partial, "complete": complete}, rng)
        partial, complete = sample["partial"], sample["complete"]
    item: dict[str, Any] = {
        "partial": torch.from_numpy(np.ascontiguousarray(partial, dtype=np.float32)),
        "complete": torch.from_numpy(np.ascontiguousarray(complete, dtype=np.float32)),
        "category": category,
        "label": int(label),
        "id": id,
        "view": int(view),
    }
    if depth is not None:
        item["depth"] = torch.from_numpy(np.ascontiguousarray(depth, dtype=np.float32))
    return item
