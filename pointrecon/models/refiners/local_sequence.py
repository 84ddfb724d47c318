"""Locally conditioned recurrent refinement with point splitting, over serialized sequences.

Shapes:
    points (B, M, 3), partial (B, N, 3), partial_feats (B, N, C_p), code (B, C), parent (B, M, H)
    -> moved points (B, M, 3), children (B, M * r, 3), child features (B, M * r, H)

    :meth:`LocalSequenceRefiner.step` takes and gives the parent features unrepeated: parent
    (B, M / q, H) for q consecutive points each -> moved, children, per-point features (B, M, H),
    the features of the children being those repeated r times.
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

    :meth:`forward` returns the children's parent features repeated, (B, M r, H);
    :meth:`step` returns ``h`` itself, (B, M, H), and takes the parent features the same way
    (one row per parent, with how many consecutive points share it), which is what
    :class:`~pointrecon.models.CompletionNet` chains: everything computed from the parent
    feature alone (``W_par parent``) then runs once per parent, M / r rows, and is broadcast
    over its r children, instead of on r materialised copies (a linear map commutes with the
    repetition, so the outputs are the same up to float rounding).

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
        max runs over the gathered per-partial rows directly, then the ReLU; for ``local_k=2`` as
        an elementwise maximum of the two gathered rows (:class:`_GatherMax2`, same values).
        """
        k = min(self.local_k, partial.shape[1])
        idx = _ops.knn_idx(points, partial, k).clamp_min(0)  # (B, M, K)
        first, *rest = self.local_mlp
        per_partial = first(torch.cat([partial_feats, partial], dim=-1))  # (B, N, f)
        w_pos = first.weight[:, partial_feats.shape[-1] :]  # (f, 3)
        if self.local == "linear":
            if k == 1:
                nb = _take_rows(per_partial, idx[:, :, 0])
            elif k == 2:
                nb = _GatherMax2.apply(per_partial, idx)
            else:
                nb = _take_rows(per_partial, idx).max(dim=2).values
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
        """The RNN along the points' curve order in windows; output in input order, (B, M, H).

        The reorderings are permutations: each one's gradient is the inverse permutation of the
        output's gradient (:class:`_Permute`, a copy, the same values as a scatter-add)."""
        order, inverse = _ops.serialize(points, self.order)
        seq = _Permute.apply(feats, order, inverse)
        B, M, C = seq.shape
        W = self.window or M
        nw = math.ceil(M / W)
        pad = nw * W - M
        if pad:
            seq = torch.cat([seq, seq.new_zeros(B, pad, C)], dim=1)
        out, _ = self.rnn(seq.reshape(B * nw, W, C))
        return _Permute.apply(out.reshape(B, nw * W, -1)[:, :M], inverse, order)

    def point_features(
        self,
        points: Tensor,
        partial: Tensor,
        partial_feats: Tensor,
        code: Tensor,
        parent: Tensor | None,
        parent_repeat: int = 1,
    ) -> Tensor:
        """The per-point input of the RNN (of the point MLP when not recurrent), in input order:
        ``[x, MLP(x), W code, parent (, local)]`` or, with ``embed="sum"``,
        ``[x, MLP(x) + W code + W_par parent (+ local)]`` (B, M, 3 + f). No parent (the first
        step) counts as zeros (for the sum: ``W_par 0`` is the bias alone).

        ``parent`` is (B, M / parent_repeat, H): row i is the parent feature of points
        ``i q ... i q + q - 1`` (q = ``parent_repeat``). With ``embed="sum"``, ``W_par parent``
        is computed on those rows and broadcast (never repeated in memory)."""
        B, M, _ = points.shape
        q = int(parent_repeat)
        if parent is not None and (q < 1 or parent.shape[1] * q != M):
            raise ValueError(
                f"parent has {parent.shape[1]} rows, repeated {q} times; the step has {M} points"
            )
        if self.embed == "concat":
            if parent is None:
                parent = points.new_zeros(B, M, self.hidden)
            elif q > 1:
                parent = _repeat_rows(parent, q)
            code_e = self.code_proj(code)[:, None].expand(B, M, -1)
            parts = [points, self.pos_mlp(points), code_e, parent]
            if self.recurrent:
                parts.append(self.local_features(points, partial, partial_feats))
            return torch.cat(parts, dim=-1)
        e = self.pos_mlp(points) + self.code_proj(code)[:, None]
        if parent is None:
            e = e + self.parent_proj.bias
        elif q == 1:
            e = e + self.parent_proj(parent)
        else:
            f = e.shape[-1]
            e = (e.reshape(B, M // q, q, f) + self.parent_proj(parent)[:, :, None]).reshape(B, M, f)
        if self.recurrent:
            e = e + self.local_features(points, partial, partial_feats)
        return torch.cat([points, e], dim=-1)

    def step(
        self,
        points: Tensor,
        partial: Tensor,
        partial_feats: Tensor,
        code: Tensor,
        parent: Tensor | None = None,
        parent_repeat: int = 1,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """One step with the parent features unrepeated: ``parent`` (B, M / q, H) for
        q = ``parent_repeat`` consecutive points each. Returns ``(moved (B, M, 3), children
        (B, M r, 3), h (B, M, H))``; the children's parent features are ``h`` repeated r times
        (the next step's ``parent`` and ``parent_repeat=r``)."""
        B, M, _ = points.shape
        feats = self.point_features(points, partial, partial_feats, code, parent, parent_repeat)
        if self.recurrent:
            h = self.run_sequence(feats, points)
            moved = points + self.scale * torch.tanh(self.move(h))
        else:
            h = self.rnn(feats)
            moved = points
        r = self.up_factor
        offsets = self.split_scale * torch.tanh(self.split(h)).reshape(B, M, r, 3)
        children = (moved[:, :, None] + offsets).reshape(B, M * r, 3)
        return moved, children, h

    def forward(
        self,
        points: Tensor,
        partial: Tensor,
        partial_feats: Tensor,
        code: Tensor,
        parent: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Returns ``(moved (B, M, 3), children (B, M r, 3), child_feats (B, M r, H))``."""
        moved, children, h = self.step(points, partial, partial_feats, code, parent)
        return moved, children, _repeat_rows(h, self.up_factor)


def _take_rows(x: Tensor, idx: Tensor) -> Tensor:
    """``out[b, i..., :] = x[b, idx[b, i...], :]`` for ``idx`` in [0, N): the rows copied with one
    ``index_select`` over the flattened batch (the same values as ``gather_points``; its gradient
    is a row-wise ``index_add`` instead of an element-wise scatter)."""
    B, N, C = x.shape
    rest = idx.shape[1:]
    offsets = torch.arange(B, device=idx.device)[:, None] * N
    flat = (idx.reshape(B, -1).long() + offsets).reshape(-1)
    return x.reshape(B * N, C).index_select(0, flat).reshape(B, *rest, C)


class _Permute(torch.autograd.Function):
    """Rows of ``x`` (B, M, C) in the order ``perm`` (B, M), a permutation per sample whose
    inverse is ``inverse``; the gradient is the rows of the output's gradient in the order
    ``inverse``, a copy (the same values as the scatter-add of ``gather_points``, which adds
    each row to a zero)."""

    @staticmethod
    def forward(ctx, x: Tensor, perm: Tensor, inverse: Tensor) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(inverse)
        return _take_rows(x, perm)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        (inverse,) = ctx.saved_tensors
        return _take_rows(grad.contiguous(), inverse), None, None


class _GatherMax2(torch.autograd.Function):
    """``max_k x[b, idx[b, m, k], c]`` over K = 2 neighbours, (B, M, C) for ``x`` (B, N, C) and
    ``idx`` (B, M, 2) in [0, N): the same values as ``gather_points(x, idx).max(dim=2).values``
    and, but for exact ties, the same gradient (each element's to its larger neighbour's row,
    there added up; the additions in another order), without the reduction over a strided dim
    and the (B, M, 2, C) gradient of the gathered rows: an elementwise maximum, and per
    neighbour one row-wise ``index_add`` of the gradient masked by which one was larger."""

    @staticmethod
    def forward(ctx, x: Tensor, idx: Tensor) -> Tensor:  # type: ignore[override]
        B, N, C = x.shape
        first = _take_rows(x, idx[:, :, 0])
        second = _take_rows(x, idx[:, :, 1])
        ctx.save_for_backward(idx, (first >= second).to(x.dtype))  # ties: the first neighbour
        ctx.n = N
        return torch.maximum(first, second)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        idx, first_wins = ctx.saved_tensors
        B, M, _ = idx.shape
        C = grad.shape[-1]
        flat = idx.long() + torch.arange(B, device=idx.device)[:, None, None] * ctx.n
        g_first = grad * first_wins  # exact: a mask of 0 and 1
        g_second = grad - g_first
        out = grad.new_zeros(B * ctx.n, C)
        out.index_add_(0, flat[:, :, 0].reshape(-1), g_first.reshape(B * M, C))
        out.index_add_(0, flat[:, :, 1].reshape(-1), g_second.reshape(B * M, C))
        return out.reshape(B, ctx.n, C), None


def _repeat_rows(x: Tensor, r: int) -> Tensor:
    """(B, M, C) -> (B, M r, C), each row r times in a row."""
    B, M, C = x.shape
    return x[:, :, None].expand(B, M, r, C).reshape(B, M * r, C)
