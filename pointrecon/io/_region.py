"""Read-time filters: a spatial crop (box or sphere) and a voxel downsample, applied chunk by chunk.

Both work in the file's own float64 coordinates, so they can be applied while a large file is
streamed, keeping only what survives in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Crop:
    """A box ``[xmin, ymin, zmin, xmax, ymax, zmax]`` or a sphere ``[x, y, z, radius]``.

    A 2-D box ``[xmin, ymin, xmax, ymax]`` is not accepted (ambiguous with the sphere): give z
    bounds as ``-inf``/``inf`` or very large numbers instead.
    """

    def __init__(self, values: Sequence[float]) -> None:
        try:
            v = np.asarray([float(x) for x in values], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"crop: expected 6 numbers (box xmin ymin zmin xmax ymax zmax) or 4 numbers "
                f"(sphere x y z radius), got {values!r}"
            ) from None
        if v.size == 6:
            lo, hi = v[:3], v[3:]
            if np.isnan(v).any() or (lo > hi).any():
                raise ValueError(f"crop: box needs min <= max on every axis, got {v.tolist()}")
            self.kind, self.lo, self.hi = "box", lo, hi
        elif v.size == 4:
            if not np.isfinite(v).all() or v[3] <= 0:
                raise ValueError(
                    f"crop: sphere needs a finite centre and radius > 0, got {v.tolist()}"
                )
            self.kind, self.center, self.radius = "sphere", v[:3], float(v[3])
            self.lo, self.hi = v[:3] - v[3], v[:3] + v[3]
        else:
            raise ValueError(
                f"crop: expected 6 numbers (box xmin ymin zmin xmax ymax zmax) or 4 numbers "
                f"(sphere x y z radius), got {v.size}"
            )
        self.values = v

    def __repr__(self) -> str:
        return f"{self.kind} {self.values.tolist()}"

    def may_intersect(self, mins: np.ndarray, maxs: np.ndarray) -> bool:
        """Whether the crop's bounding box meets the box ``[mins, maxs]`` (e.g. a file header's)."""
        return bool((self.lo <= np.asarray(maxs)).all() and (self.hi >= np.asarray(mins)).all())

    def mask(self, xyz: np.ndarray) -> np.ndarray:
        """Boolean mask of the points inside (boundary included).

        Shapes:
            xyz (N, 3) -> (N,).
        """
        if self.kind == "box":
            return ((xyz >= self.lo) & (xyz <= self.hi)).all(axis=1)
        d = xyz - self.center
        return np.einsum("ij,ij->i", d, d) <= self.radius * self.radius


def as_crop(crop) -> Crop | None:
    if crop is None or isinstance(crop, Crop):
        return crop
    if isinstance(crop, (str, bytes)):
        raise ValueError(f"crop: expected a list of 6 or 4 numbers, got the string {crop!r}")
    return Crop(list(crop))


_HALF = 1 << 20  # voxel indices are stored in 21 bits per axis, centred on the origin


class VoxelFilter:
    """Keep the first point that falls in each voxel of edge ``size``, across chunks.

    Voxels are indexed from a fixed ``origin`` (the file's minimum corner), so a chunked read
    gives the same result as reading everything at once. Memory grows with the number of occupied
    voxels (8 bytes each), not with the number of points.
    """

    def __init__(self, size: float, origin: np.ndarray) -> None:
        size = float(size)
        if not size > 0 or not np.isfinite(size):
            raise ValueError(f"voxel: expected a voxel size > 0, got {size}")
        self.size = size
        self.origin = np.asarray(origin, dtype=np.float64)
        self._seen = np.empty(0, dtype=np.int64)

    def keep(self, xyz: np.ndarray) -> np.ndarray:
        """Indices (into ``xyz``) of points whose voxel has not been seen; marks those voxels.

        Shapes:
            xyz (N, 3) -> (K,) int64, ascending.
        """
        if len(xyz) == 0:
            return np.empty(0, dtype=np.int64)
        ijk = np.floor((xyz - self.origin) / self.size).astype(np.int64) + _HALF
        if (ijk < 0).any() or (ijk >= 2 * _HALF).any():
            raise ValueError(
                f"voxel: size {self.size} is too small for the extent of the data "
                f"(more than {2 * _HALF} voxels along an axis)"
            )
        code = ijk[:, 0] | (ijk[:, 1] << 21) | (ijk[:, 2] << 42)
        _, first = np.unique(code, return_index=True)
        keys = code[first]
        # keys (sorted, unique) against the sorted voxels seen so far: a binary search, then a
        # sorted merge (hash-based set ops are slow on these bit-packed codes)
        if len(self._seen):
            pos = np.searchsorted(self._seen, keys).clip(max=len(self._seen) - 1)
            new = self._seen[pos] != keys
            first, keys = first[new], keys[new]
        merged = np.concatenate([self._seen, keys])
        merged.sort(kind="stable")
        self._seen = merged
        return np.sort(first)
