"""Fused Triton kernels for k-nearest neighbours (K <= 32) and the nearest-neighbour distance of
Chamfer, forward and backward (private; imported only when Triton is used).

Tiling: a program owns ``BLOCK_N`` query rows of one batch element and streams the reference cloud
in tiles of ``BLOCK_M`` points; the (BLOCK_N, BLOCK_M) distance tile lives in registers and is
folded into a running best-K list (K = 1: running min/argmin), so no B x N x M tensor is ever
written. Distances are ``sum_d (x_d - y_d)^2`` in float32 (bf16/fp16 inputs are widened on load).

Costs per query-reference pair (stated for the roofline column of the benchmarks):
8 FLOPs (3 sub, 3 mul-add, 1 compare) for K = 1; every extra neighbour slot adds one more
min/argmin sweep of the tile. Bytes: each program reads its rows once and the whole reference
cloud once, so DRAM traffic is ``B * (N * 3 + ceil(N / BLOCK_N) * M * 3) * itemsize`` plus the
outputs; from L2 the tiles are re-read by every program of the same batch element.

Block sizes are autotuned on CUDA (keyed on N, M and K); under the interpreter one small fixed
configuration is used (autotuning there would only time the interpreter).
"""

from __future__ import annotations

import functools

import torch
import triton
import triton.language as tl
from torch import Tensor

from pointrecon.ops._triton import interpreting

INTERPRET_BLOCKS = {"BLOCK_N": 16, "BLOCK_M": 32}


def _configs() -> list[triton.Config]:
    out = []
    for bn, bm, warps in ((32, 64, 4), (64, 64, 4), (64, 128, 4), (128, 64, 8), (128, 128, 8),
                          (32, 128, 4), (64, 256, 8)):  # fmt: skip
        out.append(triton.Config({"BLOCK_N": bn, "BLOCK_M": bm}, num_warps=warps, num_stages=2))
    return out


@triton.jit
def _knn_fwd_kernel(
    x_ptr,
    y_ptr,
    xl_ptr,
    yl_ptr,
    dist_ptr,
    idx_ptr,
    N,
    M,
    K: tl.constexpr,
    KP: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_M: tl.constexpr,
):
    pid = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    nx = tl.load(xl_ptr + b)
    ny = tl.load(yl_ptr + b)
    rows = pid * BLOCK_N + tl.arange(0, BLOCK_N)
    rmask = rows < nx
    xb = x_ptr + b * N * 3 + rows * 3
    x0 = tl.load(xb + 0, mask=rmask, other=0.0).to(tl.float32)
    x1 = tl.load(xb + 1, mask=rmask, other=0.0).to(tl.float32)
    x2 = tl.load(xb + 2, mask=rmask, other=0.0).to(tl.float32)
    kcols = tl.arange(0, KP)
    tcols = tl.arange(0, BLOCK_M)
    # slots >= K hold -inf so that they are never the worst slot and never replaced
    best_d = tl.where(kcols[None, :] < K, float("inf"), float("-inf")) + tl.zeros(
        (BLOCK_N, KP), tl.float32
    )
    best_i = tl.full((BLOCK_N, KP), -1, tl.int64)  # loop-carried: the type must not change
    for start in range(0, ny, BLOCK_M):  # start: int64, like ny
        cols = start + tcols
        cmask = cols < ny
        yb = y_ptr + b * M * 3 + cols * 3
        y0 = tl.load(yb + 0, mask=cmask, other=0.0).to(tl.float32)
        y1 = tl.load(yb + 1, mask=cmask, other=0.0).to(tl.float32)
        y2 = tl.load(yb + 2, mask=cmask, other=0.0).to(tl.float32)
        d0 = x0[:, None] - y0[None, :]
        d1 = x1[:, None] - y1[None, :]
        d2 = x2[:, None] - y2[None, :]
        d = d0 * d0 + d1 * d1 + d2 * d2
        d = tl.where(cmask[None, :], d, float("inf"))
        if K == 1:
            tmin = tl.min(d, axis=1)
            targ = tl.argmin(d, axis=1)
            take = tmin < tl.max(best_d, axis=1)
            sel = (kcols[None, :] == 0) & take[:, None]
            best_d = tl.where(sel, tmin[:, None], best_d)
            best_i = tl.where(sel, (start + targ.to(tl.int64))[:, None], best_i)
        else:
            for _ in range(K):
                tmin = tl.min(d, axis=1)
                targ = tl.argmin(d, axis=1)
                worst = tl.max(best_d, axis=1)
                wpos = tl.argmax(best_d, axis=1)
                take = tmin < worst
                sel = (kcols[None, :] == wpos[:, None]) & take[:, None]
                best_d = tl.where(sel, tmin[:, None], best_d)
                best_i = tl.where(sel, (start + targ.to(tl.int64))[:, None], best_i)
                d = tl.where(tcols[None, :] == targ[:, None], float("inf"), d)
    omask = rmask[:, None] & (kcols[None, :] < K)
    optr = (b * N + rows[:, None]) * K + kcols[None, :]
    found = best_d < float("inf")
    tl.store(dist_ptr + optr, best_d, mask=omask)
    tl.store(idx_ptr + optr, tl.where(found, best_i, -1), mask=omask)


