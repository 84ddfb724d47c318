"""A pinhole depth camera: intrinsics, pose, resolution, and viewpoints on a sphere.

Conventions (OpenCV / Open3D): the camera looks along its +z axis, x to the right, y down in the
image; pixel (u, v) = column, row; a pixel's ray passes through its centre (u + 0.5, v + 0.5).
Depth is the z coordinate in the camera frame (not the ray length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Camera:
    """A pinhole camera.

    Attributes:
        intrinsics: (3, 3) float64 K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]].
        world_to_camera: (4, 4) float64 extrinsics; x_cam = R @ x_world + t.
        width, height: image size in pixels.
    """

    intrinsics: np.ndarray
    world_to_camera: np.ndarray
    width: int
    height: int

    @property
    def camera_to_world(self) -> np.ndarray:
        """(4, 4) inverse of :attr:`world_to_camera`."""
        r, t = self.world_to_camera[:3, :3], self.world_to_camera[:3, 3]
        out = np.eye(4)
        out[:3, :3] = r.T
        out[:3, 3] = -r.T @ t
        return out

    @property
    def center(self) -> np.ndarray:
        """(3,) camera centre in the world (object) frame."""
        return self.camera_to_world[:3, 3]

    def ray_directions(self) -> np.ndarray:
        """World-frame ray directions with unit camera-frame z, one per pixel.

        Shapes:
            -> (H, W, 3) float64; ``center + depth * dir`` is the 3D point of a pixel.
        """
        u, v = np.meshgrid(np.arange(self.width) + 0.5, np.arange(self.height) + 0.5)
        k = self.intrinsics
        d = np.stack([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], np.ones_like(u)], axis=-1)
        return d @ self.world_to_camera[:3, :3]  # R^T d for each pixel

    def backproject(self, depth: np.ndarray) -> np.ndarray:
        """World points of the pixels with depth > 0.

        Shapes:
            depth: (H, W) -> (n, 3) float64, in row-major pixel order
        """
        if depth.shape != (self.height, self.width):
            raise ValueError(
                f"depth must have shape (H, W)=({self.height}, {self.width}), got {depth.shape}"
            )
        hit = depth > 0
        return self.center + depth[hit][:, None] * self.ray_directions()[hit]

    def project(self, points: np.ndarray) -> np.ndarray:
        """Pixel coordinates (u, v) and depth z of world points.

        Shapes:
            points: (n, 3) -> (n, 3) float64 columns u, v, z
        """
        pc = points @ self.world_to_camera[:3, :3].T + self.world_to_camera[:3, 3]
        uv = pc @ self.intrinsics.T
        return np.column_stack([uv[:, :2] / uv[:, 2:3], pc[:, 2]])


def intrinsics_from_fov(width: int, height: int, fov_deg: float) -> np.ndarray:
    """K of a camera with horizontal field of view ``fov_deg`` and square pixels."""
    if not 0 < fov_deg < 180:
        raise ValueError(f"fov_deg must lie in (0, 180), got {fov_deg}")
    f = 0.5 * width / math.tan(math.radians(fov_deg) / 2)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], dtype=np.float64)


def look_at(eye: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """(4, 4) world-to-camera matrix of a camera at ``eye`` looking at ``target``.

    The image's up direction follows ``up`` (y by default); when the view is parallel to ``up``,
    x is used instead.
    """
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    z = target - eye
    norm = np.linalg.norm(z)
    if norm == 0:
        raise ValueError("look_at: eye and target coincide")
    z /= norm
    up_v = np.asarray(up, float)
    if abs(np.dot(up_v, z)) > 0.999 * np.linalg.norm(up_v):
        up_v = np.array([1.0, 0.0, 0.0])
    x = np.cross(z, up_v)  # right; then y = z cross x points down in the image
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    r = np.stack([x, y, z])
    out = np.eye(4)
    out[:3, :3] = r
    out[:3, 3] = -r @ eye
    return out


def sample_view_directions(
    rng: np.random.Generator, n: int, elevation_deg: tuple[float, float] = (-90.0, 90.0)
) -> np.ndarray:
    """``n`` unit directions, uniform by area on the sphere band between two elevations (y up).

    Shapes:
        -> (n, 3) float64
    """
    lo, hi = elevation_deg
    if not -90 <= lo <= hi <= 90:
        raise ValueError(f"elevation_deg must satisfy -90 <= lo <= hi <= 90, got {elevation_deg}")
    s = rng.uniform(math.sin(math.radians(lo)), math.sin(math.radians(hi)), size=n)
    az = rng.uniform(0, 2 * np.pi, size=n)
    c = np.sqrt(np.clip(1 - s**2, 0, None))
    return np.column_stack([c * np.cos(az), s, c * np.sin(az)])
