"""Gather per-point rows by index: the glue between knn/fps/ball_query/serialize and features."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pointrecon.checks import check_features, describe


def _check(x: Tensor, idx: Tensor) -> None:
    check_features("x", x)
    if not isinstance(idx, Tensor):
        raise TypeError(f"idx must be an int64 torch.Tensor of shape (B, ...), got {describe(idx)}")
    if idx.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"idx must be an integer tensor (int64), got dtype {idx.dtype}")
    if idx.dim() < 1 or idx.shape[0] != x.shape[0]:
        raise ValueError(
            f"idx must have shape (B, ...) with B={x.shape[0]} matching x, got {tuple(idx.shape)}"
        )
    if idx.device != x.device:
        raise ValueError(f"idx is on {idx.device} but x is on {x.device}")
    if idx.numel():
        lo, hi = int(idx.min()), int(idx.max())
        if lo < -1 or hi >= x.shape[1]:
            raise ValueError(
                f"idx values must lie in [-1, N-1] = [-1, {x.shape[1] - 1}] (-1 = missing), "
                f"got min {lo} and max {hi}"
            )


def gather_points(x: Tensor, idx: Tensor) -> Tensor:
    """Pick rows of ``x`` per batch element: ``out[b, i..., :] = x[b, idx[b, i...], :]``.

    An index of -1 (a missing neighbour from :func:`~pointrecon.ops.knn`) gives a row of zeros.
    Differentiable in ``x``.

    Shapes:
        x: (B, N, C)
        idx: (B, ...) int64 in [-1, N)
        returns: (B, ..., C)
    """
    _check(x, idx)
    B, N, C = x.shape
    rest = idx.shape[1:]
    flat = idx.reshape(B, math.prod(rest)).long()
    missing = flat < 0
    has_missing = bool(missing.any()) if flat.numel() else False
    safe = flat.clamp_min(0) if has_missing else flat
    if N == 0:
        out = x.new_zeros(B, flat.shape[1], C)
    else:
        out = torch.gather(x, 1, safe.unsqueeze(-1).expand(B, flat.shape[1], C))
    if has_missing:
        out = out.masked_fill(missing.unsqueeze(-1), 0)
    return out.reshape(B, *rest, C)


def gather_points_naive(x: Tensor, idx: Tensor) -> Tensor:
    """Reference twin of :func:`gather_points`: a Python loop over the batch with advanced indexing.

    Shapes:
        x: (B, N, C)
        idx: (B, ...) int64 in [-1, N)
        returns: (B, ..., C)
    """
    _check(x, idx)
    outs = []
    for b in range(x.shape[0]):
        i = idx[b].long()
        rows = x[b][i.clamp_min(0)]
        rows = torch.where((i >= 0).unsqueeze(-1), rows, torch.zeros_like(rows))
        outs.append(rows)
    if not outs:
        return x.new_zeros(0, *idx.shape[1:], x.shape[2])
    return torch.stack(outs)
