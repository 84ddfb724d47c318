"""Strict numpy/Python parsers for OBJ, OFF and STL that refuse partial or malformed data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._common import decode_text, min_bytes_check, parse_floats

_CONTINUATION = re.compile(r"\\[ \t]*(?:\r\n|\r|\n|$)")


def _fan(poly: list[int]) -> list[tuple[int, int, int]]:
    return [(poly[0], poly[i], poly[i + 1]) for i in range(1, len(poly) - 1)]


def parse_obj(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V,3) float64 and triangles (F,3) int64; n-gons fan-triangulated,
    negative (relative) indices resolved, every index checked."""
    # a backslash ending a line continues it on the next (CRLF and trailing blanks allowed)
    text = _CONTINUATION.sub(" ", decode_text(path, data))
    vtok: list[str] = []
    tris: list[tuple[int, int, int]] = []
    nv = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        key = parts[0]
        if key == "v":
            if len(parts) < 4:
                raise DataError(
                    path, f"malformed OBJ line {lineno}: vertex with {len(parts) - 1} values"
                )
            vtok.extend(parts[1:4])
            nv += 1
        elif key == "f":
            if len(parts) < 4:
                raise DataError(
                    path, f"malformed OBJ line {lineno}: face with {len(parts) - 1} vertices"
                )
            poly = []
            for tok in parts[1:]:
                s = tok.split("/", 1)[0]
                try:
                    i = int(s)
                except ValueError:
                    raise DataError(
                        path, f"malformed OBJ line {lineno}: bad index {tok[:30]!r}"
                    ) from None
                j = nv + i if i < 0 else i - 1
                if i == 0 or j < 0 or i > 2**31:
                    raise DataError(path, f"malformed OBJ line {lineno}: index {i} out of range")
                poly.append(j)
            tris.extend(_fan(poly))
    if nv == 0:
        raise DataError(path, "empty mesh: the OBJ file has no vertices")
    if not tris:
        raise DataError(path, "empty mesh: the OBJ file has no faces")
    verts = parse_floats(path, vtok, "OBJ vertex").reshape(nv, 3)
    faces = np.asarray(tris, dtype=np.int64)
    if faces.max() >= nv:
        raise DataError(
            path, f"malformed OBJ: face index {int(faces.max()) + 1} > number of vertices {nv}"
        )
    return verts, faces


def parse_off(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and fan-triangulated faces of an ASCII OFF (also ``OFF<nv> <nf> <ne>``)."""
    text = decode_text(path, data)
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or "OFF" not in lines[0].split()[0].upper():
        raise DataError(path, "malformed OFF: the first line is not 'OFF'")
    first = lines[0]
    if first.upper().startswith("OFF") and len(first) > 3 and first[3] not in " \t":
        first = first[:3] + " " + first[3:]  # ModelNet's 'OFF490 518 0'
    head = first.split()[1:]
    rest = lines[1:]
    if len(head) < 3:
        if not rest:
            raise DataError(path, "malformed OFF: no vertex/face counts")
        head = head + rest[0].split()
        rest = rest[1:]
    try:
        nv, nf = int(head[0]), int(head[1])
    except (ValueError, IndexError):
        raise DataError(path, f"malformed OFF: bad counts {' '.join(head)[:60]!r}") from None
    if nv <= 0 or nf <= 0:
        raise DataError(path, f"empty mesh: OFF declares {nv} vertices and {nf} faces")
    min_bytes_check(path, nv + nf, 6, len(data), "vertices and faces")
    if len(rest) < nv + nf:
        raise DataError(
            path,
            f"header declares {nv} vertices and {nf} faces but the file holds only "
            f"{len(rest)} data lines: truncated file",
        )
    vtok: list[str] = []
    for i, ln in enumerate(rest[:nv]):
        t = ln.split()
        if len(t) < 3:
            raise DataError(path, f"malformed OFF: vertex {i} has {len(t)} values")
        vtok.extend(t[:3])
    verts = parse_floats(path, vtok, "OFF vertex").reshape(nv, 3)
    tris: list[tuple[int, int, int]] = []
    for i, ln in enumerate(rest[nv : nv + nf]):
        t = ln.split()
        try:
            k = int(t[0])
            poly = [int(v) for v in t[1 : 1 + k]]
        except ValueError:
            raise DataError(path, f"malformed OFF: face {i} {ln[:40]!r}") from None
        if k < 3 or len(poly) != k:
            raise DataError(path, f"malformed OFF: face {i} has {len(poly)} of {k} indices")
        if min(poly) < 0 or max(poly) >= nv:
            raise DataError(path, f"malformed OFF: face {i} index out of range 0..{nv - 1}")
        tris.extend(_fan(poly))
    return verts, np.asarray(tris, dtype=np.int64)


def parse_stl(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Binary or ASCII STL; a binary file whose header starts with 'solid' is told apart by size."""
    n = int(np.frombuffer(data, "<u4", 1, 80)[0]) if len(data) >= 84 else -1
    if n >= 0 and len(data) == 84 + 50 * n:
        return _stl_binary(path, data, n)
    if data.lstrip()[:5].lower() == b"solid":
        return _stl_ascii(path, data)
    if n < 0:
        raise DataError(path, f"malformed STL: {len(data)} bytes, shorter than a binary header")
    if len(data) < 84 + 50 * n:
        raise DataError(
            path,
            f"header declares {n} triangles ({84 + 50 * n} bytes) but the file has {len(data)} "
            "bytes: truncated binary STL",
        )
    return _stl_binary(path, data, n)  # trailing bytes after the declared triangles are ignored


def _stl_binary(path: Path, data: bytes, n: int) -> tuple[np.ndarray, np.ndarray]:
    if n == 0:
        raise DataError(path, "empty mesh: binary STL with 0 triangles")
    dt = np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    rec = np.frombuffer(data, dtype=dt, count=n, offset=84)
    verts = rec["v"].reshape(-1, 3).astype(np.float64)
    return verts, np.arange(3 * n, dtype=np.int64).reshape(n, 3)


def _stl_ascii(path: Path, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    tokens = np.array(decode_text(path, data).split())
    low = np.char.lower(tokens)
    nfacet = int(np.count_nonzero(low == "facet"))
    nend = int(np.count_nonzero(low == "endfacet"))
    pos = np.flatnonzero(low == "vertex")
    if nfacet == 0:
        raise DataError(path, "empty mesh: ASCII STL without facets (or not an STL file)")
    if nend != nfacet or pos.size != 3 * nfacet or not np.any(low == "endsolid"):
        raise DataError(
            path,
            f"malformed or truncated ASCII STL: {nfacet} facets, {nend} endfacets, "
            f"{pos.size} vertices, endsolid {'present' if np.any(low == 'endsolid') else 'missing'}",
        )
    if pos[-1] + 3 >= tokens.size:
        raise DataError(path, "truncated ASCII STL: last vertex incomplete")
    idx = (pos[:, None] + np.arange(1, 4)[None, :]).ravel()
    verts = parse_floats(path, tokens[idx].tolist(), "STL vertex").reshape(-1, 3)
    return verts, np.arange(pos.size, dtype=np.int64).reshape(-1, 3)
