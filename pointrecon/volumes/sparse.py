"""Sparse-slice volumes: voxelize a mesh, keep every k-th slice, take the slice contours, and the
linear-interpolation baseline (numpy, scipy, scikit-image, Open3D).

The *slice frame* used here puts the sliced axis last: a kept stack ``slices`` (I, J, T) has
slice ``t`` at ``z = z0 + t * gap`` and voxel ``(i, j)`` at ``(i * sx, j * sy)`` in millimetres
(or the mesh's units); ``spacing = (sx, sy, gap)``.
"""

from __future__ import annotations

import numpy as np
import trimesh


def voxelize_mesh(
    mesh: trimesh.Trimesh, spacing: np.ndarray, pad: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Solid occupancy of a closed mesh (or union of closed parts) on an anisotropic grid.

    Voxels touched by a triangle are set (Open3D's exact triangle-box test, on the mesh scaled to
    unit voxels), then enclosed cavities are filled (scipy ``binary_fill_holes``), which also fills
    overlapping parts. Voxel ``(i, j, k)`` has its centre at ``origin + (i, j, k) * spacing``.

    Returns:
        occupancy (I, J, K) bool, origin (3,) float64.
    """
    import open3d as o3d
    from scipy import ndimage

    spacing = np.asarray(spacing, dtype=np.float64).reshape(3)
    if np.any(spacing <= 0):
        raise ValueError(f"spacing: expected three positive numbers, got {spacing}")
    lo, hi = mesh.bounds
    origin = lo - pad * spacing
    shape = np.ceil((hi - lo) / spacing).astype(int) + 2 * pad + 1
    verts = (np.asarray(mesh.vertices) - origin) / spacing + 0.5  # voxel (i,j,k) spans [i, i+1)
    om = o3d.geometry.TriangleMesh(
        o3d.utility.Vector3dVector(verts),
        o3d.utility.Vector3iVector(np.asarray(mesh.faces, dtype=np.int32)),
    )
    grid = o3d.geometry.VoxelGrid.create_from_triangle_mesh_within_bounds(
        om, 1.0, np.zeros(3), shape.astype(np.float64)
    )
    idx = np.asarray([v.grid_index for v in grid.get_voxels()], dtype=np.int64).reshape(-1, 3)
    occ = np.zeros(shape, dtype=bool)
    idx = idx[np.all((idx >= 0) & (idx < shape), axis=1)]
    occ[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    return ndimage.binary_fill_holes(occ), origin


def keep_every_kth(n: int, k: int, offset: int = 0) -> np.ndarray:
    """Indices ``offset, offset + k, ...`` below ``n`` (the kept slices of a sparse acquisition)."""
    if k < 1 or not 0 <= offset < max(k, 1):
        raise ValueError(f"expected k >= 1 and 0 <= offset < k, got k={k}, offset={offset}")
    return np.arange(offset, n, k)


def contour_points(
    slices: np.ndarray, spacing: np.ndarray, z0: float = 0.0, level: float = 0.5
) -> np.ndarray:
    """The iso-contours (marching squares) of each slice of a stack, as 3D points.

    Shapes:
        slices (I, J, T) -> (P, 3) float64 in the slice frame; P = 0 when no slice has a contour.
    """
    from skimage.measure import find_contours

    sx, sy, gap = (float(s) for s in spacing)
    out = []
    low = min(float(np.min(slices)), level) - 1.0  # pad below the level: contours close
    for t in range(slices.shape[2]):
        img = slices[:, :, t].astype(np.float32)
        if not img.max() > level:
            continue
        img = np.pad(img, 1, constant_values=low)
        for c in find_contours(img, level):
            c = c[:-1] if len(c) > 1 and np.all(c[0] == c[-1]) else c  # closed: drop the repeat
            pts = np.empty((len(c), 3))
            pts[:, 0] = (c[:, 0] - 1.0) * sx
            pts[:, 1] = (c[:, 1] - 1.0) * sy
            pts[:, 2] = z0 + t * gap
            out.append(pts)
    return np.concatenate(out) if out else np.zeros((0, 3))


def upsample_slices(slices: np.ndarray, k: int) -> np.ndarray:
    """Linear interpolation between consecutive slices, ``k - 1`` new slices in each gap.

    Shapes:
        slices (I, J, T) -> (I, J, (T - 1) * k + 1) float32
    """
    s = np.asarray(slices, dtype=np.float32)
    t = s.shape[2]
    if t < 2 or k == 1:
        return s.copy()
    pos = np.arange((t - 1) * k + 1) / k
    lo = np.minimum(np.floor(pos).astype(int), t - 2)
    w = (pos - lo).astype(np.float32)
    return s[:, :, lo] * (1.0 - w) + s[:, :, lo + 1] * w


def upsampled_surface(
    slices: np.ndarray, spacing: np.ndarray, k: int, z0: float = 0.0, level: float = 0.5
) -> trimesh.Trimesh:
    """Marching cubes on the stack upsampled by linear interpolation between slices (the
    classical baseline for sparse slices), in the slice frame.

    Shapes:
        slices (I, J, T) -> mesh in the slice frame
    """
    from pointrecon.io.volume import VolumeData
    from pointrecon.volumes.surface import extract_surface

    sx, sy, gap = (float(s) for s in spacing)
    up = upsample_slices(slices, k)
    affine = np.diag([sx, sy, gap / k, 1.0])
    affine[2, 3] = z0
    return extract_surface(VolumeData(up, affine), level)
