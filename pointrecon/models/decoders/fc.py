"""Fully connected point decoder (PSGN / PCN coarse output).

Shapes:
    code: (B, C) -> coarse (B, M, 3), fine (B, M, 3) (the same tensor)
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from pointrecon.checks import check_code
from pointrecon.models.outputs import DecoderOutput


class FCDecoder(nn.Module):
    """An MLP from the code to ``num_points * 3`` coordinates (Fan et al. 2017; Yuan et al. 2018).

    Args:
        in_channels: C of the code.
        num_points: M.
        hidden: widths of the hidden layers (ReLU after each).
    """

    def __init__(
        self, in_channels: int, num_points: int = 2048, hidden: Sequence[int] = (1024, 1024)
    ) -> None:
        super().__init__()
        if in_channels < 1 or num_points < 1:
            raise ValueError(
                f"in_channels and num_points must be >= 1, got {in_channels}, {num_points}"
            )
        self.in_channels, self.num_points = int(in_channels), int(num_points)
        layers: list[nn.Module] = []
        cin = self.in_channels
        for h in hidden:
            layers += [nn.Linear(cin, int(h)), nn.ReLU(inplace=True)]
            cin = int(h)
        layers.append(nn.Linear(cin, self.num_points * 3))
        self.mlp = nn.Sequential(*layers)

    def forward(self, code: Tensor) -> DecoderOutput:
        check_code("code", code, self.in_channels)
        pts = self.mlp(code).view(code.shape[0], self.num_points, 3)
        return DecoderOutput(pts, pts)
