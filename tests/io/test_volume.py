"""Volume readers and writers: geometry round trips, real files, and refused inputs."""

from __future__ import annotations

import gzip
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from pointrecon.errors import DataError
from pointrecon.io import VolumeData, read_volume, write_dicom_series, write_volume

pydicom = pytest.importorskip("pydicom")
nib = pytest.importorskip("nibabel")


def rotated_affine(spacing=(0.8, 1.1, 2.5), angles=(0.3, -0.5, 0.9), shift=(12.0, -40.0, 7.5)):
    """An affine with anisotropic spacing, a rotation and a translation (mm)."""
    from scipy.spatial.transform import Rotation

    a = np.eye(4)
    a[:3, :3] = Rotation.from_euler("xyz", angles).as_matrix() @ np.diag(spacing)
    a[:3, 3] = shift
    return a


def ramp_volume(shape=(12, 10, 7)) -> VolumeData:
    i, j, k = np.meshgrid(*(np.arange(s) for s in shape), indexing="ij")
    return VolumeData((100 * i - 7 * j + 31 * k - 250).astype(np.float32), rotated_affine())


def nibabel_file(name: str) -> Path:
    p = Path(nib.__file__).parent / "tests" / "data" / name
    if not p.is_file():
        pytest.skip(f"{name} is not shipped with this nibabel")
    return p


def pydicom_file(name: str) -> Path:
    from pydicom.data import get_testdata_file

    try:
        p = get_testdata_file(name)
    except Exception:  # pragma: no cover - depends on the installed wheel
        p = None
    if p is None or not Path(p).is_file():
        pytest.skip(f"{name} is not shipped with this pydicom")
    return Path(p)


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".nrrd"])
def test_roundtrip_keeps_values_and_affine(tmp_path, ext):
    vol = ramp_volume()
    write_volume(tmp_path / f"v{ext}", vol)
    back = read_volume(tmp_path / f"v{ext}")
    np.testing.assert_allclose(back.data, vol.data)
    np.testing.assert_allclose(back.affine, vol.affine, atol=1e-5)


def test_npy_needs_and_uses_spacing(tmp_path):
    vol = ramp_volume()
    write_volume(tmp_path / "v.npy", vol)
    with pytest.raises(DataError, match=r"v\.npy.*spacing"):
        read_volume(tmp_path / "v.npy")
    back = read_volume(tmp_path / "v.npy", spacing=[0.5, 0.5, 3.0])
    np.testing.assert_allclose(back.spacing, [0.5, 0.5, 3.0])
    np.testing.assert_array_equal(back.data, vol.data)


def test_dicom_series_roundtrip_matches_world_coordinates(tmp_path):
    vol = ramp_volume()
    files = write_dicom_series(tmp_path / "series", vol)
    assert len(files) == vol.shape[2]
    back = read_volume(tmp_path / "series")
    np.testing.assert_allclose(back.data, vol.data, atol=1e-2 * np.ptp(vol.data) / 1000)
    np.testing.assert_allclose(back.affine, vol.affine, atol=1e-4)
    assert back.meta["slices"] == vol.shape[2]


def test_dicom_series_order_does_not_depend_on_file_names(tmp_path):
    vol = ramp_volume()
    files = write_dicom_series(tmp_path / "s", vol)
    for n, f in enumerate(files):  # reverse the names: sorting must use positions
        f.rename(f.with_name(f"x{len(files) - n:03d}.dcm"))
    back = read_volume(tmp_path / "s")
    np.testing.assert_allclose(back.affine, vol.affine, atol=1e-4)
    np.testing.assert_allclose(back.data, vol.data, atol=0.1)


# ----- real files shipped in the nibabel and pydicom wheels ---------------------------------------


def test_real_nifti_anatomical():
    p = nibabel_file("anatomical.nii")
    vol = read_volume(p)
    img = nib.load(str(p))
    assert vol.shape == img.shape[:3]
    np.testing.assert_allclose(vol.affine, img.affine)
    np.testing.assert_allclose(vol.data, np.asarray(img.get_fdata(), dtype=np.float32))


def test_real_4d_nifti_needs_a_time_point():
    p = nibabel_file("example4d.nii.gz")
    with pytest.raises(DataError, match=r"example4d\.nii\.gz.*4D.*time_index"):
        read_volume(p)
    vol = read_volume(p, time_index=1)
    img = nib.load(str(p))
    np.testing.assert_allclose(vol.data, np.asarray(img.dataobj[..., 1], dtype=np.float32))


@pytest.mark.parametrize("name", ["CT_small.dcm", "MR_small.dcm"])
def test_real_dicom_slice_rescaled_and_placed(name):
    p = pydicom_file(name)
    ds = pydicom.dcmread(str(p))
    vol = read_volume(p)
    assert vol.shape == (ds.Columns, ds.Rows, 1)
    ref = ds.pixel_array * float(getattr(ds, "RescaleSlope", 1)) + float(
        getattr(ds, "RescaleIntercept", 0)
    )
    np.testing.assert_allclose(vol.data[:, :, 0], ref.T)
    # voxel (0, 0, 0) is ImagePositionPatient, in RAS (x and y negated from LPS)
    ipp = np.asarray([float(v) for v in ds.ImagePositionPatient])
    np.testing.assert_allclose(vol.affine[:3, 3], ipp * [-1, -1, 1])
    np.testing.assert_allclose(vol.spacing[:2], [float(v) for v in ds.PixelSpacing][::-1])


