"""Read a volume (NIfTI, DICOM series or file, NRRD, ``.npy`` with a spacing): ``read_volume``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from .volume import VolumeData

VOLUME_EXTENSIONS: tuple[str, ...] = (".nii", ".nii.gz", ".dcm", ".nrrd", ".nhdr", ".npy")


def volume_extension(path: str | os.PathLike) -> str:
    """The lower-case volume extension of ``path`` (``.nii.gz`` counts as one), or ``""``."""
    name = Path(path).name.lower()
    for ext in sorted(VOLUME_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    return ""


def read_volume(
    path: str | os.PathLike,
    *,
    spacing: Sequence[float] | None = None,
    time_index: int | None = None,
    series_uid: str | None = None,
) -> VolumeData:
    """Read a 3D volume and its voxel-to-world affine (millimetres, RAS+).

    Args:
        path: a ``.nii`` / ``.nii.gz`` file, a folder holding one DICOM series (or a single
            ``.dcm`` slice), a ``.nrrd`` / ``.nhdr`` file, or a ``.npy`` 3D array.
        spacing: voxel size (3 floats, mm); required for ``.npy`` (which has no geometry),
            refused for the other formats, which carry their own.
        time_index: the time point of a 4D NIfTI volume (required there).
        series_uid: the SeriesInstanceUID to read from a folder holding several series.

    Raises:
        DataError: naming the file or folder and the reason (missing, unknown format, truncated,
            4D without a time point, NaN voxels, a broken DICOM series, ...).

    Shapes:
        returns data (I, J, K) float32, affine (4, 4) float64.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.exists():
        raise DataError(p, "file or folder not found")
    if p.is_dir():
        _no_spacing(p, spacing)
        from ._dicom import read_dicom_series

        return read_dicom_series(p, series_uid)
    ext = volume_extension(p)
    if not ext:
        raise DataError(
            p,
            f"unknown volume format; expected a DICOM folder or one of {', '.join(VOLUME_EXTENSIONS)}",
        )
    if p.stat().st_size == 0:
        raise DataError(p, "empty file")
    if ext == ".npy":
        return _read_npy(p, spacing)
    _no_spacing(p, spacing)
    if ext in (".nii", ".nii.gz"):
        from ._nifti import read_nifti

        return read_nifti(p, time_index)
    if ext == ".dcm":
        from ._dicom import read_dicom_file

        return read_dicom_file(p)
    from ._nrrd import read_nrrd

    return read_nrrd(p)


def _no_spacing(p: Path, spacing) -> None:
    if spacing is not None:
        raise DataError(p, "spacing is only for .npy volumes; this format carries its own geometry")


def _read_npy(p: Path, spacing) -> VolumeData:
    if spacing is None:
        raise DataError(
            p, "a .npy volume has no geometry: give its voxel size with spacing=[sx,sy,sz]"
        )
    sp = np.asarray(spacing, dtype=np.float64).reshape(-1)
    if sp.shape != (3,) or not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise DataError(p, f"spacing must be three positive numbers, got {spacing!r}")
    try:
        data = np.load(p, allow_pickle=False)
    except Exception as exc:
        raise DataError(p, f"cannot read .npy (truncated or corrupt?): {exc}") from None
    if data.ndim != 3:
        raise DataError(p, f"expected a 3D array, got shape {data.shape}")
    if data.dtype.kind not in "biuf":
        raise DataError(p, f"expected a numeric array, got dtype {data.dtype}")
    return VolumeData(data.astype(np.float32), np.diag([*sp, 1.0]), str(p), {"format": "npy"})
