"""PCD (Point Cloud Library) reading and writing with numpy: ascii, binary, binary_compressed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._common import decode_text, min_bytes_check, parse_floats
from ._lzf import lzf_decompress

_TYPES = {("F", 4): "f4", ("F", 8): "f8", ("I", 1): "i1", ("I", 2): "i2", ("I", 4): "i4",
          ("I", 8): "i8", ("U", 1): "u1", ("U", 2): "u2", ("U", 4): "u4", ("U", 8): "u8"}  # fmt: skip


@dataclass
class PcdHeader:
    fields: list[str]
    dtype: np.dtype
    points: int
    data: str
    data_start: int


def parse_header(path: Path, data: bytes) -> PcdHeader:
    """Parse the header lines up to and including ``DATA``."""
    pos = 0
    entries: dict[str, list[str]] = {}
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0 or pos > (1 << 20):
            raise DataError(path, "malformed PCD: header has no 'DATA' line")
        line = decode_text(path, data[pos:nl]).strip()
        pos = nl + 1
        if not line or line.startswith("#"):
            continue
        key, *vals = line.split()
        entries[key.upper()] = vals
        if key.upper() == "DATA":
            break
    try:
        fields = entries["FIELDS"]
        sizes = [int(v) for v in entries.get("SIZE", ["4"] * len(fields))]
        types = entries.get("TYPE", ["F"] * len(fields))
        counts = [int(v) for v in entries.get("COUNT", ["1"] * len(fields))]
        width = int(entries["WIDTH"][0]) if "WIDTH" in entries else None
        height = int(entries.get("HEIGHT", ["1"])[0])
        npoints = int(entries["POINTS"][0]) if "POINTS" in entries else None
        mode = entries["DATA"][0].lower()
    except (KeyError, IndexError, ValueError) as exc:
        raise DataError(path, f"malformed PCD header: missing or bad entry ({exc})") from None
    if not (len(fields) == len(sizes) == len(types) == len(counts)) or not fields:
        raise DataError(path, "malformed PCD header: FIELDS/SIZE/TYPE/COUNT lengths differ")
    if npoints is None:
        if width is None:
            raise DataError(path, "malformed PCD header: neither POINTS nor WIDTH given")
        npoints = width * height
    if width is not None and width * height != npoints:
        raise DataError(
            path, f"malformed PCD header: WIDTH*HEIGHT = {width * height} but POINTS = {npoints}"
        )
    if mode not in ("ascii", "binary", "binary_compressed"):
        raise DataError(path, f"malformed PCD header: unknown DATA {mode!r}")
    spec = []
    for i, (f, s, t, c) in enumerate(zip(fields, sizes, types, counts)):
        if (t.upper(), s) not in _TYPES or c < 1:
            raise DataError(
                path, f"malformed PCD header: field {f!r} has TYPE {t} SIZE {s} COUNT {c}"
            )
        name = f if f not in (x[0] for x in spec) and f != "_" else f"_pad{i}"
        spec.append(
            (name, "<" + _TYPES[(t.upper(), s)], (c,))
            if c > 1
            else (name, "<" + _TYPES[(t.upper(), s)])
        )
    dtype = np.dtype(spec)
    for axis in "xyz":
        if axis not in dtype.names:
            raise DataError(path, f"malformed PCD: no {axis!r} field")
    return PcdHeader([s[0] for s in spec], dtype, npoints, mode, pos)


def read_pcd(path: Path, data: bytes) -> np.ndarray:
    """Return all points of the file as a structured array (exactly POINTS rows or DataError)."""
    hdr = parse_header(path, data)
    n, dt = hdr.points, hdr.dtype
    available = len(data) - hdr.data_start
    if n < 0:
        raise DataError(path, f"malformed PCD header: negative POINTS {n}")
    if hdr.data == "binary":
        need = n * dt.itemsize
        if need > available:
            raise DataError(
                path,
                f"header declares {n} points ({need} bytes) but only {available} bytes follow: "
                "truncated file",
            )
        return np.frombuffer(data, dtype=dt, count=n, offset=hdr.data_start)
    if hdr.data == "binary_compressed":
        if available < 8:
            raise DataError(path, "truncated binary_compressed PCD: no size fields")
        csize, usize = np.frombuffer(data, dtype="<u4", count=2, offset=hdr.data_start)
        need = n * dt.itemsize
        if int(usize) != need:
            raise DataError(
                path,
                f"header declares {n} points ({need} bytes) but the compressed block "
                f"holds {int(usize)} bytes",
            )
        if int(csize) > available - 8:
            raise DataError(
                path,
                f"compressed block of {int(csize)} bytes but only {available - 8} bytes follow: "
                "truncated file",
            )
        raw = lzf_decompress(path, data[hdr.data_start + 8 : hdr.data_start + 8 + int(csize)], need)
        out = np.empty(n, dtype=dt)
        off = 0
        for name in dt.names:  # fields are stored one after another (structure of arrays)
            sub = dt.fields[name][0]
            size = n * sub.itemsize
            out[name] = np.frombuffer(
                raw, dtype=sub.base, count=n * max(1, int(np.prod(sub.shape))), offset=off
            ).reshape(out[name].shape)
            off += size
        return out
    ncols = sum(int(np.prod(dt.fields[f][0].shape)) or 1 for f in dt.names)
    min_bytes_check(path, n, 2 * ncols, available + 1, "points")
    lines = [ln for ln in decode_text(path, data[hdr.data_start :]).splitlines() if ln.strip()]
    if len(lines) < n:
        raise DataError(
            path, f"header declares {n} points but the data holds only {len(lines)} rows: truncated"
        )
    rows = lines[:n]
    tokens = " ".join(rows).split()
    if len(tokens) != n * ncols:
        for i, r in enumerate(rows):
            if len(r.split()) != ncols:
                raise DataError(
                    path, f"malformed PCD: row {i} has {len(r.split())} values, expected {ncols}"
                )
    vals = parse_floats(path, tokens, "PCD data").reshape(n, ncols)
    out = np.zeros(n, dtype=dt)
    col = 0
    for name in dt.names:
        sub = dt.fields[name][0]
        k = int(np.prod(sub.shape)) or 1
        v = vals[:, col : col + k]
        if name in ("rgb", "rgba"):
            # ascii PCD stores the packed colour as the float (or integer) it is in memory
            if sub.base.kind == "f":
                out[name] = v.reshape(out[name].shape).astype(sub.base)
            else:
                out[name] = np.clip(v, 0, np.iinfo(sub.base).max).reshape(out[name].shape)
        elif sub.base.kind in "iu":
            info = np.iinfo(sub.base)
            out[name] = np.clip(np.nan_to_num(v), info.min, info.max).reshape(out[name].shape)
        else:
            with np.errstate(over="ignore", invalid="ignore"):
                out[name] = v.reshape(out[name].shape)
        col += k
    return out


def pcd_colors(arr: np.ndarray) -> np.ndarray | None:
    """Unpack the ``rgb``/``rgba`` field (0x00RRGGBB in a 4-byte float or uint) to [0, 1]."""
    for name in ("rgb", "rgba"):
        if (
            name in (arr.dtype.names or ())
            and arr.dtype[name].itemsize == 4
            and not arr.dtype[name].shape
        ):
            v = np.ascontiguousarray(arr[name]).view(np.uint32)
            c = np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], axis=1)
            return c.astype(np.float32) / 255.0
    return None


def pcd_bytes(
    points: np.ndarray,
    normals: np.ndarray | None,
    colors: np.ndarray | None,
    double: bool = False,
) -> bytes:
    """Encode a binary PCD v0.7 (coordinates as 8-byte floats when ``double``)."""
    ct = "<f8" if double else "<f4"
    fields = [("x", ct), ("y", ct), ("z", ct)]
    if normals is not None:
        fields += [("normal_x", "<f4"), ("normal_y", "<f4"), ("normal_z", "<f4")]
    if colors is not None:
        fields += [("rgb", "<u4")]
    arr = np.empty(points.shape[0], dtype=fields)
    for j, a in enumerate("xyz"):
        arr[a] = points[:, j]
    if normals is not None:
        for j, a in enumerate(("normal_x", "normal_y", "normal_z")):
            arr[a] = normals[:, j]
    if colors is not None:
        c8 = np.round(np.clip(colors, 0.0, 1.0) * 255.0).astype(np.uint32)
        arr["rgb"] = (c8[:, 0] << 16) | (c8[:, 1] << 8) | c8[:, 2]
    n = points.shape[0]
    names = [f[0] for f in fields]
    types = ["U" if f[0] == "rgb" else "F" for f in fields]
    header = (
        "# .PCD v0.7 - Point Cloud Data file format\nVERSION 0.7\n"
        f"FIELDS {' '.join(names)}\nSIZE {' '.join(str(np.dtype(f[1]).itemsize) for f in fields)}\n"
        f"TYPE {' '.join(types)}\nCOUNT {' '.join('1' for _ in names)}\n"
        f"WIDTH {n}\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA binary\n"
    )
    return header.encode("ascii") + arr.tobytes()
