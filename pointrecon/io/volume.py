"""A scalar volume with its voxel-to-world affine: :class:`VolumeData`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pointrecon.errors import DataError


@dataclass(frozen=True)
class VolumeData:
    """A 3D scalar volume in physical coordinates.

    World coordinates are millimetres in the RAS+ convention of NIfTI (x to the patient's right
    ... left, y posterior ... anterior, z inferior ... superior); DICOM's LPS coordinates are
    converted on reading. ``world = affine @ [i, j, k, 1]`` for the voxel at index ``(i, j, k)``
    (voxel centres).

    Attributes:
        data: the voxel values, float32 (rescaled DICOM values, e.g. Hounsfield units for CT).
        affine: (4, 4) float64 voxel-to-world matrix, millimetres.
        source: the file or folder read, or None for in-memory volumes.
        meta: a few format-specific fields (series UID, modality, ...), for display only.

    Shapes:
        data (I, J, K), affine (4, 4)
    """

    data: np.ndarray
    affine: np.ndarray
    source: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = np.asarray(self.data)
        affine = np.asarray(self.affine, dtype=np.float64)
        if data.ndim != 3:
            raise DataError(self.source, f"expected a 3D volume, got shape {data.shape}")
        if min(data.shape) < 1:
            raise DataError(self.source, f"volume is empty, shape {data.shape}")
        if affine.shape != (4, 4) or not np.all(np.isfinite(affine)):
            raise DataError(self.source, f"affine must be a finite 4x4 matrix, got {affine!r:.80}")
        if abs(np.linalg.det(affine[:3, :3])) < 1e-12:
            raise DataError(self.source, "affine is singular (zero voxel size or repeated axis)")
        bad = ~np.isfinite(data)
        if bad.any():
            raise DataError(
                self.source,
                f"{int(bad.sum())} voxels are NaN or infinite (first at index "
                f"{tuple(int(i) for i in np.argwhere(bad)[0])})",
            )
        object.__setattr__(self, "data", np.ascontiguousarray(data, dtype=np.float32))
        object.__setattr__(self, "affine", affine)

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.data.shape)  # type: ignore[return-value]

    @property
    def spacing(self) -> np.ndarray:
        """Voxel size along each array axis in millimetres (column norms of the affine)."""
        return np.linalg.norm(self.affine[:3, :3], axis=0)

    def to_world(self, ijk: np.ndarray) -> np.ndarray:
        """Map voxel coordinates (fractional allowed) to world millimetres.

        Shapes:
            ijk (N, 3) -> (N, 3) float64
        """
        ijk = np.asarray(ijk, dtype=np.float64)
        if ijk.ndim != 2 or ijk.shape[1] != 3:
            raise ValueError(f"ijk: expected an (N, 3) array, got shape {ijk.shape}")
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]
