"""The point ops the models use, taken from :mod:`pointrecon.ops`.

Until ``pointrecon.ops`` provides an op, a brute-force reference with the same signature stands in
(small sizes only); the models never call these fallbacks once the ops package has them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


def _op(name: str) -> Callable[..., Any] | None:
    """``pointrecon.ops.<name>`` when the ops package exports it as a callable, else None."""
    try:
        import pointrecon.ops as ops
    except ImportError:
        return None
    fn = getattr(ops, name, None)
    return fn if callable(fn) else None


def _fallback_knn_idx(x: Tensor, y: Tensor, k: int) -> Tensor:
    d = torch.cdist(x.detach(), y.detach())
    return d.topk(k, dim=-1, largest=False).indices


def _fallback_fps(points: Tensor, k: int, lengths: Tensor | None = None) -> Tensor:
    B, N, _ = points.shape
    p = points.detach()
    idx = torch.zeros(B, k, dtype=torch.long, device=p.device)
    dist = torch.full((B, N), float("inf"), device=p.device)
    if lengths is not None:
        dist[torch.arange(N, device=p.device)[None] >= lengths[:, None]] = -1.0
    cur = torch.zeros(B, dtype=torch.long, device=p.device)
    for i in range(k):
        idx[:, i] = cur
        c = p[torch.arange(B), cur]
        dist = torch.minimum(dist, ((p - c[:, None]) ** 2).sum(-1))
        cur = dist.argmax(-1)
    return idx


def _fallback_ball_query(centers: Tensor, points: Tensor, radius: float, k: int) -> Tensor:
    d = torch.cdist(centers.detach(), points.detach())
    N = points.shape[1]
    ar = torch.arange(N, device=points.device).expand_as(d)
    key = torch.where(d <= radius, ar, ar + N)
    idx = key.sort(-1).indices[..., :k]
    hit = d.gather(-1, idx) <= radius
    first = torch.where(hit[..., :1], idx[..., :1], d.argmin(-1, keepdim=True))
    return torch.where(hit, idx, first)


def _fallback_gather(x: Tensor, idx: Tensor) -> Tensor:
    B = x.shape[0]
    flat = idx.reshape(B, -1)
    out = x.gather(1, flat[..., None].expand(-1, -1, x.shape[-1]))
    return out.reshape(*idx.shape, x.shape[-1])


def _fallback_serialize(points: Tensor, order: str = "morton") -> tuple[Tensor, Tensor]:
    B, N, _ = points.shape
    if order == "none":
        o = torch.arange(N, device=points.device).expand(B, N).contiguous()
    else:
        p = points.detach()
        lo, hi = p.amin(1, keepdim=True), p.amax(1, keepdim=True)
        q = ((p - lo) / (hi - lo).clamp_min(1e-9) * 1023).long()
        code = torch.zeros(B, N, dtype=torch.long, device=p.device)
        for b in range(10):
            for a in range(3):
                code |= ((q[..., a] >> b) & 1) << (3 * b + a)
        o = code.argsort(-1)
    return o, o.argsort(-1)


def knn_idx(x: Tensor, y: Tensor, k: int, lengths: Tensor | None = None) -> Tensor:
    """Indices (B, N, K) of the k nearest points of ``y`` for each point of ``x`` (-1: missing)."""
    fn = _op("knn")
    if fn is None:
        return _fallback_knn_idx(x, y, k)
    return fn(x.detach(), y.detach(), k, x_lengths=lengths, y_lengths=lengths).idx


def fps(points: Tensor, k: int, lengths: Tensor | None = None) -> Tensor:
    fn = _op("fps")
    if fn is None:
        return _fallback_fps(points, k, lengths)
    return fn(points.detach(), k, lengths=lengths)


def ball_query(
    centers: Tensor, points: Tensor, radius: float, k: int, lengths: Tensor | None = None
) -> Tensor:
    fn = _op("ball_query")
    if fn is None:
        return _fallback_ball_query(centers, points, radius, k)
    return fn(centers.detach(), points.detach(), radius, k, points_lengths=lengths)


def gather_points(x: Tensor, idx: Tensor) -> Tensor:
    fn = _op("gather_points")
    if fn is None:
        return _fallback_gather(x, idx)
    return fn(x, idx)


def serialize(points: Tensor, order: str) -> tuple[Tensor, Tensor]:
    fn = _op("serialize")
    if fn is None:
        return _fallback_serialize(points, order)
    return fn(points.detach(), order)
