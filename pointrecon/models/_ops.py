"""The point ops as the models call them: :mod:`pointrecon.ops` on detached inputs (the ops give
indices; gradients flow through the gathers that use them).

Shapes:
    knn_idx: x (B, N, D), y (B, M, D) -> idx (B, N, K), -1 where y has fewer than K valid points
"""

from __future__ import annotations

from torch import Tensor

from pointrecon.ops import ball_query as _ball_query
from pointrecon.ops import fps as _fps
from pointrecon.ops import gather_points
from pointrecon.ops import knn as _knn
from pointrecon.ops import serialize as _serialize

__all__ = ["ball_query", "fps", "gather_points", "knn_dists", "knn_idx", "serialize"]


def knn_idx(x: Tensor, y: Tensor, k: int, lengths: Tensor | None = None) -> Tensor:
    """Indices of the k nearest points of ``y`` for each point of ``x`` (same ``lengths``)."""
    return _knn(x.detach(), y.detach(), k, x_lengths=lengths, y_lengths=lengths).idx


def knn_dists(x: Tensor, y: Tensor, k: int) -> Tensor:
    """Squared distances to the k nearest points of ``y`` for each point of ``x``, (B, N, K)."""
    return _knn(x.detach(), y.detach(), k).dists


def fps(points: Tensor, k: int, lengths: Tensor | None = None) -> Tensor:
    """Farthest point sampling from index 0: (B, K) indices."""
    return _fps(points.detach(), k, lengths=lengths)


def ball_query(
    centers: Tensor, points: Tensor, radius: float, k: int, lengths: Tensor | None = None
) -> Tensor:
    """PointNet++ ball query: (B, M, K) indices, all valid."""
    return _ball_query(centers.detach(), points.detach(), radius, k, points_lengths=lengths)


def serialize(points: Tensor, order: str) -> tuple[Tensor, Tensor]:
    """(order, inverse) permutations along a space-filling curve ("morton", "hilbert", ...)."""
    return _serialize(points.detach(), order)
