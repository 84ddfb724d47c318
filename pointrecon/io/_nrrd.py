"""NRRD volumes (``.nrrd``, ``.nhdr``) through pynrrd."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from .volume import VolumeData

# NRRD spaces whose axes are flipped with respect to RAS
_FLIP = {
    "left-posterior-superior": (-1, -1, 1),
    "lps": (-1, -1, 1),
    "right-anterior-superior": (1, 1, 1),
    "ras": (1, 1, 1),
    "left-anterior-superior": (-1, 1, 1),
    "las": (-1, 1, 1),
}


def read_nrrd(path: Path) -> VolumeData:
    """Read a 3D NRRD volume; the affine comes from ``space directions`` and ``space origin``."""
    import nrrd

    try:
        data, header = nrrd.read(str(path))
    except Exception as exc:  # pynrrd raises NRRDError, ValueError, OSError, ...
        raise DataError(path, f"cannot read NRRD: {exc or type(exc).__name__}") from None
    data = np.asarray(data)
    if data.ndim != 3:
        raise DataError(path, f"expected a 3D volume, got shape {data.shape}")
    directions = header.get("space directions")
    affine = np.eye(4)
    if directions is not None:
        dirs = np.asarray(
            [d for d in directions if d is not None and not np.all(np.isnan(d))], dtype=float
        )
        if dirs.shape != (3, 3):
            raise DataError(path, f"space directions must be three 3-vectors, got {directions!r}")
        affine[:3, :3] = dirs.T
    elif header.get("spacings") is not None:
        affine[:3, :3] = np.diag(np.asarray(header["spacings"], dtype=float))
    if header.get("space origin") is not None:
        affine[:3, 3] = np.asarray(header["space origin"], dtype=float)
    space = str(header.get("space", "right-anterior-superior")).lower()
    if space not in _FLIP:
        raise DataError(path, f"unsupported NRRD space {space!r}; expected one of {sorted(_FLIP)}")
    affine = np.diag([*_FLIP[space], 1.0]) @ affine
    return VolumeData(data.astype(np.float32), affine, str(path), {"format": "nrrd"})
