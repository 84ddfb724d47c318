"""Cameras: a viewpoint given by azimuth and elevation around the object, fitted to its bounds.

The same :class:`View` (eye, target, up, field of view) drives both the Open3D renderer and the
matplotlib fallback, so their pictures line up, and one view can be shared by several panels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_UP = {"y": (np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0]))}
_UP["z"] = (np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0]), np.array([1.0, 0.0, 0.0]))
_UP["x"] = (np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0]))

PRESETS: dict[str, tuple[float, float]] = {
    "iso": (35.0, 25.0),
    "front": (0.0, 0.0),
    "side": (90.0, 0.0),
    "back": (180.0, 0.0),
    "top": (0.0, 89.0),
}


@dataclass(frozen=True)
class View:
    """A resolved camera: where it is, what it looks at, its up vector and vertical FOV (deg)."""

    eye: np.ndarray
    target: np.ndarray
    up: np.ndarray
    fov: float

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Right, true-up and backward unit vectors of the camera (OpenGL convention)."""
        back = self.eye - self.target
        back = back / np.linalg.norm(back)
        right = np.cross(self.up, back)
        right = right / np.linalg.norm(right)
        return right, np.cross(back, right), back

    def project(self, points: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (x right, y down) and depth of ``points`` for a ``width x height`` image.

        Shapes:
            points: (N, 3) -> pixels (N, 2) float64, depth (N,) float64 (distance along the axis).
        """
        right, up, back = self.basis()
        rel = np.asarray(points, dtype=np.float64) - self.eye
        x, y, depth = rel @ right, rel @ up, -(rel @ back)
        f = 0.5 * height / np.tan(np.radians(self.fov) / 2)
        safe = np.where(depth > 1e-9, depth, 1e-9)
        px = np.stack([width / 2 + f * x / safe, height / 2 - f * y / safe], axis=1)
        return px, depth


@dataclass(frozen=True)
class Camera:
    """A viewpoint around the object, resolved against the geometry by :meth:`fit`.

    Args:
        azimuth: degrees about the up axis (0 looks at the object's front).
        elevation: degrees above the horizontal plane.
        fov: vertical field of view in degrees.
        up: the world axis that points up in the picture, "y" (default), "z" or "x".
        target: the point looked at; None: the centre of the bounding box.
        distance: camera distance from the target; None: the closest distance at which every
            point is inside the picture with ``margin`` to spare.
        margin: share of the picture's half-size the object may fill (0 < margin <= 1).
    """

    azimuth: float = 35.0
    elevation: float = 25.0
    fov: float = 30.0
    up: str = "y"
    target: tuple[float, float, float] | None = None
    distance: float | None = None
    margin: float = 0.88

    def __post_init__(self) -> None:
        if self.up not in _UP:
            raise ValueError(f"up: expected one of {sorted(_UP)}, got {self.up!r}")
        if not 1.0 <= self.fov <= 150.0:
            raise ValueError(f"fov: expected degrees in [1, 150], got {self.fov}")
        if not 0.0 < self.margin <= 1.0:
            raise ValueError(f"margin: expected a value in (0, 1], got {self.margin}")

    @classmethod
    def preset(cls, name: str, **kwargs: object) -> Camera:
        """A named viewpoint: one of ``PRESETS`` ("iso", "front", "side", "back", "top")."""
        if name not in PRESETS:
            raise ValueError(f"camera: expected one of {sorted(PRESETS)}, got {name!r}")
        az, el = PRESETS[name]
        return cls(azimuth=az, elevation=el, **kwargs)  # type: ignore[arg-type]

    def direction(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit vector from the target to the eye, and the world up vector."""
        up, fwd, side = _UP[self.up]
        az, el = np.radians(self.azimuth), np.radians(self.elevation)
        d = np.cos(el) * (np.cos(az) * fwd + np.sin(az) * side) + np.sin(el) * up
        return d / np.linalg.norm(d), up

    def fit(self, points: np.ndarray, aspect: float = 1.0) -> View:
        """Resolve against ``points`` (all geometry that shares this view) for width/height ``aspect``.

        Shapes:
            points: (N, 3).
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        if len(pts) == 0:
            pts = np.array([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        target = 0.5 * (lo + hi) if self.target is None else np.asarray(self.target, float)
        d, up = self.direction()
        if abs(float(d @ up)) > 0.999:  # looking straight down the up axis
            up = _UP[self.up][1]
        dist = self.distance
        if dist is None:
            view = View(target + d, target, up, self.fov)
            right, cam_up, back = view.basis()
            rel = pts - target
            tan_v = np.tan(np.radians(self.fov) / 2) * self.margin
            tan_h = tan_v * aspect
            need = rel @ back + np.maximum(
                np.abs(rel @ right) / tan_h, np.abs(rel @ cam_up) / tan_v
            )
            radius = float(np.linalg.norm(hi - lo)) / 2 or 1.0
            dist = max(float(need.max()), 1.05 * float(np.abs(rel @ back).max()), 1e-3 * radius)
        return View(target + dist * d, target, up, self.fov)


def as_camera(camera: Camera | str | None) -> Camera:
    """Accept a :class:`Camera`, a preset name, or None (the default "iso" view)."""
    if camera is None:
        return Camera()
    if isinstance(camera, str):
        return Camera.preset(camera)
    if isinstance(camera, Camera):
        return camera
    raise TypeError(
        f"camera: expected a Camera, a preset name or None, got {type(camera).__name__}"
    )
