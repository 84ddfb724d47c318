"""Write a volume (atomically) as NIfTI, NRRD or ``.npy``: ``write_volume``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError
from pointrecon.utils.atomic import atomic_path

from .volume import VolumeData
from .volume_reader import volume_extension


def write_volume(path: str | os.PathLike, volume: VolumeData) -> None:
    """Write ``volume`` in the format of the extension: ``.nii`` / ``.nii.gz`` (with its affine as
    qform and sform), ``.nrrd`` (RAS space directions and origin) or ``.npy`` (voxels only).

    Shapes:
        volume.data (I, J, K), volume.affine (4, 4)
    """
    if not isinstance(volume, VolumeData):
        raise TypeError(f"volume: expected VolumeData, got {type(volume).__name__}")
    p = Path(path)
    ext = volume_extension(p)
    if ext not in (".nii", ".nii.gz", ".nrrd", ".npy"):
        raise DataError(p, "unknown volume extension; expected .nii, .nii.gz, .nrrd or .npy")
    try:
        with atomic_path(p, suffix=ext) as tmp:
            if ext == ".npy":
                with open(tmp, "wb") as fh:
                    np.save(fh, volume.data)
            elif ext == ".nrrd":
                import nrrd

                header = {
                    "space": "right-anterior-superior",
                    "space directions": volume.affine[:3, :3].T,
                    "space origin": volume.affine[:3, 3],
                }
                nrrd.write(str(tmp), volume.data, header)
            else:
                import nibabel as nib

                img = nib.Nifti1Image(volume.data, volume.affine)
                img.set_qform(volume.affine, code=1)
                img.set_sform(volume.affine, code=1)
                nib.save(img, str(tmp))
    except OSError as exc:
        raise DataError(p, f"cannot write file: {exc.strerror or exc}") from None
