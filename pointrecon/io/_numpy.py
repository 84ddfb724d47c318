"""``.npy`` / ``.npz`` point clouds, with array headers checked against the data size first."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

_POINT_KEYS = ("points", "xyz", "pos", "pc", "pointcloud", "data", "arr_0")


def _array_from(path: Path, fh, available: int, what: str) -> np.ndarray:
    """Read one npy stream whose data part holds ``available`` bytes after the header."""
    try:
        start = fh.tell()
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported npy version {version}")
        header_len = fh.tell() - start
    except Exception as exc:  # numpy's header parser raises ValueError, TokenError, SyntaxError...
        raise DataError(path, f"malformed {what} header: {type(exc).__name__}: {exc}") from None
    if dtype.hasobject or dtype.kind not in "fiu" or dtype.fields is not None:
        raise DataError(path, f"{what} has dtype {dtype}, expected a numeric array")
    count = int(np.prod(shape, dtype=object))
    need = count * dtype.itemsize
    if need != available - header_len:
        raise DataError(
            path,
            f"{what} header declares shape {tuple(shape)} ({need} bytes) but the data holds "
            f"{available - header_len} bytes: truncated or corrupt file",
        )
    raw = fh.read(need)
    if len(raw) != need:
        raise DataError(path, f"{what}: truncated data ({len(raw)} of {need} bytes)")
    arr = np.frombuffer(raw, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


def _split_columns(path: Path, arr: np.ndarray, what: str) -> dict[str, np.ndarray | None]:
    if arr.ndim != 2 or arr.shape[1] < 3:
        raise DataError(path, f"{what} has shape {arr.shape}, expected (N, 3) or (N, C>=3)")
    a = arr.astype(np.float64)
    return {"points": a[:, :3], "normals": a[:, 3:6] if a.shape[1] in (6, 9) else None,
            "colors": np.clip(np.nan_to_num(a[:, 6:9]), 0, 1) if a.shape[1] == 9 else None}  # fmt: skip


def read_npy(path: Path, data: bytes) -> dict[str, np.ndarray | None]:
    arr = _array_from(path, io.BytesIO(data), len(data), "npy array")
    return _split_columns(path, arr, "npy array")


def read_npz(path: Path, data: bytes) -> dict[str, np.ndarray | None]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = {
            i.filename[:-4] if i.filename.endswith(".npy") else i.filename: i for i in zf.infolist()
        }
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise DataError(path, f"malformed npz (not a zip archive): {exc}") from None
    key = next((k for k in _POINT_KEYS if k in infos), None)
    if key is None:
        if len(infos) != 1:
            raise DataError(
                path,
                f"npz has arrays {sorted(infos)}; expected one named 'points' (or a single array)",
            )
        key = next(iter(infos))

    def load(k: str) -> np.ndarray:
        info = infos[k]
        try:
            with zf.open(info) as fh:
                return _array_from(path, fh, info.file_size, f"npz array {k!r}")
        except (
            zipfile.BadZipFile,
            ValueError,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(path, f"malformed npz member {k!r}: {exc}") from None

    out = _split_columns(path, load(key), f"npz array {key!r}")
    n = out["points"].shape[0]
    for name in ("normals", "colors"):
        if name in infos:
            a = load(name)
            if a.shape != (n, 3):
                raise DataError(path, f"npz array {name!r} has shape {a.shape}, expected ({n}, 3)")
            a = a.astype(np.float64)
            if name == "colors" and arr_is_int(a):
                a = a / 255.0
            out[name] = np.clip(np.nan_to_num(a), 0, 1) if name == "colors" else a
    return out


def arr_is_int(a: np.ndarray) -> bool:
    finite = a[np.isfinite(a)]
    return bool(finite.size and finite.max() > 1.0)


def npz_bytes(
    points: np.ndarray,
    normals: np.ndarray | None,
    colors: np.ndarray | None,
    double: bool = False,
) -> bytes:
    buf = io.BytesIO()
    arrays = {"points": points.astype(np.float64 if double else np.float32)}
    if normals is not None:
        arrays["normals"] = normals.astype(np.float32)
    if colors is not None:
        arrays["colors"] = np.clip(colors, 0, 1).astype(np.float32)
    np.savez(buf, **arrays)
    return buf.getvalue()


def npy_bytes(points: np.ndarray, double: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, points.astype(np.float64 if double else np.float32), allow_pickle=False)
    return buf.getvalue()
