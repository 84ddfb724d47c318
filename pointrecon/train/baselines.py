"""Two trivial completion baselines every model must beat.

- ``input``: the partial input itself, resampled to the prediction's size.
- ``mirror``: the input united with its mirror image across its best symmetry plane. Candidate
  planes pass through the input's centroid, with normals from a near-uniform hemisphere grid
  (Fibonacci) plus the three PCA axes; the plane minimising the chamfer-L1 distance between the
  input and its mirror image wins.
- ``input_dense`` and ``mirror_dense``: the same two clouds densified without learning to the
  prediction's size, by adding midpoints between each point and its nearest neighbours. With a
  dense ground truth (16384 points), a 2048-point scan cannot score at F@1% even where it is
  exact; the densified baselines match the prediction's density, so a model beats them on F
  only where its points are accurate, not through point count alone.
"""

from __future__ import annotations

import math

import torch

from pointrecon.metrics import chamfer_l1
from pointrecon.ops import knn


def _valid(points: torch.Tensor, lengths: torch.Tensor | None, b: int) -> torch.Tensor:
    n = points.shape[1] if lengths is None else int(lengths[b])
    if n <= 0:
        raise ValueError(f"sample {b} of the batch has no points (lengths[{b}] = {n})")
    return points[b, :n]


def resample(points: torch.Tensor, num_points: int, generator: torch.Generator) -> torch.Tensor:
    """``num_points`` rows of ``points`` (n,3): a random subset, or all plus random repeats."""
    n = points.shape[0]
    if n >= num_points:
        idx = torch.randperm(n, generator=generator)[:num_points]
    else:
        extra = torch.randint(0, n, (num_points - n,), generator=generator)
        idx = torch.cat([torch.arange(n), extra])
    return points[idx.to(points.device)]


def hemisphere_normals(count: int) -> torch.Tensor:
    """``count`` near-uniform unit normals on the upper hemisphere (Fibonacci lattice).

    Shapes:
        output (count, 3) float32.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    i = torch.arange(count, dtype=torch.float64) + 0.5
    z = 1.0 - i / count  # z in (0, 1]
    r = torch.sqrt(1 - z * z)
    phi = i * math.pi * (3.0 - math.sqrt(5.0))
    return torch.stack([r * torch.cos(phi), r * torch.sin(phi), z], dim=1).float()


def reflect(points: torch.Tensor, center: torch.Tensor, normals: torch.Tensor) -> torch.Tensor:
    """Mirror ``points`` across planes through ``center`` with unit ``normals``.

    Shapes:
        points (N, 3), center (3,), normals (G, 3) -> (G, N, 3).
    """
    d = (points - center) @ normals.T  # (N, G)
    return points.unsqueeze(0) - 2.0 * d.T.unsqueeze(-1) * normals.unsqueeze(1)


def best_mirror_plane(
    points: torch.Tensor,
    *,
    num_normals: int = 128,
    max_points: int = 512,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The symmetry plane of ``points`` through the centroid with the lowest mirror chamfer-L1.

    Returns:
        (center (3,), unit normal (3,), chamfer-L1 between the points and their mirror image).

    Shapes:
        points (N, 3).
    """
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] == 0:
        raise ValueError(f"points must have shape (N, 3) with N >= 1, got {tuple(points.shape)}")
    pts = points.float()
    if pts.shape[0] > max_points:
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        pts = pts[torch.randperm(pts.shape[0], generator=g)[:max_points].to(pts.device)]
    center = pts.mean(0)
    cand = [hemisphere_normals(num_normals).to(pts.device)]
    if pts.shape[0] >= 3:
        _, _, v = torch.linalg.svd(pts - center, full_matrices=False)
        cand.append(v)  # rows are the PCA axes
    normals = torch.cat(cand)
    normals = normals / normals.norm(dim=1, keepdim=True).clamp_min(1e-12)
    mirrored = reflect(pts, center, normals)
    scores = chamfer_l1(mirrored, pts.unsqueeze(0).expand_as(mirrored).contiguous())
    best = int(torch.argmin(scores))
    return points.float().mean(0), normals[best], float(scores[best])


