"""DGCNN encoder: edge convolutions on k-nearest-neighbour graphs.

Shapes:
    points: (B, N, 3), lengths: (B,) optional -> code (B, C), point_feats (B, N, sum(widths))
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.checks import check_batch
from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP, masked_max
from pointrecon.models.outputs import EncoderOutput
from pointrecon.utils.optional import require

BACKENDS = ("dense", "pyg")


class DGCNN(nn.Module):
    """DGCNN (Wang et al. 2019): ``x_i' = max_j MLP([x_i, x_j - x_i])`` over the k nearest j.

    The graph of the first layer is the kNN graph of the coordinates (pointrecon.ops.knn, which
    also builds the feature-space graphs). With
    ``dynamic`` each later layer rebuilds it in its input feature space (the original DGCNN);
    without, all layers share the coordinate graph (cheaper). Layer outputs are concatenated,
    lifted by a shared MLP to ``emb_channels``, max-pooled (ragged-aware) and projected.

    Backends: "dense" gathers (B, N, K, C) and max-pools; "pyg" runs ``torch_geometric.nn.EdgeConv``
    on the flattened graph with the same MLPs (identical results). "dense" is the default: it
    needs no PyG and keeps tensor shapes static (timings of both:
    benchmarks/results/measurements.md).

    Args:
        k: neighbours per point.
        widths: output width of each edge convolution.
        emb_channels: width of the per-point embedding before pooling.
        out_channels: size C of the code.
        dynamic: rebuild the graph in feature space at each layer.
        norm: "batch", "layer" or "none".
        backend: "dense" or "pyg".
    """

    def __init__(
        self,
        k: int = 20,
        widths: Sequence[int] = (64, 64, 128, 256),
        emb_channels: int = 1024,
        out_channels: int = 1024,
        dynamic: bool = False,
        norm: str = "batch",
        backend: str = "dense",
    ) -> None:
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.k, self.dynamic, self.backend = int(k), bool(dynamic), backend
        self.out_channels = int(out_channels)
        widths = [int(w) for w in widths]
        convs, cin = [], 3
        for w in widths:
            convs.append(SharedMLP([2 * cin, w], norm=norm))
            cin = w
        self.convs = nn.ModuleList(convs)
        # PyG wrappers around the same MLPs (built here: PyG resets the wrapped MLP on
        # construction); a plain list so that parameters and state_dict keys stay backend-free
        self._pyg_convs: list[nn.Module] = []
        if backend == "pyg":
            pyg_nn = require("torch_geometric.nn", 'DGCNN(backend="pyg")')
            self._pyg_convs = [pyg_nn.EdgeConv(m, aggr="max") for m in self.convs]
        self.emb = SharedMLP([sum(widths), int(emb_channels)], norm=norm)
        self.proj = nn.Linear(int(emb_channels), self.out_channels)

    def _graph(self, x: Tensor, lengths: Tensor | None) -> Tensor:
        k = min(self.k, x.shape[1])
        idx = _ops.knn_idx(x, x, k, lengths)
        if lengths is not None:  # missing or padded neighbours: repeat the nearest (max unchanged)
            bad = (idx < 0) | (idx >= lengths[:, None, None])
            idx = torch.where(bad, idx[..., :1], idx).clamp_min(0)
        return idx

    def _edge_conv(self, i: int, x: Tensor, idx: Tensor) -> Tensor:
        if self.backend == "dense":
            mlp = self.convs[i]
            xj = _ops.gather_points(x, idx)
            xi = x[:, :, None].expand_as(xj)
            return mlp(torch.cat([xi, xj - xi], dim=-1)).max(dim=2).values
        B, N, K = idx.shape
        src = (idx + torch.arange(B, device=idx.device)[:, None, None] * N).reshape(-1)
        dst = torch.arange(B * N, device=idx.device).repeat_interleave(K)
        out = self._pyg_convs[i](x.reshape(B * N, -1), torch.stack([src, dst]))
        return out.view(B, N, -1)

    def forward(self, points: Tensor, lengths: Tensor | None = None) -> EncoderOutput:
        check_batch("points", points, lengths)
        if lengths is not None and lengths.numel() and int(lengths.min()) < 1:
            raise ValueError(f"lengths must be >= 1 for DGCNN, got {lengths.tolist()}")
        x = points
        idx = self._graph(points, lengths)
        feats = []
        for i in range(len(self.convs)):
            if self.dynamic and i > 0:
                idx = self._graph(x, lengths)
            x = self._edge_conv(i, x, idx)
            feats.append(x)
        f = torch.cat(feats, dim=-1)
        g = masked_max(self.emb(f), lengths)
        return EncoderOutput(self.proj(g), f)
