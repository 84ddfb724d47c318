"""Squared distance from each point to its nearest neighbour in another cloud: the kernel of
Chamfer and F-Score, memory-bounded and differentiable.

``backend="triton"`` (picked by ``auto`` on CUDA when triton imports) is one fused Triton kernel
for the forward pass (tiled search that writes the distance and the index, never a B x N x M
matrix) and one for the backward pass, which reuses the saved indices:
``grad_x = 2 g (x - y[idx])`` and ``grad_y[idx] -= 2 g (x - y[idx])`` (atomic adds). The other
backends are those of :func:`pointrecon.ops.knn` with k = 1 (index search without autograd,
distances recomputed by gather); they stay the fallback and, through ``nearest_sqdist_naive``,
the reference.
"""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_choice
from pointrecon.ops import _triton
from pointrecon.ops.knn import BACKENDS, TRITON_DTYPES, _check, knn, knn_naive, triton_why_not


class _NearestTriton(torch.autograd.Function):
    """Fused nearest-neighbour squared distance; backward from the saved indices."""

    @staticmethod
    def forward(ctx, x: Tensor, y: Tensor, xl: Tensor, yl: Tensor):  # type: ignore[override]
        from pointrecon.ops._triton_kernels import knn_search

        d, idx = knn_search(x, y, 1, xl, yl)
        d, idx = d[..., 0], idx[..., 0]
        ctx.save_for_backward(x, y, idx)
        ctx.mark_non_differentiable(idx)
        return d.to(x.dtype), idx

    @staticmethod
    def backward(ctx, grad_d: Tensor, grad_idx: Tensor | None):  # type: ignore[override]
        from pointrecon.ops._triton_kernels import nearest_backward

        x, y, idx = ctx.saved_tensors
        gx, gy = nearest_backward(x, y, idx, grad_d)
        gx = gx.to(x.dtype) if ctx.needs_input_grad[0] else None
        gy = gy.to(y.dtype) if ctx.needs_input_grad[1] else None
        return gx, gy, None, None


@_triton.eager
def _nearest_triton(x: Tensor, y: Tensor, xl: Tensor, yl: Tensor) -> tuple[Tensor, Tensor]:
    return _NearestTriton.apply(x, y, xl, yl)


@accepts_point_batch(x="x_lengths", y="y_lengths")
def nearest_sqdist(
    x: Tensor,
    y: Tensor,
    *,
    x_lengths: Tensor | None = None,
    y_lengths: Tensor | None = None,
    backend: str = "auto",
) -> tuple[Tensor, Tensor]:
    """Squared distance from each point of ``x`` to its nearest valid point of ``y``, and its index.

    Differentiable in ``x`` and ``y``. Where the query row is padding (``n >= x_lengths[b]``) or
    ``y`` has no valid point, ``dists`` is inf (zero gradient) and ``idx`` is -1.

    Args:
        x: query points.
        y: reference points.
        x_lengths, y_lengths: valid counts for ragged batches (default: all N / all M).
        backend: ``"auto"`` (the fused Triton kernels on CUDA for float16/bfloat16/float32 when
            triton imports, else as :func:`pointrecon.ops.knn`), or any backend of ``knn``
            (``"triton"`` forces the fused kernels; on CPU it needs ``TRITON_INTERPRET=1``).

    Shapes:
        x: (B, N, 3)
        y: (B, M, 3)
        x_lengths, y_lengths: (B,) int64, optional
        returns: (dists (B, N), idx (B, N) int64)
    """
    xl, yl = _check(x, y, 1, x_lengths, y_lengths)
    check_choice("backend", backend, BACKENDS)
    if backend == "auto" and x.device.type == "cuda" and x.dtype in TRITON_DTYPES:
        if triton_why_not(x, 1) is None:
            backend = "triton"
    if backend == "triton":
        reason = triton_why_not(x, 1)
        if reason is not None:
            raise ValueError(f"backend='triton' cannot run here: {reason}")
        return _nearest_triton(x, y, xl, yl)
    res = knn(x, y, 1, x_lengths=xl, y_lengths=yl, backend=backend)
    return res.dists[..., 0], res.idx[..., 0]


def nearest_sqdist_naive(
    x: Tensor,
    y: Tensor,
    *,
    x_lengths: Tensor | None = None,
    y_lengths: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Reference twin of :func:`nearest_sqdist`: :func:`pointrecon.ops.knn_naive` with k = 1.

    Shapes:
        x: (B, N, 3)
        y: (B, M, 3)
        returns: (dists (B, N), idx (B, N) int64)
    """
    res = knn_naive(x, y, 1, x_lengths=x_lengths, y_lengths=y_lengths)
    return res.dists[..., 0], res.idx[..., 0]


__all__ = ["nearest_sqdist", "nearest_sqdist_naive"]
