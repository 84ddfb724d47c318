"""Recurrent refinement over serialized point sequences (GRU or LSTM, full length or windowed).

Shapes:
    points: (B, M, 3), code: (B, C) -> list of S tensors (B, M, 3), one per step
    hidden (carried between steps): (L * D, B * M_p / W, H) with M_p = M padded to a multiple of W
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from pointrecon.checks import check_batch, check_choice, check_code, check_int
from pointrecon.models import _ops
from pointrecon.models._layers import SharedMLP
from pointrecon.ops.serialize import ORDERS as CURVE_ORDERS

#: the curve orders of :func:`pointrecon.ops.serialize`, plus farthest-point order
ORDERS = (*CURVE_ORDERS, "fps")
CELLS = ("gru", "lstm")


class SequenceRefiner(nn.Module):
    """Moves each point by a displacement predicted by an RNN running along a point order.

    One step s (of ``steps``):

    1. order the current points with ``pointrecon.ops.serialize`` (``order`` = "morton",
       "hilbert", "random" or "none") or by farthest point sampling of all M points ("fps",
       O(M^2) per step);
    2. per-point features ``[xyz, MLP(xyz), W_code code, max_k MLP(p_k - p)]`` (the last over the
       ``local_k`` nearest current points; ``local_k=0`` leaves it out), taken in that order;
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
    ) -> None:
        super().__init__()
        check_choice("cell", cell, CELLS)
        check_choice("order", order, ORDERS)
        for name, v, lo in (("hidden", hidden, 1), ("num_layers", num_layers, 1),
                            ("window", window, 0), ("steps", steps, 0),
                            ("feat_channels", feat_channels, 1), ("local_k", local_k, 0),
                            ("code_channels", code_channels, 1)):  # fmt: skip
            check_int(name, v, minimum=lo)
        if not scale > 0 or not 0 < decay <= 1:
            raise ValueError(f"need scale > 0 and 0 < decay <= 1, got {scale}, {decay}")
        self.code_channels, self.cell, self.window = code_channels, cell, window
        self.steps, self.order, self.local_k = steps, order, local_k
        self.scale, self.decay, self.carry_state = float(scale), float(decay), bool(carry_state)
        if steps == 0:  # the identity: no step, no parameters
            self.pos_mlp = self.code_proj = self.local_mlp = self.rnn = self.head = None
            return
        f = feat_channels
        self.pos_mlp = SharedMLP([3, f, f], norm="none")
        self.code_proj = nn.Linear(code_channels, f)
        self.local_mlp = SharedMLP([3, f, f], norm="none") if local_k else None
        cin = 3 + (3 * f if local_k else 2 * f)
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
            f"local_k={self.local_k}"
        )

    # ------------------------------------------------------------------ pieces
    def order_points(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """(order, inverse), each (B, M) int64: ``points[b, order[b]]`` is the sequence and
        ``seq[b, inverse[b]]`` restores the input order."""
        if self.order == "fps":
            order = _ops.fps(points, points.shape[1])
            return order, order.argsort(dim=1)
        return _ops.serialize(points, self.order)

    def point_features(self, points: Tensor, code: Tensor) -> Tensor:
        """Per-point features in the input order, (B, M, C_in)."""
        B, M, _ = points.shape
        parts = [points, self.pos_mlp(points), self.code_proj(code)[:, None].expand(B, M, -1)]
        if self.local_mlp is not None:
            k = min(self.local_k, M)
            idx = _ops.knn_idx(points, points, k).clamp_min(0)
            rel = _ops.gather_points(points, idx) - points[:, :, None]
            parts.append(self.local_mlp(rel).max(dim=2).values)
        return torch.cat(parts, dim=-1)

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
        state = None
        for s in range(self.steps):
            order, inverse = self.order_points(points)
            seq = _ops.gather_points(self.point_features(points, code), order)
            h, new_state = self.run_rnn(seq, state if self.carry_state else None)
            state = new_state
            delta = torch.tanh(self.head(h)) * (self.scale * self.decay**s)
            points = points + _ops.gather_points(delta, inverse)
            out.append(points)
        return out
