"""PCN's coarse-to-fine decoder: coarse points from an MLP, a folded patch around each.

Shapes:
    code: (B, C) -> coarse (B, Mc, 3), fine (B, Mc * G^2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.checks import check_code
from pointrecon.models._layers import SharedMLP
from pointrecon.models.decoders._grid import make_grid
from pointrecon.models.decoders.fc import FCDecoder
from pointrecon.models.outputs import DecoderOutput


class CoarseToFine(nn.Module):
    """PCN (Yuan et al. 2018): ``coarse = FC(code)``; each coarse point c gets a ``G x G`` grid
    patch, ``fine = c + MLP([grid, c, code])``. Fine point ``i * G^2 + j`` belongs to coarse
    point i. Defaults: 1024 coarse points, G = 4 -> 16384 fine points.

    Args:
        in_channels: C of the code.
        num_coarse: Mc.
        grid_size: G (patch side).
        grid_scale: half-extent of the patch grid.
        coarse_hidden: hidden widths of the coarse MLP.
        fold_hidden: hidden widths of the folding MLP.
    """

    def __init__(
        self,
        in_channels: int,
        num_coarse: int = 1024,
        grid_size: int = 4,
        grid_scale: float = 0.05,
        coarse_hidden: Sequence[int] = (1024, 1024),
        fold_hidden: Sequence[int] = (512, 512),
    ) -> None:
        super().__init__()
        if grid_size < 1:
            raise ValueError(f"grid_size must be >= 1, got {grid_size}")
        self.in_channels = int(in_channels)
        self.num_coarse, self.grid_size = int(num_coarse), int(grid_size)
        self.num_points = self.num_coarse * self.grid_size**2
        self.coarse = FCDecoder(in_channels, num_coarse, coarse_hidden)
        self.register_buffer(
            "grid", make_grid(self.grid_size, self.grid_size, grid_scale), persistent=False
        )
        self.fold = SharedMLP(
            [2 + 3 + self.in_channels, *fold_hidden, 3], norm="none", last_act=False
        )

    def forward(self, code: Tensor) -> DecoderOutput:
        check_code("code", code, self.in_channels)
        B, Mc, G2 = code.shape[0], self.num_coarse, self.grid_size**2
        coarse = self.coarse(code).coarse
        centers = coarse[:, :, None].expand(B, Mc, G2, 3)
        grid = self.grid.to(code.dtype)[None, None].expand(B, Mc, G2, 2)
        g = code[:, None, None].expand(B, Mc, G2, -1)
        fine = centers + self.fold(torch.cat([grid, centers, g], dim=-1))
        return DecoderOutput(coarse, fine.reshape(B, Mc * G2, 3))
