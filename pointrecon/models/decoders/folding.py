"""FoldingNet decoder: two folds of a 2D grid conditioned on the code.

Shapes:
    code: (B, C) -> coarse (B, M, 3), fine (B, M, 3) (the same tensor)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from pointrecon.checks import check_code
from pointrecon.models._layers import SharedMLP
from pointrecon.models.decoders._grid import grid_shape, make_grid
from pointrecon.models.outputs import DecoderOutput


class FoldingDecoder(nn.Module):
    """FoldingNet (Yang et al. 2018): ``p1 = MLP1([code, grid])``, ``p = MLP2([code, p1])``.

    The grid is the most square ``rows x cols = num_points`` grid over ``[-grid_scale,
    grid_scale]^2``.

    Args:
        in_channels: C of the code.
        num_points: M.
        hidden: width of the folding MLPs (three layers each, the last to 3).
        grid_scale: half-extent of the 2D grid.
    """

    def __init__(
        self, in_channels: int, num_points: int = 2025, hidden: int = 512, grid_scale: float = 0.5
    ) -> None:
        super().__init__()
        if num_points < 1:
            raise ValueError(f"num_points must be >= 1, got {num_points}")
        if in_channels < 1 or hidden < 1:
            raise ValueError(f"in_channels and hidden must be >= 1, got {in_channels}, {hidden}")
        self.in_channels, self.num_points = int(in_channels), int(num_points)
        rows, cols = grid_shape(self.num_points)
        self.register_buffer("grid", make_grid(rows, cols, grid_scale), persistent=False)
        c = self.in_channels
        self.fold1 = SharedMLP([c + 2, hidden, hidden, 3], norm="none", last_act=False)
        self.fold2 = SharedMLP([c + 3, hidden, hidden, 3], norm="none", last_act=False)

    def forward(self, code: Tensor) -> DecoderOutput:
        check_code("code", code, self.in_channels)
        B, M = code.shape[0], self.num_points
        g = code[:, None].expand(B, M, -1)
        grid = self.grid.to(code.dtype)[None].expand(B, M, 2)
        p1 = self.fold1(torch.cat([g, grid], dim=-1))
        p = self.fold2(torch.cat([g, p1], dim=-1))
        return DecoderOutput(p, p)
