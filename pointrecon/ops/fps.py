"""Farthest point sampling, batched: one vectorised step over the whole batch per sample drawn."""

from __future__ import annotations

import torch
from torch import Tensor

from pointrecon.checks import (
    accepts_point_batch,
    check_int,
    check_lengths,
    check_points,
    describe,
    sqdist3,
    valid_mask,
)


def _start(points: Tensor, lengths: Tensor, start_idx: int | str | Tensor, generator) -> Tensor:
    B = points.shape[0]
    dev = points.device
    if isinstance(start_idx, str):
        if start_idx != "random":
            raise ValueError(
                f"start_idx must be an int, a (B,) tensor or 'random', got {start_idx!r}"
            )
        u = torch.rand(B, generator=generator, dtype=torch.float64, device="cpu").to(dev)
        return (u * lengths.double()).long().clamp_max(lengths - 1)
    if isinstance(start_idx, Tensor):
        if start_idx.shape != (B,) or start_idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(
                f"start_idx tensor must be (B,)=({B},) int64, got {describe(start_idx)}"
            )
        s = start_idx.to(dev).long()
    elif isinstance(start_idx, int) and not isinstance(start_idx, bool):
        s = torch.full((B,), start_idx, dtype=torch.int64, device=dev)
    else:
        raise TypeError(
            f"start_idx must be an int, a (B,) tensor or 'random', got {describe(start_idx)}"
        )
    if B and (bool((s < 0).any()) or bool((s >= lengths).any())):
        raise ValueError(
            f"start_idx must lie in [0, lengths[b]) for every b, got {s.tolist()} "
            f"with lengths {lengths.tolist()}"
        )
    return s


def _check(points, k, lengths, start_idx, generator):
    check_points("points", points)
    check_int("k", k, minimum=0)
    ln = check_lengths("lengths", lengths, points, allow_zero=False)
    return ln, _start(points, ln, start_idx, generator)


@accepts_point_batch(points="lengths")
def fps(
    points: Tensor,
    k: int,
    *,
    lengths: Tensor | None = None,
    start_idx: int | str | Tensor = 0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Farthest point sampling: pick ``k`` points, each the farthest from those already picked.

    The first pick is ``start_idx`` (an int for all samples, a (B,) tensor, or ``"random"``,
    drawn uniformly among each sample's valid points with ``generator``, a CPU generator).
    Distances are squared Euclidean; ties pick the lowest index. Padding points
    (``i >= lengths[b]``) are never picked; when ``k > lengths[b]`` the slots from
    ``lengths[b]`` on repeat the start index. Cost: k vectorised steps of O(B*N).

    Shapes:
        points: (B, N, 3)
        lengths: (B,) int64, optional, each >= 1
        returns: idx (B, K) int64
    """
    lengths, start = _check(points, k, lengths, start_idx, generator)
    B, N = points.shape[:2]
    idx = torch.empty(B, k, dtype=torch.int64, device=points.device)
    if k == 0 or B == 0:
        return idx
    p = points.detach()
    # coordinates as contiguous (B, N) planes and preallocated buffers: ~8 small kernels per step
    px, py, pz = (p[..., i].contiguous() for i in range(3))
    flat = p.reshape(B * N, 3)
    offs = torch.arange(B, device=p.device) * N
    # padding starts at -1 so it is never the argmax while a valid point remains (all >= 0)
    dist = torch.full((B, N), float("inf"), dtype=p.dtype, device=p.device)
    dist.masked_fill_(~valid_mask(lengths, N), -1.0)
    t, u = torch.empty_like(dist), torch.empty_like(dist)
    cur = start
    for j in range(k):
        idx[:, j] = cur
        if j + 1 == k:
            break
        last = flat[cur + offs]  # (B, 3)
        # same operation order as sqdist3 (x*x + y*y) + z*z, so fps_naive agrees bitwise
        torch.sub(px, last[:, 0:1], out=t).mul_(t)
        torch.sub(py, last[:, 1:2], out=u).mul_(u)
        t.add_(u)
        torch.sub(pz, last[:, 2:3], out=u).mul_(u)
        t.add_(u)
        torch.minimum(dist, t, out=dist)
        cur = dist.argmax(dim=1)
    over = torch.arange(k, device=p.device).unsqueeze(0) >= lengths.unsqueeze(1)
    return torch.where(over, start.unsqueeze(1), idx)


def fps_naive(
    points: Tensor,
    k: int,
    *,
    lengths: Tensor | None = None,
    start_idx: int | str | Tensor = 0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Reference twin of :func:`fps`: per sample, each step recomputes the distance of every point
    to every picked point (O(k^2 N)) and takes the first maximum in a Python scan.

    Shapes:
        points: (B, N, 3)
        lengths: (B,) int64, optional, each >= 1
        returns: idx (B, K) int64
    """
    lengths, start = _check(points, k, lengths, start_idx, generator)
    B = points.shape[0]
    out = torch.empty(B, k, dtype=torch.int64, device=points.device)
    for b in range(B):
        n = int(lengths[b])
        p = points[b, :n].detach()
        picked = [int(start[b])]
        while len(picked) < min(k, n):
            d = sqdist3(p.unsqueeze(1), p[picked].unsqueeze(0)).min(dim=1).values.tolist()
            best, best_i = -1.0, -1
            for i, v in enumerate(d):
                if v > best:
                    best, best_i = v, i
            picked.append(best_i)
        picked += [int(start[b])] * (k - len(picked))
        out[b] = torch.tensor(picked[:k], dtype=torch.int64)
    return out
