"""Write a volume as a DICOM series, one file a slice: ``write_dicom_series``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError
from pointrecon.utils.atomic import atomic_path

from .volume import VolumeData

_RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])


def write_dicom_series(
    folder: str | os.PathLike,
    volume: VolumeData,
    *,
    modality: str = "CT",
    series_uid: str | None = None,
) -> list[Path]:
    """Write ``volume`` as single-frame slices ``slice_0000.dcm`` ... into ``folder``.

    Voxels are stored as int16 with RescaleSlope / RescaleIntercept chosen to span the value
    range, so :func:`~pointrecon.io.read_volume` gives back the values to about 1/30000 of the
    range. The affine must have orthogonal axes (no shear), as DICOM slices require.

    Returns:
        the written files, in slice order.

    Shapes:
        volume.data (I, J, K): I columns, J rows, K slices (nibabel's order for DICOM).
    """
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    if not isinstance(volume, VolumeData):
        raise TypeError(f"volume: expected VolumeData, got {type(volume).__name__}")
    out = Path(folder)
    a = _RAS_TO_LPS @ volume.affine
    sp = np.linalg.norm(a[:3, :3], axis=0)
    dirs = a[:3, :3] / sp
    if not np.allclose(dirs.T @ dirs, np.eye(3), atol=1e-6):
        raise DataError(
            out, "the volume's affine has sheared axes; DICOM slices need orthogonal ones"
        )
    row_dir, col_dir = dirs[:, 0], dirs[:, 1]
    lo, hi = float(volume.data.min()), float(volume.data.max())
    slope = max((hi - lo) / 60000.0, 1e-6)
    intercept = lo + 30000.0 * slope
    series_uid = series_uid or generate_uid()
    study_uid, frame_uid = generate_uid(), generate_uid()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k in range(volume.shape[2]):
        ipp = a[:3, 3] + a[:3, 2] * k
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = pydicom.Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = (
            meta.MediaStorageSOPClassUID,
            meta.MediaStorageSOPInstanceUID,
        )
        ds.Modality = modality
        ds.PatientName, ds.PatientID = "Anonymous", "0"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.ImageOrientationPatient = [float(v) for v in (*row_dir, *col_dir)]
        ds.ImagePositionPatient = [float(v) for v in ipp]
        ds.PixelSpacing = [float(sp[1]), float(sp[0])]  # (between rows, between columns)
        ds.SliceThickness = float(sp[2])
        ds.Rows, ds.Columns = volume.shape[1], volume.shape[0]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = f"{slope:.10g}", f"{intercept:.10g}"
        stored = np.round((volume.data[:, :, k].T - intercept) / float(ds.RescaleSlope))
        ds.PixelData = np.clip(stored, -32768, 32767).astype("<i2").tobytes()
        path = out / f"slice_{k:04d}.dcm"
        try:
            with atomic_path(path) as tmp:
                ds.save_as(str(tmp), enforce_file_format=True)
        except OSError as exc:
            raise DataError(path, f"cannot write file: {exc.strerror or exc}") from None
        written.append(path)
    return written
