"""The canonical batch of point clouds: dense, channels-last, optionally ragged.

Shapes:
    points:  (B, N, 3) float
    lengths: (B,) int64, optional; sample b uses ``points[b, :lengths[b]]``, the rest is padding
    feats:   (B, N, C) float, optional per-point features (normals, colours, ...)

PyG's flat ``(pos, batch)`` form exists only at the edges, through :meth:`PointBatch.to_packed`
and :meth:`PointBatch.from_packed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from pointrecon.checks import check_features, check_lengths, check_points


@dataclass
class PointBatch:
    """A batch of point clouds in the dense ``(B, N, 3)`` form, with optional ragged lengths."""

    points: Tensor
    lengths: Tensor | None = None
    feats: Tensor | None = None

    def __post_init__(self) -> None:
        p = check_points("points", self.points)
        if self.lengths is not None:
            check_lengths("lengths", self.lengths, p, int32_ok=False)
        if self.feats is not None:
            f = check_features("feats", self.feats)
            B, N = p.shape[:2]
            if f.shape[:2] != (B, N):
                raise ValueError(
                    f"feats must have shape (B, N, C)=({B}, {N}, C), got {tuple(f.shape)}"
                )
            if f.device != p.device:
                raise ValueError(f"feats is on {f.device} but points is on {p.device}")

    # ------------------------------------------------------------------ properties
    @property
    def batch_size(self) -> int:
        return self.points.shape[0]

    @property
    def num_points(self) -> int:
        """N, the padded number of points per sample."""
        return self.points.shape[1]

    @property
    def device(self) -> torch.device:
        return self.points.device

    def counts(self) -> Tensor:
        """Valid points per sample, ``(B,)`` int64 (``N`` everywhere when not ragged)."""
        if self.lengths is not None:
            return self.lengths
        return torch.full(
            (self.batch_size,), self.num_points, dtype=torch.int64, device=self.device
        )

    def mask(self) -> Tensor:
        """``(B, N)`` bool, True where a point is valid."""
        ar = torch.arange(self.num_points, device=self.device)
        return ar[None, :] < self.counts()[:, None]

    def to(self, *args: Any, **kwargs: Any) -> PointBatch:
        """Move to a device / dtype like ``Tensor.to``; lengths keep int64."""
        points = self.points.to(*args, **kwargs)
        lengths = None if self.lengths is None else self.lengths.to(points.device)
        feats = None if self.feats is None else self.feats.to(*args, **kwargs)
        return PointBatch(points, lengths, feats)

    def __getitem__(self, b: int) -> Tensor:
        """The valid points of sample ``b``, ``(n_b, 3)``."""
        return self.points[b, : int(self.counts()[b])]

    # ------------------------------------------------------------------ lists
    @classmethod
    def from_list(
        cls,
        clouds: Sequence[Tensor | np.ndarray],
        feats: Sequence[Tensor | np.ndarray] | None = None,
    ) -> PointBatch:
        """Stack clouds of possibly different sizes, zero-padded, with ``lengths`` when ragged."""
        if len(clouds) == 0:
            raise ValueError("clouds must contain at least one point cloud, got an empty sequence")
        ts = [torch.as_tensor(c) for c in clouds]
        for i, t in enumerate(ts):
            if t.dim() != 2 or t.shape[1] != 3:
                raise ValueError(f"clouds[{i}] must have shape (N, 3), got {tuple(t.shape)}")
        dtype = ts[0].dtype if ts[0].is_floating_point() else torch.float32
        ns = [t.shape[0] for t in ts]
        N = max(ns)
        points = ts[0].new_zeros((len(ts), N, 3), dtype=dtype)
        for i, t in enumerate(ts):
            points[i, : ns[i]] = t.to(dtype)
        f = None
        if feats is not None:
            fs = [torch.as_tensor(x) for x in feats]
            if len(fs) != len(ts):
                raise ValueError(f"feats has {len(fs)} entries but clouds has {len(ts)}")
            C = fs[0].shape[1]
            f = points.new_zeros((len(ts), N, C))
            for i, x in enumerate(fs):
                if x.shape != (ns[i], C):
                    raise ValueError(
                        f"feats[{i}] must have shape ({ns[i]}, {C}), got {tuple(x.shape)}"
                    )
                f[i, : ns[i]] = x.to(points.dtype)
        lengths = None if len(set(ns)) == 1 else torch.tensor(ns, dtype=torch.int64)
        return cls(points, lengths, f)

    def to_list(self) -> list[Tensor]:
        """The valid points of each sample."""
        return [self[b] for b in range(self.batch_size)]

    # ------------------------------------------------------------------ PyG packed form
    def to_packed(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """``(pos (P, 3), batch (P,) int64, x (P, C) or None)`` with P the total valid points."""
        m = self.mask()
        pos = self.points[m]
        batch = torch.arange(self.batch_size, device=self.device)[:, None].expand_as(m)[m]
        x = None if self.feats is None else self.feats[m]
        return pos, batch, x

    @classmethod
    def from_packed(
        cls, pos: Tensor, batch: Tensor, x: Tensor | None = None, batch_size: int | None = None
    ) -> PointBatch:
        """Inverse of :meth:`to_packed`; ``batch`` must be sorted, as PyG makes it."""
        if pos.dim() != 2 or pos.shape[1] != 3:
            raise ValueError(f"pos must have shape (P, 3), got {tuple(pos.shape)}")
        if batch.shape != pos.shape[:1]:
            raise ValueError(f"batch must have shape ({pos.shape[0]},), got {tuple(batch.shape)}")
        if batch.numel() and bool((batch[1:] < batch[:-1]).any()):
            raise ValueError("batch must be sorted in ascending order")
        B = batch_size if batch_size is not None else (int(batch.max()) + 1 if batch.numel() else 0)
        counts = torch.bincount(batch, minlength=B).to(torch.int64)
        N = int(counts.max()) if B else 0
        starts = torch.cumsum(counts, 0) - counts
        slot = torch.arange(pos.shape[0], device=pos.device) - starts[batch]
        points = pos.new_zeros((B, N, 3))
        points[batch, slot] = pos
        feats = None
        if x is not None:
            feats = x.new_zeros((B, N, x.shape[1]))
            feats[batch, slot] = x
        ragged = B > 0 and bool((counts != N).any())
        return cls(points, counts if ragged else None, feats)

    def to_pyg(self) -> Any:
        """A ``torch_geometric.data.Batch`` with ``pos``, ``batch`` and ``x`` (feats); needs the
        ``pyg`` extra."""
        from pointrecon.utils.optional import require

        pyg_data = require("torch_geometric.data", "PointBatch.to_pyg")
        Batch, Data = pyg_data.Batch, pyg_data.Data
        return Batch.from_data_list(
            [
                Data(
                    pos=self[b], x=None if self.feats is None else self.feats[b, : self[b].shape[0]]
                )
                for b in range(self.batch_size)
            ]
        )

    @classmethod
    def from_pyg(cls, data: Any) -> PointBatch:
        """From a PyG ``Data`` (one cloud) or ``Batch``; uses ``pos``, ``batch`` and ``x``."""
        pos = getattr(data, "pos", None)
        if pos is None:
            raise ValueError("PyG data has no 'pos' attribute")
        batch = getattr(data, "batch", None)
        if batch is None:
            batch = torch.zeros(pos.shape[0], dtype=torch.int64, device=pos.device)
        return cls.from_packed(
            pos, batch, getattr(data, "x", None), getattr(data, "num_graphs", None)
        )

    # ------------------------------------------------------------------ numpy
    def numpy(self) -> list[np.ndarray]:
        """Each sample's valid points as a float32 ``(n, 3)`` numpy array."""
        return [t.detach().cpu().numpy().astype(np.float32) for t in self.to_list()]

    @classmethod
    def from_numpy(cls, clouds: np.ndarray | Sequence[np.ndarray]) -> PointBatch:
        """From a ``(B, N, 3)`` array or a list of ``(n, 3)`` arrays."""
        if isinstance(clouds, np.ndarray) and clouds.ndim == 3:
            return cls(torch.from_numpy(np.ascontiguousarray(clouds, dtype=np.float32)))
        return cls.from_list([np.asarray(c, dtype=np.float32) for c in clouds])
