"""Serialize point clouds into sequences along a space-filling curve (Pointcept-style).

Each sample's valid points are quantised to a ``2**bits`` cube grid fitted to the sample (its
bounding-box minimum, one isotropic cell size from the longest side). Every point gets a 64-bit key

    key = b << (S + 1) | is_padding << S | curve_code        (S = bits of curve_code)

so ONE stable sort of the flattened batch orders every sample, keeps samples in their own blocks
of N, and puts padding last in each block. Ties (points in one cell) keep input order.
"""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import (
    accepts_point_batch,
    check_choice,
    check_lengths,
    check_points,
    valid_mask,
)
from pointrecon.ops.curves import (
    MAX_BITS,
    hilbert_encode,
    hilbert_encode_naive,
    morton_encode,
    morton_encode_naive,
)

ORDERS = ("morton", "hilbert", "random", "none")


def quantize(points: Tensor, lengths: Tensor, bits: int) -> Tensor:
    """Integer grid coordinates of each sample's points in its own ``2**bits`` bounding cube.

    Shapes:
        points: (B, N, 3)
        lengths: (B,) int64
        returns: (B, N, 3) int64 in [0, 2**bits); padding rows are 0
    """
    B, N = points.shape[:2]
    if B == 0 or N == 0:
        return torch.zeros(B, N, 3, dtype=torch.int64, device=points.device)
    p = points.detach().to(torch.float64)
    mask = valid_mask(lengths, N).unsqueeze(-1)
    big = torch.finfo(torch.float64).max
    lo = p.masked_fill(~mask, big).amin(dim=1, keepdim=True)  # (B, 1, 3)
    hi = p.masked_fill(~mask, -big).amax(dim=1, keepdim=True)
    lo = torch.where(lengths.view(B, 1, 1) > 0, lo, torch.zeros_like(lo))
    extent = (hi - lo).amax(dim=-1, keepdim=True).clamp_min(1e-12)  # (B, 1, 1)
    cells = 1 << bits
    g = torch.floor((p - lo) / extent * cells).clamp(0, cells - 1).long()
    return g.masked_fill(~mask, 0)


def _check(points, order, lengths, bits):
    check_points("points", points)
    check_choice("order", order, ORDERS)
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be an int in [1, {MAX_BITS}], got {bits!r}")
    ln = check_lengths("lengths", lengths, points)
    B, N = points.shape[:2]
    # padding keys carry their index, so the code field must hold N too
    curve_bits = max(3 * bits if order in ("morton", "hilbert") else 1, N.bit_length())
    if B and curve_bits + 1 + (B - 1).bit_length() > 63:
        raise ValueError(
            f"bits={bits} with batch size B={B} does not fit a 63-bit sort key; lower bits"
        )
    return ln, curve_bits


def _finish(keys: Tensor) -> tuple[Tensor, Tensor]:
    B, N = keys.shape
    flat = keys.reshape(-1).sort(stable=True).indices
    offs = torch.arange(B, device=keys.device).unsqueeze(1) * N
    order = flat.view(B, N) - offs
    inverse = torch.empty_like(order)
    inverse.scatter_(1, order, torch.arange(N, device=keys.device).expand(B, N).contiguous())
    return order, inverse


@accepts_point_batch(points="lengths")
def serialize(
    points: Tensor,
    order: str = "morton",
    *,
    lengths: Tensor | None = None,
    bits: int = 10,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Order each cloud along a space-filling curve; return the order and its inverse.

    ``gather_points(points, order)`` is the ordered sequence (valid points first, padding last),
    and ``gather_points(seq, inverse)`` restores the input. ``order``: ``"morton"`` (Z-order),
    ``"hilbert"`` (better locality), ``"random"`` (a uniform random permutation of the valid points,
    from ``generator``, a CPU generator) or ``"none"`` (identity).

    Shapes:
        points: (B, N, 3)
        lengths: (B,) int64, optional
        returns: (order (B, N) int64, inverse (B, N) int64)
    """
    lengths, curve_bits = _check(points, order, lengths, bits)
    B, N = points.shape[:2]
    dev = points.device
    if B == 0 or N == 0:
        empty = torch.zeros(B, N, dtype=torch.int64, device=dev)
        return empty, empty.clone()
    if order in ("morton", "hilbert"):
        grid = quantize(points, lengths, bits)
        code = (morton_encode if order == "morton" else hilbert_encode)(grid, bits)
    elif order == "random":
        r = torch.rand(B, N, generator=generator, device="cpu").to(dev)
        code = r.argsort(dim=1).argsort(dim=1)  # a uniform random rank per point
    else:
        code = torch.arange(N, device=dev).expand(B, N)
    pad_mask = ~valid_mask(lengths, N)
    code = torch.where(pad_mask, torch.arange(N, device=dev), code)  # padding keeps input order
    pad = pad_mask.long()
    batch = torch.arange(B, device=dev).unsqueeze(1)
    keys = (batch << (curve_bits + 1)) | (pad << curve_bits) | code
    return _finish(keys)


def serialize_naive(
    points: Tensor,
    order: str = "morton",
    *,
    lengths: Tensor | None = None,
    bits: int = 10,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Reference twin of :func:`serialize`: per-point Python curve codes and a per-sample sort.

    ``"random"`` draws the same random numbers as :func:`serialize` for the same generator state.

    Shapes:
        points: (B, N, 3)
        lengths: (B,) int64, optional
        returns: (order (B, N) int64, inverse (B, N) int64)
    """
    lengths, _ = _check(points, order, lengths, bits)
    B, N = points.shape[:2]
    grid = quantize(points, lengths, bits).cpu()
    rand = torch.rand(B, N, generator=generator) if order == "random" else None
    orders = []
    for b in range(B):
        n = int(lengths[b])
        keys = []
        for i in range(n):
            gx, gy, gz = (int(v) for v in grid[b, i])
            if order == "morton":
                keys.append(morton_encode_naive(gx, gy, gz, bits))
            elif order == "hilbert":
                keys.append(hilbert_encode_naive(gx, gy, gz, bits))
            elif order == "random":
                keys.append(float(rand[b, i]))
            else:
                keys.append(i)
        seq = sorted(range(n), key=lambda i: (keys[i], i)) + list(range(n, N))
        orders.append(seq)
    order_t = torch.tensor(orders, dtype=torch.int64).reshape(B, N).to(points.device)
    inverse = torch.argsort(order_t, dim=1)
    return order_t, inverse
