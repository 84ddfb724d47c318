"""PointNet with edge features: per-point features that see each point's neighbourhood, and a
global code.

Shapes:
    points: (B, N, 3) -> code (B, C), point_feats (B, N, C_p)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pointrecon.checks import check_batch
from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.models.outputs import EncoderOutput


class LocalPointNet(nn.Module):
    """Per-point features from a point MLP and one EdgeConv-style neighbourhood layer, then a
    PointNet over them for the global code.

    1. ``f = MLP(p)`` per point, (B, N, C_0);
    2. ``e = max_k MLP([f_i, f_j - f_i, p_j - p_i])`` over the ``k`` nearest neighbours j of i;
    3. ``point_feats = MLP([f, e])`` (B, N, ``point_channels``);
    4. ``code = max_i MLP(point_feats)`` (B, ``out_channels``).

    Every sample must have N valid points (``lengths`` None or all equal to N): completion
    models resample their input to a fixed count.

    Args:
        point_channels: C_p of the returned per-point features.
        out_channels: C of the global code.
        k: neighbours of the edge layer.
        hidden: C_0, width of the first point MLP and of the edge layer.
        norm: "layer" or "none" (batch statistics are avoided: completion batches are small).
    """

    def __init__(
        self,
        point_channels: int = 128,
        out_channels: int = 512,
        k: int = 16,
        hidden: int = 64,
        norm: str = "layer",
    ) -> None:
        super().__init__()
        for name, v in (("point_channels", point_channels), ("out_channels", out_channels),
                        ("k", k), ("hidden", hidden)):  # fmt: skip
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        self.k, self.out_channels, self.point_channels = k, out_channels, point_channels
        self.point_mlp = SharedMLP([3, hidden, hidden], norm=norm)
        self.edge_mlp = SharedMLP([2 * hidden + 3, hidden * 3 // 2], norm=norm)
        self.fuse = SharedMLP([hidden + hidden * 3 // 2, point_channels], norm=norm)
        self.global_mlp = SharedMLP([point_channels, 256, out_channels], norm=norm, last_act=False)

    def forward(self, points: Tensor, lengths: Tensor | None = None) -> EncoderOutput:
        check_batch("points", points, lengths)
        B, N, _ = points.shape
        if lengths is not None and bool((lengths != N).any()):
            raise ValueError(
                f"LocalPointNet needs {N} valid points in every sample, got lengths "
                f"{lengths.tolist()}; resample each cloud to a fixed count first"
            )
        f = self.point_mlp(points)
        k = min(self.k, N)
        idx = _ops.knn_idx(points, points, k).clamp_min(0)  # (B, N, K)
        fj = _ops.gather_points(f, idx)  # (B, N, K, C0)
        fi = f[:, :, None].expand_as(fj)
        rel = _ops.gather_points(points, idx) - points[:, :, None]
        e = self.edge_mlp(torch.cat([fi, fj - fi, rel], dim=-1)).max(dim=2).values
        feats = self.fuse(torch.cat([f, e], dim=-1))
        code = self.global_mlp(feats).max(dim=1).values
        return EncoderOutput(code, feats)
