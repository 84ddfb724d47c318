"""PointNet encoder: shared MLP and (masked) max-pool, optional input T-net, optional PCN second stage.

Shapes:
    points: (B, N, 3), lengths: (B,) optional -> code (B, C), point_feats (B, N, C')
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.checks import check_batch
from pointrecon.models._layers import SharedMLP, masked_max
from pointrecon.models.encoders.tnet import TNet
from pointrecon.models.outputs import EncoderOutput


class PointNet(nn.Module):
    """PointNet (Qi et al. 2017) as a shape encoder; with ``second_stage`` it is PCN's encoder.

    Stage 1: ``f = MLP1(x)`` per point, ``g = max_n f``. With ``second_stage`` (PCN, Yuan et al.
    2018): ``h = MLP2([f, g])`` per point and ``code = max_n h``. Padded points (index >=
    ``lengths[b]``) are left out of every max, so a ragged batch gives the same code as its samples
    one at a time (in eval mode: in training mode, batch-norm statistics also see the padded rows;
    ``norm="layer"`` or ``"none"`` avoids that); an empty sample pools to zeros. The encoder is invariant to the order of the points.

    Args:
        hidden: widths of the first shared MLP (its last entry is the stage-1 code size).
        second_stage: widths of the PCN second MLP (its input is ``2 * hidden[-1]``); empty: none.
        out_channels: size C of the code (a last linear layer of the final MLP).
        input_transform: learn a 3x3 T-net applied to the input coordinates.
        norm: "batch", "layer" or "none".
        in_channels: must be 3 (xyz); kept so configs can state it.

    ``point_feats`` are the first layer's per-point features (B, N, hidden[0]).
    """

    def __init__(
        self,
        hidden: Sequence[int] = (64, 128, 1024),
        second_stage: Sequence[int] = (),
        out_channels: int = 1024,
        input_transform: bool = False,
        norm: str = "batch",
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        hidden = [int(h) for h in hidden]
        if not hidden:
            raise ValueError("hidden must list at least one width, got []")
        if in_channels != 3:
            raise ValueError(f"in_channels must be 3 (xyz), got {in_channels}")
        self.out_channels = int(out_channels)
        self.tnet = TNet(3, norm=norm) if input_transform else None
        self.local = SharedMLP([3, hidden[0]], norm=norm)
        self.mlp1 = SharedMLP(hidden, norm=norm) if len(hidden) > 1 else nn.Identity()
        widths = [int(w) for w in second_stage]
        if widths:
            self.mlp2: nn.Module | None = SharedMLP([2 * hidden[-1], *widths], norm=norm)
            last = widths[-1]
        else:
            self.mlp2 = None
            last = hidden[-1]
        self.proj = nn.Linear(last, self.out_channels) if last != self.out_channels else None
        self.point_channels = hidden[0]

    def forward(self, points: Tensor, lengths: Tensor | None = None) -> EncoderOutput:
        check_batch("points", points, lengths)
        x = points
        if self.tnet is not None:
            x = torch.bmm(x, self.tnet(x, lengths))
        local = self.local(x)
        f = self.mlp1(local)
        g = masked_max(f, lengths)
        if self.mlp2 is not None:
            h = self.mlp2(torch.cat([f, g[:, None].expand_as(f)], dim=-1))
            g = masked_max(h, lengths)
        if self.proj is not None:
            g = self.proj(g)
        return EncoderOutput(g, local)
