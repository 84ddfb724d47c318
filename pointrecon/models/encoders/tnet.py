"""PointNet's input transform network (T-net).

Shapes:
    points: (B, N, 3), lengths: (B,) optional -> transform (B, 3, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.models._layers import SharedMLP, masked_max


class TNet(nn.Module):
    """Predicts a (k x k) matrix from a point set: shared MLP, max-pool, MLP; starts near identity.

    Args:
        k: size of the transform (3 for xyz).
        hidden: shared-MLP widths, then the head widths are ``(hidden[-1] // 2, hidden[-1] // 4)``.
        norm: "batch", "layer" or "none".
    """

    def __init__(self, k: int = 3, hidden: Sequence[int] = (64, 128, 1024), norm: str = "batch"):
        super().__init__()
        self.k = int(k)
        self.mlp = SharedMLP([self.k, *hidden], norm=norm)
        c = int(hidden[-1])
        self.head = nn.Sequential(SharedMLP([c, max(c // 2, 1), max(c // 4, 1)], norm=norm))
        self.out = nn.Linear(max(c // 4, 1), self.k * self.k)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # near-identity start; small (not zero) weights so gradients reach the whole T-net
        nn.init.normal_(self.out.weight, std=1e-3)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """x (B, N, k) -> (B, k, k) = I + predicted offset."""
        g = masked_max(self.mlp(x), lengths)
        m = self.out(self.head(g)).view(-1, self.k, self.k)
        return m + torch.eye(self.k, device=x.device, dtype=x.dtype)
