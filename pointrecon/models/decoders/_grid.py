"""The 2D grids that folding decoders fold.

Shapes:
    -> (rows * cols, 2)
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def grid_shape(n: int) -> tuple[int, int]:
    """The most square ``rows x cols == n`` (rows <= cols)."""
    if n < 1:
        raise ValueError(f"the number of grid points must be >= 1, got {n}")
    rows = math.isqrt(n)
    while n % rows:
        rows -= 1
    return rows, n // rows


def make_grid(rows: int, cols: int, scale: float) -> Tensor:
    """A regular grid over [-scale, scale]^2, row-major, (rows*cols, 2)."""
    u = torch.linspace(-scale, scale, rows) if rows > 1 else torch.zeros(1)
    v = torch.linspace(-scale, scale, cols) if cols > 1 else torch.zeros(1)
    gu, gv = torch.meshgrid(u, v, indexing="ij")
    return torch.stack([gu.reshape(-1), gv.reshape(-1)], dim=-1)
