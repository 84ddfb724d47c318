"""Point ops in pure PyTorch (CPU and CUDA), each with a ``*_naive`` reference twin."""

from pointrecon.ops.ball_query import ball_query, ball_query_naive
from pointrecon.ops.curves import hilbert_encode, morton_encode
from pointrecon.ops.fps import fps, fps_naive
from pointrecon.ops.gather import gather_points, gather_points_naive
from pointrecon.ops.group import group_points, group_points_naive
from pointrecon.ops.knn import KNN, knn, knn_naive
from pointrecon.ops.nearest import nearest_sqdist, nearest_sqdist_naive
from pointrecon.ops.serialize import ORDERS, quantize, serialize, serialize_naive

__all__ = [
    "KNN",
    "ORDERS",
    "ball_query",
    "ball_query_naive",
    "fps",
    "fps_naive",
    "gather_points",
    "gather_points_naive",
    "group_points",
    "group_points_naive",
    "hilbert_encode",
    "knn",
    "knn_naive",
    "morton_encode",
    "nearest_sqdist",
    "nearest_sqdist_naive",
    "quantize",
    "serialize",
    "serialize_naive",
]
