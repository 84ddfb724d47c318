"""Log-domain Sinkhorn with epsilon scaling, dense or chunked (private; used by ``emd``).

Two paths compute the same iterations:

- dense (``B * N * M <= DENSE_ELEMENTS``): the cost matrix is built once, scaled once per
  temperature, and every potential update is one vectorised log-sum-exp over it;
- chunked (above the budget): the cost ``C_ij = ||x_i - y_j||`` is never stored whole, only
  (B, chunk, M) blocks at a time, in the potential updates, the value and the backward pass.

The schedule follows GeomLoss's epsilon scaling: the temperature runs down geometrically from the
diameter to ``blur * diameter``, a few iterations per level warm-started from the last, then
iterations at the final temperature until the row marginals of the plan are within ``tol``
(L1, as a fraction of the total mass) or ``iters`` is reached.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

_CHUNK_ELEMENTS = 1 << 22
DENSE_ELEMENTS = 1 << 24
_DIVERGED = 1e3  # final-stage marginal error this many times its best so far: diverged
"""Largest ``B * N * M`` solved on the dense path (a few (B, N, M) float arrays at a time)."""


def _cost(xc: Tensor, y: Tensor, y2: Tensor) -> Tensor:
    """(B, c, M) Euclidean distances of a row block by one baddbmm."""
    x2 = (xc * xc).sum(-1, keepdim=True)
    d2 = torch.baddbmm(y2.unsqueeze(1), xc, y.transpose(1, 2), alpha=-2.0) + x2
    return d2.clamp_min_(0).sqrt_()


def _floor(dtype: torch.dtype) -> float:
    """Log of the smallest normal float: below it exp makes subnormals (slow, and negligible)."""
    return math.log(torch.finfo(dtype).tiny) + 1.0


def _rows(B: int, M: int) -> int:
    return max(1, _CHUNK_ELEMENTS // max(1, B * M))


def _lse_(z: Tensor) -> Tensor:
    """Log-sum-exp over the last dim of ``z`` (B, c, M), overwriting ``z``; (B, c)."""
    top = z.amax(dim=-1, keepdim=True).clamp_min(torch.finfo(z.dtype).min)
    # clamp: exp of anything below -80 is negligible against the max term (1), and would make
    # subnormal floats, an order of magnitude slower on CPUs
    return z.sub_(top).clamp_min_(-80.0).exp_().sum(-1).log_().add_(top.squeeze(-1))


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
        out[:, s : s + step] = -eps[:, 0] * _lse_(z)
    return out


class _Dense:
    """The cost matrix and its transpose, kept whole; updates scaled by the current eps.

    Every (B, N, M) array is allocated once and reused (fresh large allocations page-fault on
    each use, which costs more than the arithmetic), and each log-sum-exp is one fused
    ``log_softmax``: ``lse_i = z_i0 - log_softmax(z)_i0``.
    """

    def __init__(self, x: Tensor, y: Tensor) -> None:
        self.c = _cost(x, y, (y * y).sum(-1))  # (B, N, M)
        self.ct = self.c.transpose(1, 2).contiguous()  # (B, M, N): contiguous row reductions
        self.kx, self.ky = torch.empty_like(self.c), torch.empty_like(self.ct)
        self.z = self.c.new_empty(self.c.numel())  # work buffers, viewed as (B, N, M) or (B, M, N)
        self.out = torch.empty_like(self.z)
        self.eps: Tensor | None = None

    def _scale(self, eps: Tensor) -> None:
        if self.eps is None or not torch.equal(self.eps, eps):
            self.eps = eps
            torch.div(self.c, -eps, out=self.kx)  # -C / eps, once per temperature
            torch.div(self.ct, -eps, out=self.ky)

    def _lse(self, k: Tensor, off: Tensor) -> Tensor:
        z = torch.add(k, off.unsqueeze(1), out=self.z.view(k.shape))
        out = torch.log_softmax(z, -1, out=self.out.view(k.shape))
        return z[..., 0] - out[..., 0]  # column 0 is a real point: padding comes last

    def f(self, g: Tensor, log_b: Tensor, eps: Tensor) -> Tensor:
        self._scale(eps)
        return -eps[:, 0] * self._lse(self.kx, log_b + g / eps[:, 0])

    def g(self, f: Tensor, log_a: Tensor, eps: Tensor) -> Tensor:
        self._scale(eps)
        return -eps[:, 0] * self._lse(self.ky, log_a + f / eps[:, 0])


def _schedule(diameter: Tensor, blur: float, scaling: float) -> list[Tensor]:
    """Temperatures (B, 1, 1) above the final one: diameter * scaling^k, k = 0, 1, ..."""
    final = blur * diameter
    levels = max(0, math.ceil(math.log(blur) / math.log(scaling)))
    return [torch.maximum(diameter * scaling**k, final).view(-1, 1, 1) for k in range(levels)]


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
    *,
    tol: float = 5e-2,
    relax: float = 1.8,
    dense: bool | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Dual potentials (f, g) at the final temperature ``eps = blur * diameter``.

    One iteration updates f, then g (so the columns of the plan sum to b exactly). eps runs down
    geometrically from the diameter by ``scaling``, ``level_iters`` iterations per level, then up
    to ``iters`` more at the final eps, stopping once the rows of the plan sum to a within ``tol``
    in L1 (every sample of the batch). ``dense=None`` picks the dense path when
    ``B * N * M <= DENSE_ELEMENTS``.

    Shapes:
        x: (B, N, 3); y: (B, M, 3); log_a: (B, N); log_b: (B, M) (-inf on padding);
        diameter: (B,)
        returns: f (B, N), g (B, M), eps (B, 1, 1)
    """
    B, N = x.shape[:2]
    M = y.shape[1]
    if dense is None:
        dense = B * N * M <= DENSE_ELEMENTS
    if dense:
        d = _Dense(x, y)
        upd_f: Callable[[Tensor, Tensor], Tensor] = lambda g, e: d.f(g, log_b, e)  # noqa: E731
        upd_g: Callable[[Tensor, Tensor], Tensor] = lambda f, e: d.g(f, log_a, e)  # noqa: E731
    else:
        upd_f = lambda g, e: softmin(x, y, g, log_b, e)  # noqa: E731
        upd_g = lambda f, e: softmin(y, x, f, log_a, e)  # noqa: E731
    a = log_a.exp()
    final = (blur * diameter).view(-1, 1, 1)
    schedule = [e for e in _schedule(diameter, blur, scaling) for _ in range(level_iters)]
    schedule += [final] * iters
    for omega in (relax, 1.0) if relax != 1.0 else (1.0,):
        f, g = torch.zeros_like(log_a), torch.zeros_like(log_b)
        best = torch.full_like(diameter, math.inf)
        live = torch.ones_like(diameter, dtype=torch.bool).unsqueeze(-1)  # (B, 1) not converged
        diverged = False
        for k, eps in enumerate(schedule):
            f_new = upd_f(g, eps)
            last = k >= len(schedule) - iters
            if last:
                # L1 row-marginal error of the plan before this update: sum_i a_i |exp(df_i/eps)-1|
                ratio = ((f - f_new) / eps[:, 0]).clamp(-50, 50).exp_()
                err = (a * (ratio - 1).abs()).sum(-1)
                best = torch.minimum(best, err)
                diverged = not bool((err <= _DIVERGED * best).all())  # NaN too
                if diverged:
                    break  # over-relaxation diverged: start again with plain Sinkhorn
                # a converged sample stops here, so a batch gives each sample's own result
                live = live & (err >= tol).unsqueeze(-1)
                if not live.any():
                    break
            f_new = f_new if omega == 1.0 else torch.lerp(f, f_new, omega)
            f = torch.where(live, f_new, f) if last else f_new
            g_new = upd_g(f, eps)
            g_new = g_new if omega == 1.0 else torch.lerp(g, g_new, omega)
            g = torch.where(live, g_new, g) if last else g_new
        if not diverged:
            break
    # a last plain g update: the columns of the plan sum to b exactly
    return f, upd_g(f, final), final


