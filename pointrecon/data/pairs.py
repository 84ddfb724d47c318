"""One (partial scan, complete surface) training pair from a mesh."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import trimesh

from pointrecon.data.resample import resample_points
from pointrecon.data.scan import simulate_scan
from pointrecon.data.scan_spec import ScanSpec
from pointrecon.data.shapes.parts import interior_mask
from pointrecon.errors import DataError
from pointrecon.io import normalize, sample_surface


def _seed_int(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def sample_exterior(mesh: trimesh.Trimesh, n: int, seed: int) -> np.ndarray:
    """``n`` area-weighted uniform samples of the mesh's outer surface.

    For procedural shapes (concatenated parts), samples hidden inside another convex part are
    dropped and replaced (see :func:`pointrecon.data.shapes.interior_mask`); for other meshes this
    is plain area-weighted surface sampling.

    Shapes:
        -> (n, 3) float32
    """
    rng = np.random.default_rng([seed, 0])
    kept: list[np.ndarray] = []
    total, draw = 0, n
    for _ in range(20):
        pts = sample_surface(mesh, draw, seed=int(rng.integers(2**31)))
        pts = pts[~interior_mask(mesh, pts)]
        kept.append(pts)
        total += len(pts)
        if total >= n:
            break
        draw = max(2 * (n - total), 64)
    if total == 0:
        raise DataError(None, "mesh has no outer surface to sample")
    return resample_points(np.concatenate(kept), n, rng)


def make_completion_pair(
    mesh: trimesh.Trimesh,
    *,
    seed: int,
    scan: ScanSpec | Mapping[str, Any] | None = None,
    view: int = 0,
    return_depth: bool = False,
    max_attempts: int = 8,
    **scan_settings: Any,
) -> dict[str, Any]:
    """Build a completion pair: a simulated partial scan and the complete surface of ``mesh``.

    The scan follows ``scan`` (a :class:`~pointrecon.data.scan_spec.ScanSpec` or a mapping of
    its fields) with ``scan_settings`` (``n_partial=...``, ...) over it; settings given as
    ``[low, high]`` ranges are drawn from ``(seed, view)``. The complete cloud is ``n_complete``
    area-weighted samples of the outer surface. Both clouds are normalised by the default
    normalisation (docs/conventions.md), fit on the complete cloud (centre on its bounding-box
    centre, farthest point at radius 1); the mesh is moved into that frame before scanning, so
    ``distance`` and ``noise_std`` are in units of the normalised object (radius 1) and depth
    images are in those units too. The complete cloud depends only on ``(mesh, seed)``; the
    camera(s), noise and dropout on ``(seed, view)``, so several views of one shape share their
    ground truth. A view that sees nothing (e.g. all pixels dropped) is redrawn, up to
    ``max_attempts`` times.

    Returns:
        dict with ``partial`` (n_partial, 3) float32, ``complete`` (n_complete, 3) float32,
        ``view`` int, ``normalization`` (pointrecon.io.Normalization), ``cameras`` list of
        :class:`~pointrecon.data.camera.Camera`, ``num_visible`` (points seen before
        resampling) and, with ``return_depth``, ``depth`` (V, H, W) float32.

    Shapes:
        partial: (N, 3), complete: (M, 3), depth: (V, H, W)
    """
    if not isinstance(mesh, trimesh.Trimesh):
        raise TypeError(f"mesh must be a trimesh.Trimesh, got {type(mesh).__name__}")
    seed, view = _seed_int(seed), _seed_int(view)
    spec = ScanSpec.create(scan, **scan_settings)
    if spec.ranged:
        spec = spec.draw(np.random.default_rng([seed, view, 0x5C]))
    complete = sample_exterior(mesh, spec.n_complete, seed)
    complete, norm = normalize(complete)
    moved = trimesh.Trimesh(norm.apply(mesh.vertices), mesh.faces, process=False)
    rng = np.random.default_rng([seed, 1, view])
    for _ in range(max_attempts):
        shot = simulate_scan(
            moved,
            num_views=spec.num_views,
            width=spec.width,
            height=spec.height,
            fov_deg=spec.fov_deg,
            distance=spec.distance * float(np.linalg.norm(moved.vertices, axis=1).max()),
            noise_std=spec.noise_std,
            dropout=spec.dropout,
            seed=rng,
            elevation_deg=spec.elevation_deg,
        )
        if len(shot.points):
            break
    else:
        raise DataError(None, f"no visible points in {max_attempts} simulated scans")
    out: dict[str, Any] = {
        "partial": resample_points(shot.points, spec.n_partial, rng),
        "complete": np.asarray(complete, dtype=np.float32),
        "view": view,
        "normalization": norm,
        "cameras": shot.cameras,
        "num_visible": len(shot.points),
    }
    if return_depth:
        out["depth"] = shot.depth
    return out
