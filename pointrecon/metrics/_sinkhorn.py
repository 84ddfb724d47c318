"""Log-domain Sinkhorn with an epsilon schedule, computed in chunks (private; used by ``emd``).

Memory is linear: the cost ``C_ij = ||x_i - y_j||`` is never stored whole, only (B, chunk, M)
blocks at a time, in the potential updates, the value and the backward pass.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_CHUNK_ELEMENTS = 1 << 22


def _cost(xc: Tensor, y: Tensor, y2: Tensor) -> Tensor:
    """(B, c, M) Euclidean distances of a row block by one baddbmm."""
    x2 = (xc * xc).sum(-1, keepdim=True)
    d2 = torch.baddbmm(y2.unsqueeze(1), xc, y.transpose(1, 2), alpha=-2.0) + x2
    return d2.clamp_min(0).sqrt()


def _rows(B: int, M: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(1, B * M))


def softmin(x: Tensor, y: Tensor, h: Tensor, log_w: Tensor, eps: Tensor) -> Tensor:
    """``-eps * log sum_j exp(log_w_j + (h_j - C_ij) / eps)`` for every row i, in chunks.

    Shapes:
        x: (B, N, 3); y: (B, M, 3); h, log_w: (B, M); eps: (B, 1, 1)
        returns: (B, N)
    """
    B, N = x.shape[:2]
    M = y.shape[1]
    y2 = (y * y).sum(-1)
    off = (log_w + h / eps[:, 0]).unsqueeze(1)  # (B, 1, M)
    out = x.new_empty(B, N)
    step = _rows(B, M)
    for s in range(0, N, step):
        z = _cost(x[:, s : s + step], y, y2).div_(eps).neg_().add_(off)  # in place: one block
        top = z.amax(dim=-1, keepdim=True).clamp_min(torch.finfo(z.dtype).min)
        lse = z.sub_(top).exp_().sum(-1).log_().add_(top.squeeze(-1))
        out[:, s : s + step] = -eps[:, 0] * lse
    return out


def solve(
    x: Tensor,
    y: Tensor,
    log_a: Tensor,
    log_b: Tensor,
    diameter: Tensor,
    blur: float,
    scaling: float,
    level_iters: int,
    iters: int,
) -> tuple[Tensor, Tensor, Tensor]:
    """Dual potentials (f, g) at the final temperature ``eps = blur * diameter``.

    eps runs down geometrically from the diameter by ``scaling`` (annealing, warm-starting each
    level from the last), ``level_iters`` Sinkhorn iterations per level, then ``iters`` more at
    the final eps. One iteration updates f, then g.

    Shapes:
        x: (B, N, 3); y: (B, M, 3); log_a: (B, N); log_b: (B, M) (-inf on padding);
        diameter: (B,)
        returns: f (B, N), g (B, M), eps (B, 1, 1)
    """
    final = (blur * diameter).view(-1, 1, 1)
    f = torch.zeros_like(log_a)
    g = torch.zeros_like(log_b)
    levels = max(0, math.ceil(math.log(blur) / math.log(scaling)))
    schedule = [torch.maximum(diameter.view(-1, 1, 1) * scaling**lv, final) for lv in range(levels)]
    schedule = [e for e in schedule for _ in range(level_iters)] + [final] * iters
    for eps in schedule:
        f = softmin(x, y, g, log_b, eps)
        g = softmin(y, x, f, log_a, eps)
    return f, g, final


class PlanCost(torch.autograd.Function):
    """``sum_ij P_ij C_ij`` with the plan ``P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)`` held fixed.

    Backward (envelope theorem: the plan is optimal for the regularised problem, so its variation
    is not followed): ``dx_i = sum_j P_ij (x_i - y_j) / C_ij`` and ``dy_j = -sum_i (...)``, in chunks.
    """

    @staticmethod
    def forward(ctx, x, y, f, g, log_a, log_b, eps):  # type: ignore[override]
        ctx.save_for_backward(x, y, f, g, log_a, log_b, eps)
        B, N = x.shape[:2]
        M = y.shape[1]
        y2 = (y * y).sum(-1)
        col = (log_b + g / eps[:, 0]).unsqueeze(1)
        total = x.new_zeros(B)
        step = _rows(B, M)
        for s in range(0, N, step):
            c = _cost(x[:, s : s + step], y, y2)
            row = (log_a[:, s : s + step] + f[:, s : s + step] / eps[:, 0]).unsqueeze(-1)
            p = torch.exp(row + col - c / eps)
            total += (p * c).sum((1, 2))
        return total

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        x, y, f, g, log_a, log_b, eps = ctx.saved_tensors
        B, N = x.shape[:2]
        M = y.shape[1]
        y2 = (y * y).sum(-1)
        col = (log_b + g / eps[:, 0]).unsqueeze(1)
        gx = torch.zeros_like(x)
        gy = torch.zeros_like(y)
        step = _rows(B, M)
        for s in range(0, N, step):
            xc = x[:, s : s + step]
            c = _cost(xc, y, y2)
            row = (log_a[:, s : s + step] + f[:, s : s + step] / eps[:, 0]).unsqueeze(-1)
            p = torch.exp(row + col - c / eps)
            w = torch.where(c > 0, p / c.clamp_min(1e-30), torch.zeros_like(p))  # (B, c, M)
            ws = w.sum(-1, keepdim=True)
            gx[:, s : s + step] = xc * ws - torch.bmm(w, y)
            gy += torch.bmm(w.transpose(1, 2), xc) - y * w.sum(1).unsqueeze(-1)
        scale = grad_out.view(-1, 1, 1)
        return gx * scale, -gy * scale, None, None, None, None, None
