"""NIfTI-1/2 volumes (``.nii``, ``.nii.gz``) through nibabel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from .volume import VolumeData


def read_nifti(path: Path, time_index: int | None = None) -> VolumeData:
    """Read a NIfTI file; a 4D file needs ``time_index`` (the volume to take)."""
    import nibabel as nib

    try:
        img = nib.load(str(path))
        shape = tuple(int(s) for s in img.shape)
        if len(shape) == 4 and shape[3] == 1:
            shape = shape[:3]
        if len(shape) == 4:
            if time_index is None:
                raise DataError(
                    path,
                    f"4D volume of shape {shape}: choose a time point with time_index=0..{shape[3] - 1}",
                )
            if not 0 <= int(time_index) < shape[3]:
                raise DataError(path, f"time_index {time_index} out of range 0..{shape[3] - 1}")
            data = np.asarray(img.dataobj[..., int(time_index)], dtype=np.float32)
        elif len(shape) == 3:
            data = np.asarray(img.dataobj, dtype=np.float32).reshape(shape)
        elif len(shape) == 2:
            data = np.asarray(img.dataobj, dtype=np.float32)[:, :, None]
        else:
            raise DataError(path, f"expected a 3D (or 4D) volume, got shape {shape}")
        affine = np.asarray(img.affine, dtype=np.float64)
    except DataError:
        raise
    except Exception as exc:  # nibabel raises ImageFileError, EOFError, OSError, zlib errors ...
        reason = str(exc) or type(exc).__name__
        if "EOF" in reason or "Expected" in reason or isinstance(exc, EOFError):
            reason = f"truncated or corrupt NIfTI file ({reason})"
        raise DataError(path, f"cannot read NIfTI: {reason}") from None
    meta = {"format": "nifti", "qform_code": int(img.header.get("qform_code", 0))}
    return VolumeData(data, affine, str(path), meta)