def mirror_union(
    points: torch.Tensor, generator: torch.Generator | None = None, *, num_normals: int = 128
) -> torch.Tensor:
    """``points`` followed by their mirror image across :func:`best_mirror_plane`.

    Shapes:
        points (N, 3) -> (2N, 3).
    """
    center, normal, _ = best_mirror_plane(points, num_normals=num_normals, generator=generator)
    return torch.cat([points, reflect(points, center, normal[None])[0]])


def input_baseline(
    points: torch.Tensor,
    lengths: torch.Tensor | None,
    num_points: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """The input, resampled to ``num_points`` per sample.

    Shapes:
        points (B, N, 3), lengths (B,) -> (B, num_points, 3).
    """
    return torch.stack(
        [resample(_valid(points, lengths, b), num_points, generator) for b in range(len(points))]
    )


def mirror_baseline(
    points: torch.Tensor,
    lengths: torch.Tensor | None,
    num_points: int,
    generator: torch.Generator,
    *,
    num_normals: int = 128,
) -> torch.Tensor:
    """The input united with its mirror image across its best plane, resampled.

    Shapes:
        points (B, N, 3), lengths (B,) -> (B, num_points, 3).
    """
    out = []
    for b in range(len(points)):
        both = mirror_union(_valid(points, lengths, b).float(), generator, num_normals=num_normals)
        out.append(resample(both, num_points, generator))
    return torch.stack(out)


def densify(points: torch.Tensor, num_points: int, generator: torch.Generator) -> torch.Tensor:
    """``points`` (n, 3) densified to ``num_points`` rows without learning.

    Each point adds the midpoints to its ``k`` nearest other points (each pair once), with
    ``k = ceil(num_points / n)``, doubled until there are enough; the points and the midpoints
    together are then subsampled (without repeats) to ``num_points``. A cloud already at least
    that dense is only subsampled.

    Shapes:
        points (n, 3) -> (num_points, 3).
    """
    if points.ndim != 2 or points.shape[1] != 3 or points.shape[0] == 0:
        raise ValueError(f"points must have shape (n, 3) with n >= 1, got {tuple(points.shape)}")
    n = points.shape[0]
    if n >= num_points or n == 1:
        return resample(points, num_points, generator)
    k = min(math.ceil(num_points / n), n - 1)
    while True:
        idx = knn(points[None].float(), points[None].float(), k + 1).idx[0, :, 1:]  # drop self
        i = torch.arange(n, device=points.device)[:, None].expand(n, k)
        pairs = torch.stack([torch.minimum(i, idx), torch.maximum(i, idx)], -1).reshape(-1, 2)
        pairs = torch.unique(pairs[pairs[:, 0] != pairs[:, 1]], dim=0)  # each edge once
        if n + len(pairs) >= num_points or k >= n - 1:
            break
        k = min(2 * k, n - 1)
    mids = 0.5 * (points[pairs[:, 0]] + points[pairs[:, 1]])
    return resample(torch.cat([points, mids]), num_points, generator)


def dense_baseline(
    points: torch.Tensor,
    lengths: torch.Tensor | None,
    num_points: int,
    generator: torch.Generator,
    *,
    mirror: bool = False,
    num_normals: int = 128,
) -> torch.Tensor:
    """The input (or, with ``mirror``, the input united with its best mirror image) densified
    to ``num_points`` per sample by :func:`densify`.

    Shapes:
        points (B, N, 3), lengths (B,) -> (B, num_points, 3).
    """
    out = []
    for b in range(len(points)):
        pts = _valid(points, lengths, b).float()
        if mirror:
            pts = mirror_union(pts, generator, num_normals=num_normals)
        out.append(densify(pts, num_points, generator))
    return torch.stack(out)