@triton.jit
def _nearest_bwd_kernel(
    x_ptr,
    y_ptr,
    idx_ptr,
    g_ptr,
    gx_ptr,
    gy_ptr,
    N,
    M,
    BLOCK: tl.constexpr,
):
    pid = tl.program_id(0)
    b = tl.program_id(1).to(tl.int64)
    rows = pid * BLOCK + tl.arange(0, BLOCK)
    rmask = rows < N
    i = tl.load(idx_ptr + b * N + rows, mask=rmask, other=-1)
    ok = rmask & (i >= 0)
    g = tl.load(g_ptr + b * N + rows, mask=ok, other=0.0).to(tl.float32)
    xb = x_ptr + b * N * 3 + rows * 3
    yb = y_ptr + b * M * 3 + i * 3
    gxb = gx_ptr + b * N * 3 + rows * 3
    gyb = gy_ptr + b * M * 3 + i * 3
    for c in tl.static_range(3):
        xc = tl.load(xb + c, mask=ok, other=0.0).to(tl.float32)
        yc = tl.load(yb + c, mask=ok, other=0.0).to(tl.float32)
        gc = 2.0 * g * (xc - yc)
        tl.store(gxb + c, gc, mask=rmask)
        tl.atomic_add(gyb + c, -gc, mask=ok)


@functools.lru_cache(maxsize=1)
def _tuned_knn():
    return triton.autotune(configs=_configs(), key=["N", "M", "K"])(_knn_fwd_kernel)


def knn_search(x: Tensor, y: Tensor, k: int, xl: Tensor, yl: Tensor) -> tuple[Tensor, Tensor]:
    """Best-``k`` squared distances (float32, unsorted) and indices (int64, -1 where missing).

    Inputs are validated by the caller; no autograd.

    Shapes:
        x: (B, N, 3)
        y: (B, M, 3)
        xl, yl: (B,) int64
        returns: (dists (B, N, K) float32, idx (B, N, K) int64)
    """
    B, N = x.shape[:2]
    M = y.shape[1]
    dist = torch.full((B, N, k), float("inf"), dtype=torch.float32, device=x.device)
    idx = torch.full((B, N, k), -1, dtype=torch.int64, device=x.device)
    if B == 0 or N == 0 or M == 0:
        return dist, idx
    x, y = x.detach().contiguous(), y.detach().contiguous()
    xl, yl = xl.to(torch.int64).contiguous(), yl.to(torch.int64).contiguous()
    kp = max(2, triton.next_power_of_2(k))
    if interpreting() and x.device.type == "cpu":
        bn = INTERPRET_BLOCKS["BLOCK_N"]
        grid = (triton.cdiv(N, bn), B)
        _knn_fwd_kernel[grid](x, y, xl, yl, dist, idx, N, M, k, kp, **INTERPRET_BLOCKS)
    else:
        grid = lambda meta: (triton.cdiv(N, meta["BLOCK_N"]), B)  # noqa: E731
        _tuned_knn()[grid](x, y, xl, yl, dist, idx, N, M, k, kp)
    return dist, idx


def nearest_backward(x: Tensor, y: Tensor, idx: Tensor, grad: Tensor) -> tuple[Tensor, Tensor]:
    """Gradients of ``d[b, n] = |x[b, n] - y[b, idx[b, n]]|^2`` weighted by ``grad`` (B, N).

    ``grad_x = 2 g (x - y[idx])``; ``grad_y[idx] -= 2 g (x - y[idx])`` by atomic adds.

    Shapes:
        x: (B, N, 3), y: (B, M, 3), idx: (B, N) int64 (-1: no neighbour), grad: (B, N)
        returns: (grad_x (B, N, 3) float32, grad_y (B, M, 3) float32)
    """
    B, N = x.shape[:2]
    M = y.shape[1]
    gx = torch.zeros((B, N, 3), dtype=torch.float32, device=x.device)
    gy = torch.zeros((B, M, 3), dtype=torch.float32, device=x.device)
    if B == 0 or N == 0 or M == 0:
        return gx, gy
    block = 32 if interpreting() and x.device.type == "cpu" else 256
    grid = (triton.cdiv(N, block), B)
    _nearest_bwd_kernel[grid](
        x.detach().contiguous(),
        y.detach().contiguous(),
        idx.contiguous(),
        grad.detach().contiguous(),
        gx,
        gy,
        N,
        M,
        block,
    )
    return gx, gy
