"""E57 through pye57: every scan, moved by its pose into the file's frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

from ._region import Crop, VoxelFilter

_NORMALS = ("nor:normalX", "nor:normalY", "nor:normalZ")
_RGB = ("colorRed", "colorGreen", "colorBlue")


def _pye57():
    try:
        import pye57
    except ImportError:  # pragma: no cover - a core dependency
        raise ImportError("reading E57 needs pye57: pip install pye57") from None
    return pye57


def _read_fields(e57, header, fields: list[str]) -> dict[str, np.ndarray]:
    """Read ``fields`` of one scan (including ones pye57's helpers refuse, such as normals)."""
    from pye57 import libe57
    from pye57.e57 import SUPPORTED_POINT_FIELDS

    n = header.point_count
    data, buffers = {}, libe57.VectorSourceDestBuffer()
    for f in fields:
        arr = np.empty(n, SUPPORTED_POINT_FIELDS.get(f, np.float64))
        buffers.append(libe57.SourceDestBuffer(e57.image_file, f, arr, n, True, True))
        data[f] = arr
    header.points.reader(buffers).read()
    return data


def _color_limit(header, name: str) -> float:
    try:
        node = header.points.prototype().get(name)
        return float(node.maximum())
    except Exception:  # noqa: BLE001 - prototype nodes differ between writers
        return 255.0


def read_e57(path: Path, *, crop: Crop | None = None, voxel: float | None = None) -> dict:
    """All scans of an E57 file in its own frame (float64), with per-scan counts.

    Returns a dict: ``xyz`` (N, 3) float64, ``normals`` (N, 3) float32 | None, ``colors``
    (N, 3) float32 in [0, 1] | None, ``attributes`` ({"intensity"} where every scan has it),
    ``scan_counts`` (points kept per scan).
    """
    pye57 = _pye57()
    from pye57.utils import convert_spherical_to_cartesian

    try:
        e57 = pye57.E57(str(path))
    except Exception as exc:  # libE57 raises its own exception types
        raise DataError(path, f"malformed E57 file: {type(exc).__name__}: {exc}") from None
    try:
        count = e57.scan_count
        if count == 0:
            raise DataError(path, "E57 file holds no scans (data3D is empty)")
        parts: list[dict] = []
        vox = None
        for i in range(count):
            header = e57.get_header(i)
            fields = set(header.point_fields)
            cart = {"cartesianX", "cartesianY", "cartesianZ"} <= fields
            sph = {"sphericalRange", "sphericalAzimuth", "sphericalElevation"} <= fields
            if not (cart or sph):
                raise DataError(path, f"scan {i} has neither cartesian nor spherical coordinates")
            coords = (
                ["cartesianX", "cartesianY", "cartesianZ"]
                if cart
                else ["sphericalRange", "sphericalAzimuth", "sphericalElevation"]
            )
            state = "cartesianInvalidState" if cart else "sphericalInvalidState"
            want = coords + [f for f in (state, "intensity", *_RGB, *_NORMALS) if f in fields]
            d = _read_fields(e57, header, want)
            raw = np.stack([d[c] for c in coords], axis=1).astype(np.float64)
            xyz = raw if cart else convert_spherical_to_cartesian(raw)
            keep = np.ones(len(xyz), bool) if state not in d else d[state] == 0
            keep &= np.isfinite(xyz).all(axis=1)
            rot = np.asarray(header.rotation_matrix, np.float64) if header.has_pose() else None
            if rot is not None:
                xyz = xyz @ rot.T + np.asarray(header.translation, np.float64)
            part = {"count": 0}
            if crop is not None:
                keep &= crop.mask(xyz)
            idx = np.flatnonzero(keep)
            if voxel is not None:
                if vox is None:
                    vox = VoxelFilter(voxel, xyz[idx].min(axis=0) if len(idx) else np.zeros(3))
                idx = idx[vox.keep(xyz[idx])]
            part["xyz"] = xyz[idx]
            part["count"] = len(idx)
            if "intensity" in d:
                part["intensity"] = d["intensity"][idx].astype(np.float32)
            if all(c in d for c in _RGB):
                lim = np.array([_color_limit(header, c) for c in _RGB], np.float64)
                rgb = np.stack([d[c][idx] for c in _RGB], axis=1) / np.maximum(lim, 1.0)
                part["colors"] = rgb.astype(np.float32)
            if all(c in d for c in _NORMALS):
                nrm = np.stack([d[c][idx] for c in _NORMALS], axis=1).astype(np.float64)
                part["normals"] = (nrm if rot is None else nrm @ rot.T).astype(np.float32)
            parts.append(part)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(path, f"malformed E57 file: {type(exc).__name__}: {exc}") from None
    finally:
        e57.close()

    def joined(key: str) -> np.ndarray | None:
        if not all(key in p for p in parts):
            return None
        return np.concatenate([p[key] for p in parts])

    inten = joined("intensity")
    return {
        "xyz": np.concatenate([p["xyz"] for p in parts]),
        "normals": joined("normals"),
        "colors": joined("colors"),
        "attributes": {} if inten is None else {"intensity": inten},
        "scan_counts": tuple(int(p["count"]) for p in parts),
        "crs": None,
        "meta": {"format": "e57"},
    }
