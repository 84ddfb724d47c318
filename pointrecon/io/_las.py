"""LAS/LAZ through laspy (LAZ via lazrs): chunked reading with crop, voxel and progress; writing.

Coordinates stay float64 (the scaled integers of the file) until the caller subtracts an offset.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._region import Crop, VoxelFilter

#: per-point LAS dimensions returned as ``attributes`` when the point format has them
LAS_ATTRIBUTES = (
    "intensity",
    "classification",
    "return_number",
    "number_of_returns",
    "gps_time",
    "nir",
)
#: above this many points a progress bar is shown (when ``progress`` is left to ``None``)
PROGRESS_MIN_POINTS = 5_000_000
_INT32 = 2**31 - 1


def _laspy():
    try:
        import laspy
    except ImportError:  # pragma: no cover - a core dependency
        raise ImportError("reading LAS/LAZ needs laspy: pip install 'laspy[lazrs]'") from None
    return laspy


def _crs_of(vlrs) -> tuple[str | None, list]:
    """(CRS as WKT or ``EPSG:<code>``, the CRS records to copy into a written file)."""
    from laspy.vlrs.known import (
        GeoAsciiParamsVlr,
        GeoDoubleParamsVlr,
        GeoKeyDirectoryVlr,
        WktCoordinateSystemVlr,
    )

    kinds = (WktCoordinateSystemVlr, GeoKeyDirectoryVlr, GeoDoubleParamsVlr, GeoAsciiParamsVlr)
    records = [v for v in vlrs if isinstance(v, kinds)]
    for v in records:
        if isinstance(v, WktCoordinateSystemVlr):
            wkt = v.string.strip("\x00 \n")
            if wkt:
                return wkt, records
    for v in records:
        if isinstance(v, GeoKeyDirectoryVlr):
            keys = {k.id: k.value_offset for k in v.geo_keys}
            for key in (3072, 2048):  # ProjectedCSTypeGeoKey, GeographicTypeGeoKey
                code = keys.get(key)
                if code and code != 32767:  # 32767: user-defined
                    return f"EPSG:{code}", records
            try:  # a user-defined projection: only pyproj can spell it out
                import pyproj  # noqa: F401
            except ImportError:
                return "GeoTIFF keys (user-defined projection; install pyproj to decode)", records
            try:
                return v.parse_crs().to_wkt(), records
            except Exception:  # pyproj cannot decode every key set
                return "GeoTIFF keys (user-defined projection)", records
    return None, records


def _check_size(path: Path, header) -> None:
    """An uncompressed file must hold every record the header declares."""
    if header.are_points_compressed:
        return
    need = header.offset_to_point_data + header.point_count * header.point_format.size
    have = os.path.getsize(path)
    if need > have:
        held = max(0, (have - header.offset_to_point_data) // header.point_format.size)
        raise DataError(
            path,
            f"header declares {header.point_count} points ({need} bytes) but the file has {have} "
            f"bytes (room for {held} points): truncated or corrupt LAS",
        )


def read_las(
    path: Path,
    *,
    crop: Crop | None = None,
    voxel: float | None = None,
    chunk_size: int = 1_000_000,
    progress: bool | None = None,
    dtype=np.float64,
) -> dict:
    """Read a LAS/LAZ file in chunks of ``chunk_size`` points, filtering each chunk as it comes.

    The offset is fixed before reading (whole metres at the centre of the header's bounds, within
    the crop), so each chunk is stored relative to it in ``dtype`` straight away: float32 output
    takes 12 bytes a point, and no full-size float64 copy is ever made.

    Returns a dict: ``points`` (N, 3) ``dtype`` relative to ``offset`` (3,) float64, ``colors``
    (N, 3) float32 in [0, 1] or None, ``attributes`` {name: (N,)}, ``crs``, ``meta`` (version,
    point format, scales, offsets, CRS records, colour depth), ``num_declared`` (header count).
    """
    laspy = _laspy()
    if chunk_size < 1:
        raise ValueError(f"chunk_size: expected >= 1, got {chunk_size}")
    try:
        reader = laspy.open(str(path))
    except (laspy.errors.LaspyException, ValueError, OSError, EOFError) as exc:
        raise DataError(path, f"malformed LAS/LAZ file: {exc}") from None
    with reader:
        header = reader.header
        n = int(header.point_count)
        _check_size(path, header)
        dims = set(header.point_format.dimension_names)
        names = [a for a in LAS_ATTRIBUTES if a in dims]
        has_rgb = {"red", "green", "blue"} <= dims
        crs, crs_records = _crs_of([*header.vlrs, *(getattr(header, "evlrs", None) or [])])
        meta = {
            "format": "las",
            "version": str(header.version),
            "point_format": int(header.point_format.id),
            "scales": np.array(header.scales, dtype=np.float64),
            "offsets": np.array(header.offsets, dtype=np.float64),
            "crs_vlrs": crs_records,
        }
        mins, maxs = np.asarray(header.mins, np.float64), np.asarray(header.maxs, np.float64)
        if crop is not None and n and not crop.may_intersect(mins, maxs):
            raise DataError(
                path,
                f"crop {crop} contains no points: the file's points span {mins.tolist()} to "
                f"{maxs.tolist()}",
            )
        lo, hi = mins, maxs
        if crop is not None:
            lo, hi = np.maximum(lo, crop.lo), np.minimum(hi, crop.hi)
        offset = np.round((lo + hi) / 2.0)
        if not np.isfinite(offset).all():
            offset = np.zeros(3)
        vox = None if voxel is None else VoxelFilter(voxel, mins)
        keep_xyz, keep_rgb = [], []
        keep_attr: dict[str, list[np.ndarray]] = {a: [] for a in names}
        seen = 0
        from tqdm.auto import tqdm

        show = progress if progress is not None else n >= PROGRESS_MIN_POINTS
        bar = tqdm(total=n, unit="pt", unit_scale=True, desc=path.name, disable=not show)
        try:
            for chunk in reader.chunk_iterator(chunk_size):
                m = len(chunk)
                if m == 0:
                    break
                seen += m
                bar.update(m)
                xyz = np.stack(
                    [np.asarray(chunk.x), np.asarray(chunk.y), np.asarray(chunk.z)], axis=1
                ).astype(np.float64, copy=False)
                idx = None
                if crop is not None:
                    idx = np.flatnonzero(crop.mask(xyz))
                    xyz = xyz[idx]
                if vox is not None:
                    sub = vox.keep(xyz)
                    xyz = xyz[sub]
                    idx = sub if idx is None else idx[sub]
                keep_xyz.append((xyz - offset).astype(dtype))
                for a in names:
                    col = np.asarray(chunk[a])
                    keep_attr[a].append(col if idx is None else col[idx])
                if has_rgb:
                    rgb = np.stack([np.asarray(chunk[c]) for c in ("red", "green", "blue")], 1)
                    keep_rgb.append(rgb if idx is None else rgb[idx])
        except DataError:
            raise
        except MemoryError:
            raise
        except Exception as exc:  # laspy/lazrs raise many types on corrupt data
            raise DataError(
                path,
                f"malformed or truncated {path.suffix[1:].upper()} file after {seen} of {n} "
                f"points: {type(exc).__name__}: {exc}",
            ) from None
        finally:
            bar.close()
    if seen < n:
        raise DataError(
            path,
            f"header declares {n} points but only {seen} could be read: truncated or corrupt file",
        )
    xyz = np.concatenate(keep_xyz) if keep_xyz else np.empty((0, 3), dtype)
    colors = None
    if has_rgb:
        rgb = np.concatenate(keep_rgb) if keep_rgb else np.empty((0, 3), np.uint16)
        depth = 65535.0 if rgb.size and int(rgb.max()) > 255 else 255.0
        meta["color_depth"] = int(depth)
        colors = (rgb.astype(np.float32) / np.float32(depth)).astype(np.float32)
    attrs = {a: np.concatenate(v) for a, v in keep_attr.items() if v}
    return {
        "points": xyz,
        "offset": offset,
        "colors": colors,
        "attributes": attrs,
        "crs": crs,
        "meta": meta,
        "num_declared": n,
    }


def _default_point_format(version: str, colors: bool) -> int:
    if version == "1.4":
        return 7 if colors else 6
    return 2 if colors else 0


def write_las(
    path: Path,
    xyz: np.ndarray,
    *,
    colors: np.ndarray | None = None,
    attributes: dict[str, np.ndarray] | None = None,
    meta: dict | None = None,
) -> None:
    """Write float64 file coordinates to LAS/LAZ (by extension), atomically.

    ``meta`` from :func:`read_las` keeps the source's version, point format, scales and CRS
    records, and its offsets where every point still fits the 32-bit integer range (else the
    offsets move to the points' minimum corner). Without ``meta``: LAS 1.2, 1 mm scale.
    """
    laspy = _laspy()
    from pointrecon.utils.atomic import atomic_path

    meta = dict(meta or {})
    if meta.get("format") not in (None, "las"):
        meta = {}
    version = meta.get("version", "1.2")
    if version not in ("1.2", "1.3", "1.4"):
        version = "1.2" if meta.get("point_format", 0) <= 3 else "1.4"  # laspy writes 1.2-1.4
    pf = meta.get("point_format", _default_point_format(version, colors is not None))
    scales = np.asarray(meta.get("scales", [0.001, 0.001, 0.001]), dtype=np.float64)
    xyz = np.asarray(xyz, dtype=np.float64)
    if len(xyz) and not np.isfinite(xyz).all():
        raise ValueError("points: contain NaN/Inf values; LAS cannot store them")
    offsets = meta.get("offsets")
    lo = xyz.min(axis=0) if len(xyz) else np.zeros(3)
    hi = xyz.max(axis=0) if len(xyz) else np.zeros(3)

    def fits(off: np.ndarray) -> bool:
        q = np.stack([(lo - off) / scales, (hi - off) / scales])
        return bool((np.abs(q) < _INT32).all())

    offsets = np.asarray(offsets, np.float64) if offsets is not None else np.floor(lo)
    if not fits(offsets):
        offsets = np.floor(lo)
        if not fits(offsets):
            raise DataError(
                path,
                f"points span {(hi - lo).tolist()} which does not fit LAS's 32-bit integers at "
                f"scale {scales.tolist()}",
            )
    header = laspy.LasHeader(point_format=int(pf), version=version)
    header.scales = scales
    header.offsets = offsets
    for v in meta.get("crs_vlrs", []):
        header.vlrs.append(v)
    las = laspy.LasData(header)
    las.X = np.round((xyz[:, 0] - offsets[0]) / scales[0]).astype(np.int32)
    las.Y = np.round((xyz[:, 1] - offsets[1]) / scales[1]).astype(np.int32)
    las.Z = np.round((xyz[:, 2] - offsets[2]) / scales[2]).astype(np.int32)
    dims = set(las.point_format.dimension_names)
    for name, arr in (attributes or {}).items():
        if name in dims and len(arr) == len(xyz):
            las[name] = np.asarray(arr)
    if colors is not None and {"red", "green", "blue"} <= dims:
        depth = float(meta.get("color_depth", 65535))
        rgb = np.round(np.clip(np.asarray(colors, np.float64), 0, 1) * depth).astype(np.uint16)
        las.red, las.green, las.blue = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    las.update_header()
    compress = path.suffix.lower() == ".laz"
    try:
        with atomic_path(path) as tmp:
            las.write(str(tmp), do_compress=compress)
    except OSError as exc:
        raise DataError(path, f"cannot write file: {exc.strerror or exc}") from None
