"""Collate completion samples into batches of :class:`~pointrecon.types.PointBatch`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from pointrecon.types import PointBatch

_REQUIRED = ("partial", "complete", "label", "category", "id", "view")


def collate_completion(samples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Batch completion samples (the dataset item dicts).

    Clouds of equal size are stacked (``lengths`` None); clouds of different sizes are
    zero-padded with ``lengths`` set (:meth:`PointBatch.from_list`). Depth images are stacked when
    every sample has one.

    Returns:
        dict(partial PointBatch, complete PointBatch, label LongTensor (B,), category list[str],
        id list[str], view LongTensor (B,)[, depth (B, V, H, W) float32]).

    Shapes:
        partial (B, N, 3), complete (B, M, 3), label (B,), view (B,), depth (B, V, H, W)
    """
    if not isinstance(samples, Sequence) or len(samples) == 0:
        raise ValueError(f"samples must be a non-empty sequence of dicts, got {samples!r:.80}")
    for i, s in enumerate(samples):
        if not isinstance(s, Mapping):
            raise TypeError(f"samples[{i}] must be a dict, got {type(s).__name__}")
        missing = [k for k in _REQUIRED if k not in s]
        if missing:
            raise ValueError(f"samples[{i}] lacks the keys {missing}; it has {sorted(s)}")
    out: dict[str, Any] = {}
    for key in ("partial", "complete"):
        clouds = [torch.as_tensor(s[key], dtype=torch.float32) for s in samples]
        if all(c.shape == clouds[0].shape for c in clouds) and clouds[0].dim() == 2:
            out[key] = PointBatch(torch.stack(clouds))
        else:
            out[key] = PointBatch.from_list(clouds)
    out["label"] = torch.as_tensor([int(s["label"]) for s in samples], dtype=torch.int64)
    out["category"] = [str(s["category"]) for s in samples]
    out["id"] = [str(s["id"]) for s in samples]
    out["view"] = torch.as_tensor([int(s["view"]) for s in samples], dtype=torch.int64)
    if all("depth" in s for s in samples):
        depths = [torch.as_tensor(s["depth"], dtype=torch.float32) for s in samples]
        shapes = {tuple(d.shape) for d in depths}
        if len(shapes) != 1:
            raise ValueError(f"depth images must share one shape (V, H, W), got {sorted(shapes)}")
        out["depth"] = torch.stack(depths)
    return out
