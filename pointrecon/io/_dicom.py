"""DICOM series (a folder of single-frame slices, or one slice file) through pydicom.

The slices of one series are sorted by ImagePositionPatient projected on the slice normal
(the cross product of the ImageOrientationPatient row and column directions); the slice spacing
comes from those positions, the in-plane spacing from PixelSpacing, and RescaleSlope / Intercept
are applied. LPS patient coordinates are converted to RAS (the NIfTI convention).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from .volume import VolumeData

_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
SPACING_RTOL = 0.01  # relative tolerance on slice gaps


def _read_header(path: Path):
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        return pydicom.dcmread(str(path), stop_before_pixels=True)
    except InvalidDicomError:
        return None
    except Exception as exc:
        raise DataError(path, f"cannot read DICOM header: {exc or type(exc).__name__}") from None


def _pixels(path: Path) -> np.ndarray:
    import pydicom

    try:
        ds = pydicom.dcmread(str(path))
        arr = np.asarray(ds.pixel_array, dtype=np.float64)
    except Exception as exc:  # truncated pixel data, unsupported transfer syntax, ...
        raise DataError(
            path, f"cannot read DICOM pixel data: {exc or type(exc).__name__}"
        ) from None
    if arr.ndim != 2:
        raise DataError(path, f"expected a single-frame 2D slice, got pixel array {arr.shape}")
    arr = arr.T  # (rows, columns) -> (column i, row j)
    slope = float(getattr(ds, "RescaleSlope", 1.0) or 1.0)
    intercept = float(getattr(ds, "RescaleIntercept", 0.0) or 0.0)
    return arr * slope + intercept


def _geometry(path: Path, ds) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, float]]:
    """(row direction, column direction, position, (row spacing, column spacing)) of a slice."""
    try:
        iop = np.asarray([float(v) for v in ds.ImageOrientationPatient], dtype=np.float64)
        ipp = np.asarray([float(v) for v in ds.ImagePositionPatient], dtype=np.float64)
        ps = tuple(float(v) for v in ds.PixelSpacing)
    except (AttributeError, TypeError, ValueError) as exc:
        raise DataError(
            path,
            "slice lacks ImageOrientationPatient, ImagePositionPatient or PixelSpacing "
            f"({exc}); cannot place it in physical coordinates",
        ) from None
    if iop.shape != (6,) or ipp.shape != (3,) or len(ps) != 2 or min(ps) <= 0:
        raise DataError(path, f"malformed slice geometry: IOP {iop}, IPP {ipp}, PixelSpacing {ps}")
    return iop[:3], iop[3:], ipp, (ps[0], ps[1])


def _affine(row, col, origin, pixel_spacing, normal, slice_spacing) -> np.ndarray:
    """LPS->RAS affine of an array indexed (column i, row j, slice k), as nibabel orders DICOM
    data: axis 0 runs along the row direction, axis 1 down the column direction."""
    a = np.eye(4)
    a[:3, 0] = row * pixel_spacing[1]  # PixelSpacing is (between rows, between columns)
    a[:3, 1] = col * pixel_spacing[0]
    a[:3, 2] = normal * slice_spacing
    a[:3, 3] = origin
    return _LPS_TO_RAS @ a


def read_dicom_file(path: Path) -> VolumeData:
    """One single-frame DICOM file as a volume of one slice (thickness from SliceThickness)."""
    ds = _read_header(path)
    if ds is None:
        raise DataError(path, "not a DICOM file (no DICM preamble and no readable header)")
    row, col, ipp, ps = _geometry(path, ds)
    thickness = float(
        getattr(ds, "SpacingBetweenSlices", 0) or getattr(ds, "SliceThickness", 0) or 1.0
    )
    data = _pixels(path)[:, :, None]
    affine = _affine(row, col, ipp, ps, np.cross(row, col), thickness)
    meta = {"format": "dicom", "modality": str(getattr(ds, "Modality", "")), "slices": 1}
    return VolumeData(data.astype(np.float32), affine, str(path), meta)


def read_dicom_series(folder: Path, series_uid: str | None = None) -> VolumeData:
    """Read the DICOM series in ``folder`` (files of any name; non-DICOM files are ignored).

    Raises:
        DataError: an empty folder, several series and no ``series_uid`` chosen, slices of
            different orientation or size, a duplicated or missing slice, non-uniform spacing,
            unreadable or truncated files.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DataError(folder, "empty folder: no DICOM files found")
    headers = [(p, ds) for p in files if (ds := _read_header(p)) is not None]
    headers = [(p, ds) for p, ds in headers if "PixelData" in ds or hasattr(ds, "Rows")]
    if not headers:
        raise DataError(folder, f"no DICOM image files among the {len(files)} files of the folder")
    by_series: dict[str, list] = {}
    for p, ds in headers:
        by_series.setdefault(str(getattr(ds, "SeriesInstanceUID", "")), []).append((p, ds))
    if series_uid is None:
        if len(by_series) > 1:
            listing = ", ".join(
                f"{uid or '<none>'} ({len(v)} slices)" for uid, v in by_series.items()
            )
            raise DataError(
                folder, f"mixed series in one folder: {listing}; choose one with series_uid=..."
            )
        series_uid = next(iter(by_series))
    if series_uid not in by_series:
        raise DataError(folder, f"no series {series_uid!r}; found {sorted(by_series)}")
    slices = by_series[series_uid]
    geo = [_geometry(p, ds) for p, ds in slices]
    row, col, _, ps = geo[0]
    normal = np.cross(row, col)
    for (p, ds), (r, c, _, s) in zip(slices, geo):
        if not (np.allclose(r, row, atol=1e-4) and np.allclose(c, col, atol=1e-4)):
            raise DataError(p, "slice orientation differs from the rest of the series")
        if not np.allclose(s, ps, rtol=1e-4):
            raise DataError(p, f"PixelSpacing {s} differs from the series' {ps}")
        if (int(ds.Rows), int(ds.Columns)) != (int(slices[0][1].Rows), int(slices[0][1].Columns)):
            raise DataError(p, "slice size differs from the rest of the series")
    pos = np.asarray([g[2] @ normal for g in geo])
    order = np.argsort(pos, kind="stable")
    slices = [slices[i] for i in order]
    pos = pos[order]
    spacing = 1.0
    if len(slices) > 1:
        gaps = np.diff(pos)
        dup = np.flatnonzero(gaps < 1e-6)
        if dup.size:
            i = int(dup[0])
            raise DataError(
                slices[i + 1][0],
                f"duplicate slice position {pos[i]:.4g} mm (also in {slices[i][0].name})",
            )
        spacing = float(np.median(gaps))
        if not np.allclose(gaps, spacing, rtol=SPACING_RTOL):
            ratio = gaps / spacing
            whole = np.abs(ratio - np.round(ratio)) < SPACING_RTOL
            if np.all(whole) and np.all(np.round(ratio) >= 1):
                i = int(np.argmax(ratio))
                missing = int(round(ratio[i])) - 1
                raise DataError(
                    folder,
                    f"series {series_uid}: {missing} missing slice(s) between positions "
                    f"{pos[i]:.4g} and {pos[i + 1]:.4g} mm (after {slices[i][0].name}); "
                    f"the other slices are {spacing:.4g} mm apart",
                )
            raise DataError(
                folder,
                f"series {series_uid}: non-uniform slice spacing, gaps from {gaps.min():.4g} to "
                f"{gaps.max():.4g} mm",
            )
    data = np.stack([_pixels(p) for p, _ in slices], axis=-1)
    affine = _affine(row, col, geo[order[0]][2], ps, normal, spacing)
    ds0 = slices[0][1]
    meta = {
        "format": "dicom",
        "series_uid": series_uid,
        "modality": str(getattr(ds0, "Modality", "")),
        "slices": len(slices),
    }
    return VolumeData(data.astype(np.float32), affine, os.fspath(folder), meta)
