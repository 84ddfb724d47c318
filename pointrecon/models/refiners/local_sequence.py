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
EMBEDS = ("concat", "sum")
LOCALS = ("mlp", "linear")


class LocalSequenceRefiner(nn.Module):
    """One refinement step of a completion: move points, then split each into ``r`` children.

    For the current points X (B, M, 3):

    1. **Local conditioning.** For each point, its ``local_k`` nearest points of the observed
       partial P give ``max_k MLP([F_j, P_j - x])``, where F are the encoder's per-point
       features of P. So every point sees the observation around it, not only a global code.
       With ``local="linear"`` the MLP is one linear layer, and the ReLU comes after the max:
       ``ReLU(max_k (W [F_j, P_j] + b) - W_P x)`` (the max of the per-partial-point projections
       gathered; no per-neighbour layer at all).
    2. **Sequence.** Per-point features ``[x, MLP(x), W code, parent, local]`` are ordered
       along a space-filling curve (``order``), and a GRU/LSTM runs along that order in windows
       of ``window`` points (0: the whole sequence), all windows as one batch. ``parent`` is the
       hidden feature of the point's parent at the previous step (zeros at the first).
       With ``embed="sum"`` the embeddings are added instead of concatenated,
       ``[x, MLP(x) + W code + W_par parent + local]`` (``W_par``: a linear map from the hidden
       size to ``feat_channels``), so the RNN input is ``3 + feat_channels`` wide instead of
       ``3 + 3 feat_channels + hidden``; the RNN's input product and its gradient, which do not
       depend on the window, shrink accordingly.
    3. **Move.** ``x' = x + scale * tanh(Linear(h))``.
    4. **Split.** ``children = x' + split_scale * tanh(Linear_r(h))`` gives ``r`` children per
       point (r = ``up_factor``; 1 keeps the count), each inheriting ``h`` as its parent feature.

    With ``recurrent=False`` the step is the refiner-free ablation: no local conditioning and no
    RNN, the split offsets come from a point MLP over ``[x, MLP(x), W code, parent]``
    (folding-style; ``[x, MLP(x) + W code + W_par parent]`` with ``embed="sum"``), and the
    points are not moved.

    The defaults (``embed="concat"``, ``local="mlp"``) are the module the shipped model was
    trained with; the other choices change its parameters and need training.

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
        embed: "concat" or "sum" of the per-point embeddings (see 2.).
        local: "mlp" (two layers) or "linear" (one layer, max, ReLU) local conditioning.
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
        embed: str = "concat",
        local: str = "mlp",
    ) -> None:
        super().__init__()
        check_choice("cell", cell, CELLS)
        check_choice("embed", embed, EMBEDS)
        check_choice("local", local, LOCALS)
        check_choice("order", order, ORDERS)
        for name, v, lo in (("hidden", hidden, 1), ("up_factor", up_factor, 1),
                            ("window", window, 0), ("local_k", local_k, 1),
                            ("feat_channels", feat_channels, 1)):  # fmt: skip
            check_int(name, v, minimum=lo)
        if not scale > 0 or not split_scale > 0:
            raise ValueError(f"scale and split_scale must be > 0, got {scale}, {split_scale}")
        self.hidden, self.up_factor, self.window, self.order = hidden, up_factor, window, order
        self.local_k, self.recurrent = local_k, bool(recurrent)
        self.embed, self.local = embed, local
        self.scale, self.split_scale = float(scale), float(split_scale)
        f = feat_channels
        self.pos_mlp = SharedMLP([3, f, f], norm="none")
        self.code_proj = nn.Linear(code_channels, f)
        if embed == "sum":
            self.parent_proj = nn.Linear(hidden, f)
        cin = 3 + f if embed == "sum" else 3 + 2 * f + hidden
        if self.recurrent:
            widths = [point_channels + 3, f] if local == "linear" else [point_channels + 3, f, f]
            self.local_mlp = SharedMLP(widths, norm="none", last_act=local != "linear")
            rnn_cls = nn.GRU if cell == "gru" else nn.LSTM
            local_c = 0 if embed == "sum" else f
            self.rnn: nn.Module = rnn_cls(cin + local_c, hidden, batch_first=True)
            self.move = nn.Linear(hidden, 3)
        else:
            self.rnn = SharedMLP([cin, hidden, hidden], norm="none")
        self.split = nn.Linear(hidden, 3 * up_factor)

    def extra_repr(self) -> str:
        kind = "recurrent" if self.recurrent else "mlp"
        extra = ""
        if self.embed != "concat" or self.local != "mlp":
            extra = f", embed={self.embed!r}, local={self.local!r}"
        return (
            f"{kind}, window={self.window}, steps=1, order={self.order!r}, "
            f"up_factor={self.up_factor}{extra}"
        )

    def local_features(self, points: Tensor, partial: Tensor, partial_feats: Tensor) -> Tensor:
        """``max_k MLP([F_j, P_j - x])`` over the nearest partial points, (B, M, f).

        The MLP's first layer is linear, ``W [F_j, P_j - x] + b = (W [F_j, P_j] + b) - W_P x``,
        so it runs once per partial point (N rows) and once per point (M rows), and the M K
        neighbour rows gather its f outputs instead of C_p + 3 inputs. Same function as
        :meth:`local_features_reference` up to float rounding.

        With ``local="linear"`` (one layer) the subtracted ``W_P x`` is the same for every
        neighbour, so ``max_k (W [F_j, P_j - x] + b) = max_k (W [F_j, P_j] + b) - W_P x``: the
        max runs over the gathered per-partial rows directly, then the ReLU.
        """
        k = min(self.local_k, partial.shape[1])
        idx = _ops.knn_idx(points, partial, k).clamp_min(0)  # (B, M, K)
        first, *rest = self.local_mlp
        per_partial = first(torch.cat([partial_feats, partial], dim=-1))  # (B, N, f)
        w_pos = first.weight[:, partial_feats.shape[-1] :]  # (f, 3)
        if self.local == "linear":
            nb = _ops.gather_points(per_partial, idx)  # (B, M, K, f)
            nb = nb[:, :, 0] if k == 1 else nb.max(dim=2).values
            return torch.relu(nb - points @ w_pos.T)
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
        h = self.local_mlp(torch.cat([nb, rel], dim=-1)).max(dim=2).values
        return torch.relu(h) if self.local == "linear" else h

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

    def point_features(
        self,
        points: Tensor,
        partial: Tensor,
        partial_feats: Tensor,
        code: Tensor,
        parent: Tensor | None,
    ) -> Tensor:
        """The per-point input of the RNN (of the point MLP when not recurrent), in input order:
        ``[x, MLP(x), W code, parent (, local)]`` or, with ``embed="sum"``,
        ``[x, MLP(x) + W code + W_par parent (+ local)]`` (B, M, 3 + f). No parent (the first
        step) counts as zeros (for the sum: ``W_par 0`` is the bias alone)."""
        B, M, _ = points.shape
        if self.embed == "concat":
            if parent is None:
                parent = points.new_zeros(B, M, self.hidden)
            code_e = self.code_proj(code)[:, None].expand(B, M, -1)
            parts = [points, self.pos_mlp(points), code_e, parent]
            if self.recurrent:
                parts.append(self.local_features(points, partial, partial_feats))
            return torch.cat(parts, dim=-1)
        e = self.pos_mlp(points) + self.code_proj(code)[:, None]
        if parent is None:
            e = e + self.parent_proj.bias
        else:
            e = e + self.parent_proj(parent)
        if self.recurrent:
            e = e + self.local_features(points, partial, partial_feats)
        return torch.cat([points, e], dim=-1)

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
        feats = self.point_features(points, partial, partial_feats, code, parent)
        if self.recurrent:
            h = self.run_sequence(feats, points)
            moved = points + self.scale * torch.tanh(self.move(h))
        else:
            h = self.rnn(feats)
            moved = points
        r = self.up_factor
        offsets = self.split_scale * torch.tanh(self.split(h)).reshape(B, M, r, 3)
        children = (moved[:, :, None] + offsets).reshape(B, M * r, 3)
        child_feats = h[:, :, None].expand(B, M, r, self.hidden).reshape(B, M * r, self.hidden)
        return moved, children, child_feats