def _real_series(tmp_path: Path, positions, name="CT_small.dcm", uid=None) -> Path:
    """A series made of copies of a real slice moved along its normal to ``positions`` (mm)."""
    src = pydicom_file(name)
    folder = tmp_path / "real_series"
    folder.mkdir(exist_ok=True)
    for n, z in enumerate(positions):
        ds = pydicom.dcmread(str(src))
        iop = np.asarray([float(v) for v in ds.ImageOrientationPatient])
        normal = np.cross(iop[:3], iop[3:])
        ipp = np.asarray([float(v) for v in ds.ImagePositionPatient]) + z * normal
        ds.ImagePositionPatient = [float(v) for v in ipp]
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        if uid is not None:
            ds.SeriesInstanceUID = uid
        ds.save_as(str(folder / f"{uid or 'im'}_{n:03d}.dcm"))
    return folder


def test_real_slices_assemble_into_a_series(tmp_path):
    folder = _real_series(tmp_path, [4.0, 0.0, 2.0, 6.0])
    vol = read_volume(folder)
    assert vol.shape[2] == 4
    assert vol.spacing[2] == pytest.approx(2.0)


# ----- refused inputs ------------------------------------------------------------------------------


def test_missing_slice_is_named(tmp_path):
    folder = _real_series(tmp_path, [0.0, 2.0, 4.0, 8.0, 10.0])
    with pytest.raises(
        DataError, match=r"real_series.*1 missing slice.*after im_002\.dcm.*2 mm apart"
    ):
        read_volume(folder)


def test_non_uniform_spacing_is_refused(tmp_path):
    folder = _real_series(tmp_path, [0.0, 2.0, 4.0, 7.0])
    with pytest.raises(DataError, match=r"real_series.*non-uniform slice spacing"):
        read_volume(folder)


def test_mixed_series_are_refused_unless_one_is_chosen(tmp_path):
    _real_series(tmp_path, [0.0, 1.0, 2.0], uid="1.2.3.1")
    folder = _real_series(tmp_path, [0.0, 3.0], uid="1.2.3.2")
    with pytest.raises(DataError, match=r"real_series.*mixed series.*1\.2\.3\.1.*1\.2\.3\.2"):
        read_volume(folder)
    assert read_volume(folder, series_uid="1.2.3.1").shape[2] == 3


def test_duplicate_slice_is_refused(tmp_path):
    folder = _real_series(tmp_path, [0.0, 2.0, 2.0])
    with pytest.raises(DataError, match="duplicate slice position"):
        read_volume(folder)


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty.*empty folder"):
        read_volume(tmp_path / "empty")


def test_folder_without_dicom(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="no DICOM image files"):
        read_volume(tmp_path / "d")


def test_truncated_dicom_slice_is_named(tmp_path):
    folder = _real_series(tmp_path, [0.0, 1.0, 2.0])
    victim = sorted(folder.iterdir())[1]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) - 5000])
    with pytest.raises(DataError, match=victim.name):
        read_volume(folder)


@pytest.mark.parametrize("ext", [".nii", ".nii.gz"])
def test_truncated_nifti(tmp_path, ext):
    write_volume(tmp_path / f"v{ext}", ramp_volume((30, 30, 30)))
    data = (tmp_path / f"v{ext}").read_bytes()
    (tmp_path / f"v{ext}").write_bytes(data[: len(data) // 2])
    pattern = re.escape(f"v{ext}") + ".*(truncated|cannot read)"
    with pytest.raises(DataError, match=pattern):
        read_volume(tmp_path / f"v{ext}")


def test_nan_voxels_are_refused(tmp_path):
    data = np.zeros((5, 5, 5), np.float32)
    data[1, 2, 3] = np.nan
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(tmp_path / "nan.nii"))
    with pytest.raises(DataError, match=r"nan\.nii.*1 voxels are NaN.*\(1, 2, 3\)"):
        read_volume(tmp_path / "nan.nii")


def test_4d_without_time_point(tmp_path):
    nib.save(
        nib.Nifti1Image(np.zeros((4, 4, 4, 3), np.float32), np.eye(4)), str(tmp_path / "t.nii")
    )
    with pytest.raises(DataError, match=r"t\.nii.*4D.*time_index=0\.\.2"):
        read_volume(tmp_path / "t.nii")
    assert read_volume(tmp_path / "t.nii", time_index=2).shape == (4, 4, 4)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_volume(tmp_path / "nope.nii")
    (tmp_path / "a.xyz").write_text("1 2 3")
    with pytest.raises(DataError, match=r"a\.xyz.*unknown volume format"):
        read_volume(tmp_path / "a.xyz")
    (tmp_path / "e.nii.gz").write_bytes(b"")
    with pytest.raises(DataError, match=r"e\.nii\.gz.*empty file"):
        read_volume(tmp_path / "e.nii.gz")
    (tmp_path / "g.nii.gz").write_bytes(gzip.compress(b"not a nifti header"))
    with pytest.raises(DataError, match=r"g\.nii\.gz"):
        read_volume(tmp_path / "g.nii.gz")


def test_writer_is_atomic_on_failure(tmp_path, monkeypatch):
    vol = ramp_volume()
    write_volume(tmp_path / "v.nii", vol)
    before = (tmp_path / "v.nii").read_bytes()
    import nibabel

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(nibabel, "save", boom)
    with pytest.raises(DataError, match="disk full"):
        write_volume(tmp_path / "v.nii", VolumeData(vol.data * 2, vol.affine))
    assert (tmp_path / "v.nii").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["v.nii"]
    shutil.rmtree(tmp_path)
