"""KITTI velodyne scans: raw little-endian float32 records ``x y z reflectance`` (16 bytes each)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pointrecon.errors import DataError

RECORD = np.dtype("<f4")
RECORD_BYTES = 16


def read_velodyne(path: Path, data: bytes) -> dict[str, np.ndarray]:
    """Points (N, 3) float32 and ``reflectance`` (N,) float32; the length must be 16*N bytes."""
    if len(data) % RECORD_BYTES:
        raise DataError(
            path,
            f"malformed KITTI velodyne .bin: {len(data)} bytes is not a multiple of 16 "
            f"(float32 x, y, z, reflectance per point); {len(data) % RECORD_BYTES} bytes left over",
        )
    arr = np.frombuffer(data, dtype=RECORD).reshape(-1, 4)
    return {"points": arr[:, :3], "reflectance": arr[:, 3].copy()}


def velodyne_bytes(points: np.ndarray, reflectance: np.ndarray | None) -> bytes:
    """The ``.bin`` encoding of (N, 3) points and (N,) reflectance (zeros when absent)."""
    out = np.zeros((len(points), 4), dtype=RECORD)
    out[:, :3] = points
    if reflectance is not None:
        out[:, 3] = np.asarray(reflectance).reshape(-1)
    return out.tobytes()
