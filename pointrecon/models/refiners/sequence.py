"""Recurrent refinement over serialized point sequences (GRU or LSTM, full length or windowed).

Shapes:
    points: (B, M, 3), code: (B, C) -> list of S tensors (B, M, 3), one per step
    hidden (carried between steps): (L * D, B * M_p / W, H) with M_p = M padded to a multiple of W
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pointrecon.checks import check_batch, check_choice, check_code, check_int
from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.ops.serialize import ORDERS as CURVE_ORDERS

#: the curve orders of :func:`pointrecon.ops.serialize`, plus farthest-point order
ORDERS = (*CURVE_ORDERS, "fps")
CELLS = ("gru", "lstm")
LOCALS = ("knn", "knn_once", "conv")
EMBEDS = ("concat", "sum")


class SequenceRefiner(nn.Module):
    """Moves each point by a displacement predicted by an RNN running along a point order.

    One step s (of ``steps``):

    1. order the current points with ``pointrecon.ops.serialize`` (``order`` = "morton",
       "hilbert", "random" or "none") or by farthest point sampling of all M points ("fps",
       O(M^2) per step);
    2. per-point features ``[xyz, MLP(xyz), W_code code, local]``, taken in that order, where the
       local context (``local_k=0`` leaves it out) is, by ``local``:

       - ``"knn"`` (default): ``max_k MLP(p_k - p)`` over the ``local_k`` nearest current points,
         searched at every step;
       - ``"knn_once"``: the same, with the neighbours searched once at step 0 and reused by the
         later steps (offsets recomputed from the moved points);
       - ``"conv"``: from the sequence itself, no search: points that are neighbours along the
         space-filling curve are mostly neighbours in space. A 1-D convolution along the ordered
         sequence over the relative offsets of the ``r = ceil(local_k / 2)`` points before and
         after each point, ``sum_j W_j (p_{i+j} - p_i)`` (kernel 2r + 1, the ends replicated),
         then ReLU, Linear, ReLU. It runs over the whole sequence (across window borders too),
         in parallel, and costs O(M * local_k * C) with no gather;

       with ``embed="sum"`` the three embeddings (all ``feat_channels`` wide) are added instead of
       concatenated, ``[xyz, MLP(xyz) + W_code code + local]``: the RNN input shrinks from
       3 + 3C to 3 + C channels, and with it the RNN's input projection, forward and backward;
    3. a GRU/LSTM (``num_layers``, ``hidden``, ``bidirectional``) runs over the sequence: full
       length (``window=0``: one sequence of M per sample) or windowed (``window=W``: the sequence,
       zero-padded at the end to a multiple of W, is reshaped to (B * M_p / W, W, C) and all
       windows run in parallel as a batch);
    4. ``delta = scale * decay**s * tanh(Linear(rnn_out))`` per point, un-permuted back to the
       input order with the inverse permutation; ``points = points + delta``.

    ``steps=0`` is the identity (the refiner-free ablation): no step, no parameters.

    State between steps (``carry_state=True``): the final hidden state of sequence / window j at
    step s (``h_n``, and ``c_n`` for LSTM, both directions) is the initial state of sequence /
    window j at step s + 1. Since M and W are fixed, window j covers the j-th block of W points
    along the curve at both steps, which is about the same region because the points move little.
    Step 0 starts from zeros. The weights are shared across steps.

    Args:
        code_channels: C of the global code.
        cell: "gru" or "lstm".
        hidden: H, RNN hidden size.
        num_layers: L.
        bidirectional: D = 2 if True.
        window: W (0 = full length).
        steps: S.
        order: point order, one of ORDERS.
        feat_channels: width of the coordinate, code and local embeddings.
        local_k: neighbours for the local feature (0 = none).
        local: where the local context comes from: "knn", "knn_once" or "conv" (see above).
        embed: "concat" (default) or "sum" of the per-point embeddings (see above).
        scale: displacement bound at step 0; step s is bounded by ``scale * decay**s``.
        decay: factor by which the bound shrinks each step.
        carry_state: carry hidden states across steps as above.
    """

    def __init__(
        self,
        code_channels: int,
        cell: str = "gru",
        hidden: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        window: int = 0,
        steps: int = 3,
        order: str = "morton",
        feat_channels: int = 64,
        local_k: int = 8,
        scale: float = 0.1,
        decay: float = 0.5,
        carry_state: bool = True,
        local: str = "knn",
        embed: str = "concat",
    ) -> None:
        super().__init__()
        check_choice("cell", cell, CELLS)
        check_choice("order", order, ORDERS)
        check_choice("local", local, LOCALS)
        check_choice("embed", embed, EMBEDS)
        for name, v, lo in (("hidden", hidden, 1), ("num_layers", num_layers, 1),
                            ("window", window, 0), ("steps", steps, 0),
                            ("feat_channels", feat_channels, 1), ("local_k", local_k, 0),
                            ("code_channels", code_channels, 1)):  # fmt: skip
            check_int(name, v, minimum=lo)
        if not scale > 0 or not 0 < decay <= 1:
            raise ValueError(f"need scale > 0 and 0 < decay <= 1, got {scale}, {decay}")
        self.code_channels, self.cell, self.window = code_channels, cell, window
        self.steps, self.order, self.local_k, self.local = steps, order, local_k, local
        self.embed = embed
        self.scale, self.decay, self.carry_state = float(scale), float(decay), bool(carry_state)
        if steps == 0:  # the identity: no step, no parameters
            self.pos_mlp = self.code_proj = self.local_mlp = self.rnn = self.head = None
            return
        f = feat_channels
        self.pos_mlp = SharedMLP([3, f, f], norm="none")
        self.code_proj = nn.Linear(code_channels, f)
        self.local_mlp = SharedMLP([3, f, f], norm="none") if local_k and local != "conv" else None
        self.local_conv = self.local_out = None
        if local_k and local == "conv":
            r = math.ceil(local_k / 2)
            self.local_conv = nn.Conv1d(3, f, kernel_size=2 * r + 1)
            self.local_out = nn.Linear(f, f)
        cin = 3 + f if embed == "sum" else 3 + (3 * f if local_k else 2 * f)
        rnn_cls = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn_cls(
            cin, hidden, num_layers=num_layers, batch_first=True, bidirectional=bidirectional
        )
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), 3)

    def extra_repr(self) -> str:
        if self.steps == 0:
            return "steps=0 (identity)"
        return (
            f"{self.cell}, window={self.window}, steps={self.steps}, order={self.order!r}, "
            f"local_k={self.local_k}, local={self.local!r}, embed={self.embed!r}"
        )

    # ------------------------------------------------------------------ pieces
    def order_points(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """(order, inverse), each (B, M) int64: ``points[b, order[b]]`` is the sequence and
        ``seq[b, inverse[b]]`` restores the input order."""
        if self.order == "fps":
            order = _ops.fps(points, points.shape[1])
            return order, order.argsort(dim=1)
        return _ops.serialize(points, self.order)

    def neighbours(self, points: Tensor) -> Tensor:
        """Indices (B, M, min(local_k, M)) of the nearest current points (itself included)."""
        return _ops.knn_idx(points, points, min(self.local_k, points.shape[1])).clamp_min(0)

    def point_features(self, points: Tensor, code: Tensor, idx: Tensor | None = None) -> Tensor:
        """Per-point features, (B, M, C_in), in the order of ``points``.

        For ``local="knn"``/``"knn_once"`` the neighbours are ``idx`` (searched when None); for
        ``local="conv"`` ``points`` must be in sequence order (the convolution runs along it).
        """
        B, M, _ = points.shape
        parts = [points, self.pos_mlp(points), self.code_proj(code)[:, None].expand(B, M, -1)]
        if self.local_mlp is not None:
            idx = self.neighbours(points) if idx is None else idx
            rel = _ops.gather_points(points, idx) - points[:, :, None]
            parts.append(self.local_mlp(rel).max(dim=2).values)
        elif self.local_conv is not None:
            parts.append(self.sequence_context(points))
        if self.embed == "sum":
            parts = [parts[0], sum(parts[1:])]
        return torch.cat(parts, dim=-1)

    def sequence_context(self, seq_points: Tensor) -> Tensor:
        """``local="conv"``: ReLU(Linear(ReLU(sum_j W_j (p_{i+j} - p_i)))) along the sequence.

        Shapes:
            seq_points: (B, M, 3) in sequence order -> (B, M, feat_channels)
        """
        conv = self.local_conv
        r = conv.kernel_size[0] // 2
        x = F.pad(seq_points.transpose(1, 2), (r, r), mode="replicate")  # (B, 3, M + 2r)
        # sum_j W_j p_{i+j} - (sum_j W_j) p_i: translation invariant
        y = F.conv1d(x, conv.weight, conv.bias)
        y = y - F.conv1d(seq_points.transpose(1, 2), conv.weight.sum(-1, keepdim=True))
        return F.relu(self.local_out(F.relu(y.transpose(1, 2))))

    def run_rnn(
        self, seq: Tensor, state: Tensor | tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """Run the RNN over ordered features seq (B, M, C_in); returns (out (B, M, H*D), state)."""
        B, M, C = seq.shape
        W = self.window
        if W == 0:
            return self.rnn(seq, state)
        nw = math.ceil(M / W)
        pad = nw * W - M
        if pad:
            seq = torch.cat([seq, seq.new_zeros(B, pad, C)], dim=1)
        out, state = self.rnn(seq.reshape(B * nw, W, C), state)
        return out.reshape(B, nw * W, -1)[:, :M], state

    # ------------------------------------------------------------------ forward
    def forward(self, points: Tensor, code: Tensor) -> list[Tensor]:
        check_batch("points", points)
        if self.steps == 0:
            return []
        check_code("code", code, self.code_channels)
        if code.shape[0] != points.shape[0]:
            raise ValueError(f"code has batch {code.shape[0]} but points has {points.shape[0]}")
        out: list[Tensor] = []
        state = idx = None
        for s in range(self.steps):
            order, inverse = self.order_points(points)
            if self.local_conv is not None:
                seq = self.point_features(_ops.gather_points(points, order), code)
            else:
                if self.local_mlp is not None and (idx is None or self.local == "knn"):
                    idx = self.neighbours(points)
                seq = _ops.gather_points(self.point_features(points, code, idx), order)
            h, new_state = self.run_rnn(seq, state if self.carry_state else None)
            state = new_state
            delta = torch.tanh(self.head(h)) * (self.scale * self.decay**s)
            points = points + _ops.gather_points(delta, inverse)
            out.append(points)
        return out
