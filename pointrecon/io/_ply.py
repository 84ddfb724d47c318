"""PLY header parsing, vertex reading and point writing with numpy (no plyfile)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._common import decode_text, min_bytes_check, parse_floats

PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip

NORMAL_NAMES = (("nx", "ny", "nz"), ("normal_x", "normal_y", "normal_z"))
COLOR_NAMES = (("red", "green", "blue"), ("r", "g", "b"), ("diffuse_red", "diffuse_green", "diffuse_blue"))  # fmt: skip


@dataclass
class PlyElement:
    name: str
    count: int
    props: list[tuple[str, str, str | None]] = field(default_factory=list)  # name, type, list-index

    @property
    def has_list(self) -> bool:
        return any(p[2] is not None for p in self.props)

    def dtype(self, endian: str) -> np.dtype:
        return np.dtype([(n, endian + t) for n, t, _ in self.props])

    def min_row_bytes(self) -> int:
        """Fewest bytes a binary row can take (a list counts its length field only)."""
        return sum(np.dtype(p[2] if p[2] else p[1]).itemsize for p in self.props)


@dataclass
class PlyHeader:
    fmt: str
    elements: list[PlyElement]
    data_start: int

    def element(self, name: str) -> PlyElement | None:
        return next((e for e in self.elements if e.name == name), None)


def parse_header(path: Path, data: bytes) -> PlyHeader:
    """Parse the header and check every element count against the file size."""
    if not data.startswith(b"ply"):
        raise DataError(path, "malformed PLY: file does not start with 'ply'")
    end = data.find(b"end_header", 0, 1 << 20)
    if end < 0:
        raise DataError(path, "malformed PLY: no 'end_header' line")
    nl = data.find(b"\n", end)
    start = len(data) if nl < 0 else nl + 1
    text = decode_text(path, data[:end])
    fmt = None
    elements: list[PlyElement] = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if not parts or parts[0] in ("comment", "obj_info"):
            continue
        try:
            if parts[0] == "format":
                fmt = parts[1]
                if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
                    raise DataError(path, f"malformed PLY: unknown format {fmt!r}")
            elif parts[0] == "element":
                elements.append(PlyElement(parts[1], int(parts[2])))
            elif parts[0] == "property":
                if not elements:
                    raise DataError(path, "malformed PLY: property before any element")
                if parts[1] == "list":
                    ct, it, name = parts[2], parts[3], parts[4]
                    if ct not in PLY_TYPES or it not in PLY_TYPES:
                        raise DataError(path, f"malformed PLY: unknown list type in {line!r}")
                    elements[-1].props.append((name, PLY_TYPES[it], PLY_TYPES[ct]))
                else:
                    if parts[1] not in PLY_TYPES:
                        raise DataError(path, f"malformed PLY: unknown property type {parts[1]!r}")
                    elements[-1].props.append((parts[2], PLY_TYPES[parts[1]], None))
            else:
                raise DataError(path, f"malformed PLY header line {line[:60]!r}")
        except (IndexError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(path, f"malformed PLY header line {line[:60]!r}") from None
    if fmt is None:
        raise DataError(path, "malformed PLY: no 'format' line")
    available = len(data) - start
    for el in elements:
        if el.count < 0:
            raise DataError(path, f"malformed PLY: negative count for element {el.name!r}")
        if not el.props:
            raise DataError(path, f"malformed PLY: element {el.name!r} has no properties")
    if fmt == "ascii":
        total_rows = sum(e.count for e in elements)
        min_bytes_check(path, total_rows, 2, available + 1, "rows")
    else:
        need = 0
        for el in elements:
            need += el.count * el.min_row_bytes()
            if need > available:
                raise DataError(
                    path,
                    f"header declares {el.count} {el.name} rows but the file holds only "
                    f"{available} bytes of data: truncated or corrupt file",
                )
    return PlyHeader(fmt, elements, start)


def read_ply_vertices(path: Path, data: bytes) -> np.ndarray:
    """Return the vertex element as a structured array (all rows, validated)."""
    hdr = parse_header(path, data)
    vert = hdr.element("vertex")
    if vert is None:
        raise DataError(path, "malformed PLY: no 'vertex' element")
    if vert.has_list:
        raise DataError(path, "unsupported PLY: list property in the vertex element")
    names = [p[0] for p in vert.props]
    for axis in "xyz":
        if axis not in names:
            raise DataError(path, f"malformed PLY: vertex element has no {axis!r} property")
    if hdr.fmt == "ascii":
        return _read_ascii_vertices(path, data, hdr, vert)
    endian = "<" if hdr.fmt == "binary_little_endian" else ">"
    offset = hdr.data_start
    for el in hdr.elements:
        if el is vert:
            break
        if el.has_list:
            raise DataError(path, f"unsupported PLY: list element {el.name!r} before the vertices")
        offset += el.count * el.dtype(endian).itemsize
    dt = vert.dtype(endian)
    need = vert.count * dt.itemsize
    if offset + need > len(data):
        raise DataError(
            path,
            f"header declares {vert.count} vertices ({need} bytes) but only "
            f"{max(len(data) - offset, 0)} bytes follow: truncated file",
        )
    return np.frombuffer(data, dtype=dt, count=vert.count, offset=offset)


def _read_ascii_vertices(path: Path, data: bytes, hdr: PlyHeader, vert: PlyElement) -> np.ndarray:
    lines = [ln for ln in decode_text(path, data[hdr.data_start :]).splitlines() if ln.strip()]
    start = 0
    for el in hdr.elements:
        if el is vert:
            break
        start += el.count
    rows = lines[start : start + vert.count]
    if len(rows) < vert.count:
        raise DataError(
            path,
            f"header declares {vert.count} vertices but the data holds only {len(rows)} rows: "
            "truncated file",
        )
    remaining = len(lines) - start - vert.count
    after = sum(e.count for e in hdr.elements[hdr.elements.index(vert) + 1 :])
    if remaining < after:
        raise DataError(
            path, f"header declares {after} rows after the vertices but only {remaining} follow"
        )
    nprop = len(vert.props)
    tokens = " ".join(rows).split()
    if len(tokens) != nprop * vert.count:
        for i, r in enumerate(rows):
            if len(r.split()) != nprop:
                raise DataError(
                    path,
                    f"malformed PLY: vertex row {i} has {len(r.split())} values, expected {nprop}",
                )
    values = parse_floats(path, tokens, "PLY vertex data").reshape(vert.count, nprop)
    out = np.empty(vert.count, dtype=vert.dtype("<"))
    for j, (name, _, _) in enumerate(vert.props):
        out[name] = values[:, j]
    return out


def pick(arr: np.ndarray, options: tuple[tuple[str, str, str], ...]) -> np.ndarray | None:
    """Stack the first triple of field names present in ``arr`` as float64 (N, 3)."""
    names = arr.dtype.names or ()
    for triple in options:
        if all(n in names for n in triple):
            return np.stack([arr[n].astype(np.float64) for n in triple], axis=1)
    return None


def colors_from_fields(arr: np.ndarray) -> np.ndarray | None:
    """RGB colours in [0, 1] from integer (0..max) or float fields."""
    names = arr.dtype.names or ()
    for triple in COLOR_NAMES:
        if all(n in names for n in triple):
            kind = arr.dtype[triple[0]]
            c = np.stack([arr[n].astype(np.float64) for n in triple], axis=1)
            if kind.kind in "iu":
                c = c / float(np.iinfo(kind).max)
            return np.clip(np.nan_to_num(c), 0.0, 1.0)
    return None


def ply_bytes(
    points: np.ndarray,
    normals: np.ndarray | None,
    colors: np.ndarray | None,
    double: bool = False,
) -> bytes:
    """Encode a binary little-endian PLY point cloud (coordinates as ``double`` when asked)."""
    ct, cn = ("<f8", "double") if double else ("<f4", "float")
    fields = [("x", ct), ("y", ct), ("z", ct)]
    props = [f"property {cn} x", f"property {cn} y", f"property {cn} z"]
    if normals is not None:
        fields += [("nx", "<f4"), ("ny", "<f4"), ("nz", "<f4")]
        props += ["property float nx", "property float ny", "property float nz"]
    if colors is not None:
        fields += [("red", "u1"), ("green", "u1"), ("blue", "u1")]
        props += ["property uchar red", "property uchar green", "property uchar blue"]
    arr = np.empty(points.shape[0], dtype=fields)
    for j, a in enumerate("xyz"):
        arr[a] = points[:, j]
    if normals is not None:
        for j, a in enumerate(("nx", "ny", "nz")):
            arr[a] = normals[:, j]
    if colors is not None:
        c8 = np.round(np.clip(colors, 0.0, 1.0) * 255.0).astype(np.uint8)
        for j, a in enumerate(("red", "green", "blue")):
            arr[a] = c8[:, j]
    header = "\n".join(
        ["ply", "format binary_little_endian 1.0", f"element vertex {points.shape[0]}", *props,
         "end_header", ""]
    )  # fmt: skip
    return header.encode("ascii") + arr.tobytes()
