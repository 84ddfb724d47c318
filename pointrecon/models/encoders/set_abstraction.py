"""PointNet++ set abstraction (SSG or MSG) on pointrecon's fps and ball_query.

Shapes:
    points: (B, N, 3), feats: (B, N, C) or None, lengths: (B,) optional
    -> centers (B, M, 3), feats (B, M, C_out) with C_out = sum of each scale's last width
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.utils.optional import require

BACKENDS = ("dense", "pyg")


class SetAbstraction(nn.Module):
    """Sample M centres by FPS, group neighbours per radius, shared MLP on ``[f_j, p_j - c]``, max.

    One radius is single-scale grouping (SSG); several radii are multi-scale grouping (MSG), whose
    per-scale features are concatenated. ``num_centers=0`` groups all points around the origin
    (the global layer), honouring ``lengths``.

    Backends: "dense" gathers (B, M, K, C) neighbourhoods and max-pools; "pyg" builds an
    ``edge_index`` from the same ball query (duplicates removed) and runs
    ``torch_geometric.nn.PointNetConv`` with the same MLP, so both give the same result in eval
    mode. "dense" is the default: it needs no PyG and keeps tensor shapes static (for
    torch.compile and CUDA graphs); "pyg" skips the repeated ball-query slots. Timings of both:
    benchmarks/results/measurements.md.

    Args:
        in_channels: C of the input features (0 for xyz only).
        num_centers: M (0 = group all).
        radii: one radius per scale.
        num_neighbors: K per scale (same length as radii).
        mlps: per scale, the MLP widths after the input ``C + 3``.
        norm: "batch", "layer" or "none".
        backend: "dense" or "pyg".
    """

    def __init__(
        self,
        in_channels: int,
        num_centers: int,
        radii: Sequence[float],
        num_neighbors: Sequence[int],
        mlps: Sequence[Sequence[int]],
        norm: str = "batch",
        backend: str = "dense",
    ) -> None:
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        radii, num_neighbors = list(radii), list(num_neighbors)
        if num_centers < 0:
            raise ValueError(f"num_centers must be >= 0, got {num_centers}")
        if num_centers > 0 and not (len(radii) == len(num_neighbors) == len(mlps) >= 1):
            raise ValueError(
                f"radii, num_neighbors and mlps must have the same length >= 1, got "
                f"{len(radii)}, {len(num_neighbors)}, {len(mlps)}"
            )
        if num_centers == 0 and len(mlps) != 1:
            raise ValueError(f"the group-all layer (num_centers=0) takes one mlp, got {len(mlps)}")
        self.in_channels = int(in_channels)
        self.num_centers = int(num_centers)
        self.radii = [float(r) for r in radii]
        self.num_neighbors = [int(k) for k in num_neighbors]
        self.backend = backend
        self.mlps = nn.ModuleList(
            SharedMLP([self.in_channels + 3, *[int(c) for c in m]], norm=norm) for m in mlps
        )
        self.out_channels = sum(m.out_channels for m in self.mlps)
        # PyG wrappers around the same MLPs (built here: PyG resets the wrapped MLP on
        # construction); a plain list so that parameters and state_dict keys stay backend-free
        self._convs: list[nn.Module] = []
        if backend == "pyg":
            pyg_nn = require("torch_geometric.nn", 'SetAbstraction(backend="pyg")')
            self._convs = [pyg_nn.PointNetConv(local_nn=m, add_self_loops=False) for m in self.mlps]

    def _group_all(self, points: Tensor, feats: Tensor | None, lengths: Tensor | None):
        x = points if feats is None else torch.cat([feats, points], dim=-1)
        h = self.mlps[0](x)
        if lengths is not None:
            valid = torch.arange(h.shape[1], device=h.device)[None] < lengths[:, None]
            h = h.masked_fill(~valid[..., None], float("-inf"))
        g = h.max(dim=1).values
        g = torch.where(torch.isfinite(g), g, torch.zeros_like(g))
        return points.new_zeros(points.shape[0], 1, 3), g[:, None]

    def forward(
        self, points: Tensor, feats: Tensor | None = None, lengths: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        if (feats is None) != (self.in_channels == 0):
            raise ValueError(
                f"feats must be given with {self.in_channels} channels, got "
                f"{None if feats is None else tuple(feats.shape)}"
            )
        if feats is not None and feats.shape[-1] != self.in_channels:
            raise ValueError(f"feats must have {self.in_channels} channels, got {feats.shape}")
        if self.num_centers == 0:
            return self._group_all(points, feats, lengths)
        center_idx = _ops.fps(points, self.num_centers, lengths)
        centers = _ops.gather_points(points, center_idx)
        outs = []
        for i, (r, k) in enumerate(zip(self.radii, self.num_neighbors)):
            idx = _ops.ball_query(centers, points, r, k, lengths)
            if self.backend == "dense":
                outs.append(self._dense(i, points, feats, centers, idx))
            else:
                outs.append(self._pyg(i, points, feats, centers, idx))
        return centers, torch.cat(outs, dim=-1)

    def _dense(self, i: int, points, feats, centers, idx) -> Tensor:
        rel = _ops.gather_points(points, idx) - centers[:, :, None]
        x = rel if feats is None else torch.cat([_ops.gather_points(feats, idx), rel], dim=-1)
        return self.mlps[i](x).max(dim=2).values

    def _pyg(self, i: int, points, feats, centers, idx) -> Tensor:
        B, N, _ = points.shape
        M, K = idx.shape[1:]
        src = (idx + torch.arange(B, device=idx.device)[:, None, None] * N).reshape(-1)
        dst = torch.arange(B * M, device=idx.device).repeat_interleave(K)
        # unfilled ball-query slots repeat the first hit; drop the duplicate edges
        keep = torch.ones_like(src, dtype=torch.bool)
        keep.view(B * M, K)[:, 1:] = idx.reshape(B * M, K)[:, 1:] != idx.reshape(B * M, K)[:, :1]
        edge_index = torch.stack([src[keep], dst[keep]])
        x = None if feats is None else feats.reshape(B * N, -1)
        conv = self._convs[i]
        out = conv(
            (x, None),
            (points.reshape(B * N, 3), centers.reshape(B * M, 3)),
            edge_index,
        )
        return out.view(B, M, -1)