class PlanCost(torch.autograd.Function):
    """``sum_ij P_ij C_ij`` with the plan ``P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps)`` held fixed.

    Backward (envelope theorem: the plan is optimal for the regularised problem, so its variation
    is not followed): ``dx_i = sum_j P_ij (x_i - y_j) / C_ij`` and ``dy_j = -sum_i (...)``,
    recomputing the plan (whole when ``dense``, else in row blocks) instead of saving it.
    """

    @staticmethod
    def forward(ctx, x, y, f, g, log_a, log_b, eps, dense=False):  # type: ignore[override]
        ctx.save_for_backward(x, y, f, g, log_a, log_b, eps)
        ctx.dense = dense
        B, N = x.shape[:2]
        M = y.shape[1]
        y2 = (y * y).sum(-1)
        col = (log_b + g / eps[:, 0]).unsqueeze(1)
        total = x.new_zeros(B)
        step = N if dense else _rows(B, M)
        for s in range(0, N, step):
            c = _cost(x[:, s : s + step], y, y2)
            row = (log_a[:, s : s + step] + f[:, s : s + step] / eps[:, 0]).unsqueeze(-1)
            p = (c / -eps).add_(col).add_(row).clamp_min_(_floor(c.dtype)).exp_()
            total += (p.mul_(c)).sum((1, 2))
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
        step = N if ctx.dense else _rows(B, M)
        for s in range(0, N, step):
            xc = x[:, s : s + step]
            c = _cost(xc, y, y2)
            row = (log_a[:, s : s + step] + f[:, s : s + step] / eps[:, 0]).unsqueeze(-1)
            w = (c / -eps).add_(col).add_(row).clamp_min_(_floor(c.dtype)).exp_()  # the plan P
            w = w.div_(c.masked_fill_(c == 0, math.inf))  # P / C, 0 where C == 0
            ws = w.sum(-1, keepdim=True)
            gx[:, s : s + step] = xc * ws - torch.bmm(w, y)
            gy += torch.bmm(w.transpose(1, 2), xc) - y * w.sum(1).unsqueeze(-1)
        scale = grad_out.view(-1, 1, 1)
        return gx * scale, -gy * scale, None, None, None, None, None, None
