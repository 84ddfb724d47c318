"""Locally conditioned recurrent refinement with point splitting, over serialized sequences.

Shapes:
    points (B, M, 3), partial (B, N, 3), partial_feats (B, N, C_p), code (B, C), parent (B, M, H)
    -> moved points (B, M, 3), children (B, M * r, 3), child features (B, M * r, H)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from pointrecon.checks import check_choice, check_int
from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.ops.serialize import ORDERS

CELLS = ("gru", "lstm")


class LocalSequenceRefiner(nn.Module):
    """One refinement step of a completion: move points, then split each into ``r`` children.

    For the current points X (B, M, 3):

    1. **Local conditioning.** For each point, its ``local_k`` nearest points of the observed
       partial P give ``max_k MLP([F_j, P_j - x])``, where F are the encoder's per-point
       features of P. So every point sees the observation around it, not only a global code.
    2. **Sequence.** Per-point features ``[x, MLP(x), W code, local, parent]`` are ordered
       along a space-filling curve (``order``), and a GRU/LSTM runs along that order in windows
       of ``window`` points (0: the whole sequence), all windows as one batch. ``parent`` is the
       hidden feature of the point's parent at the previous step (zeros at the first).
    3. **Move.** ``x' = x + scale * tanh(Linear(h))``.
    4. **Split.** ``children = x' + split_scale * tanh(Linear_r(h))`` gives ``r`` children per
       point (r = ``up_factor``; 1 keeps the count), each inheriting ``h`` as its parent feature.

    With ``recurrent=False`` the step is the refiner-free ablation: no local conditioning and no
    RNN, the split offsets come from a point MLP over ``[x, MLP(x), W code, parent]``
    (folding-style), and the points are not moved.

    Args:
        code_channels, point_channels: C of the global code, C_p of the partial's features.
        hidden: H, RNN hidden size (and child feature width).
        up_factor: r, children per point.
        scale, split_scale: bounds of the move and of the child offsets.
        window: W (0 = full length).
        order: point order for the sequence.
        cell: "gru" or "lstm".
        local_k: partial neighbours per point.
        feat_channels: width of the coordinate, code and local embeddings.
        recurrent: False for the ablation described above.
    """

    def __init__(
        self,
        code_channels: int,
        point_channels: int,
        hidden: int = 64,
        up_factor: int = 4,
        scale: float = 0.1,
        split_scale: float = 0.1,
        window: int = 64,
        order: str = "morton",
        cell: str = "gru",
        local_k: int = 8,
        feat_channels: int = 64,
        recurrent: bool = True,
    ) -> None:
        super().__init__()
        check_choice("cell", cell, CELLS)
        check_choice("order", order, ORDERS)
        for name, v, lo in (("hidden", hidden, 1), ("up_factor", up_factor, 1),
                            ("window", window, 0), ("local_k", local_k, 1),
                            ("feat_channels", feat_channels, 1)):  # fmt: skip
            check_int(name, v, minimum=lo)
        if not scale > 0 or not split_scale > 0:
            raise ValueError(f"scale and split_scale must be > 0, got {scale}, {split_scale}")
        self.hidden, self.up_factor, self.window, self.order = hidden, up_factor, window, order
        self.local_k, self.recurrent = local_k, bool(recurrent)
        self.scale, self.split_scale = float(scale), float(split_scale)
        f = feat_channels
        self.pos_mlp = SharedMLP([3, f, f], norm="none")
        self.code_proj = nn.Linear(code_channels, f)
        cin = 3 + 2 * f + hidden
        if self.recurrent:
            self.local_mlp = SharedMLP([point_channels + 3, f, f], norm="none")
            rnn_cls = nn.GRU if cell == "gru" else nn.LSTM
            self.rnn: nn.Module = rnn_cls(cin + f, hidden, batch_first=True)
            self.move = nn.Linear(hidden, 3)
        else:
            self.rnn = SharedMLP([cin, hidden, hidden], norm="none")
        self.split = nn.Linear(hidden, 3 * up_factor)

    def extra_repr(self) -> str:
        kind = "recurrent" if self.recurrent else "mlp"
        return (
            f"{kind}, window={self.window}, steps=1, order={self.order!r}, "
            f"up_factor={self.up_factor}"
        )

    def local_features(self, points: Tensor, partial: Tensor, partial_feats: Tensor) -> Tensor:
        """``max_k MLP([F_j, P_j - x])`` over the nearest partial points, (B, M, f).

        The MLP's first layer is linear, ``W [F_j, P_j - x] + b = (W [F_j, P_j] + b) - W_P x``,
        so it runs once per partial point (N rows) and once per point (M rows), and the M K
        neighbour rows gather its f outputs instead of C_p + 3 inputs. Same function as
        :meth:`local_features_reference` up to float rounding.
        """
        k = min(self.local_k, partial.shape[1])
        idx = _ops.knn_idx(points, partial, k).clamp_min(0)  # (B, M, K)
        first, *rest = self.local_mlp
        per_partial = first(torch.cat([partial_feats, partial], dim=-1))  # (B, N, f)
        w_pos = first.weight[:, partial_feats.shape[-1] :]  # (f, 3)
        h = _ops.gather_points(per_partial, idx) - (points @ w_pos.T)[:, :, None]
        for layer in rest:
            h = layer(h)
        return h.max(dim=2).values

    def local_features_reference(
        self, points: Tensor, partial: Tensor, partial_feats: Tensor
    ) -> Tensor:
        """:meth:`local_features` as written: the MLP on every gathered ``[F_j, P_j - x]``."""
        k = min(self.local_k, partial.shape[1])
        idx = _ops.knn_idx(points, partial, k).clamp_min(0)  # (B, M, K)
        rel = _ops.gather_points(partial, idx) - points[:, :, None]
        nb = _ops.gather_points(partial_feats, idx)
        return self.local_mlp(torch.cat([nb, rel], dim=-1)).max(dim=2).values

    def run_sequence(self, feats: Tensor, points: Tensor) -> Tensor:
        """The RNN along the points' curve order in windows; output in input order, (B, M, H)."""
        order, inverse = _ops.serialize(points, self.order)
        seq = _ops.gather_points(feats, order)
        B, M, C = seq.shape
        W = self.window or M
        nw = math.ceil(M / W)
        pad = nw * W - M
        if pad:
            seq = torch.cat([seq, seq.new_zeros(B, pad, C)], dim=1)
        out, _ = self.rnn(seq.reshape(B * nw, W, C))
        return _ops.gather_points(out.reshape(B, nw * W, -1)[:, :M], inverse)

    def forward(
        self,
        points: Tensor,
        partial: Tensor,
        partial_feats: Tensor,
        code: Tensor,
        parent: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Returns ``(moved (B, M, 3), children (B, M r, 3), child_feats (B, M r, H))``."""
        B, M, _ = points.shape
        if parent is None:
            parent = points.new_zeros(B, M, self.hidden)
        parts = [points, self.pos_mlp(points), self.code_proj(code)[:, None].expand(B, M, -1)]
        parts.append(parent)
        if self.recurrent:
            parts.append(self.local_features(points, partial, partial_feats))
            h = self.run_sequence(torch.cat(parts, dim=-1), points)
            moved = points + self.scale * torch.tanh(self.move(h))
        else:
            h = self.rnn(torch.cat(parts, dim=-1))
            moved = points
        r = self.up_factor
        offsets = self.split_scale * torch.tanh(self.split(h)).reshape(B, M, r, 3)
        children = (moved[:, :, None] + offsets).reshape(B, M * r, 3)
        child_feats = h[:, :, None].expand(B, M, r, self.hidden).reshape(B, M * r, self.hidden)
        return moved, children, child_feats
