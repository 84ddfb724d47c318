"""Random rotation about the up axis or uniform over SO(3), the same for both clouds."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from pointrecon.data.transforms.base import apply_linear, check_rng

_AXES = {"x": 0, "y": 1, "z": 2}


class RandomRotation:
    """Rotate the pair by a random rotation.

    Args:
        axis: ``"x"``, ``"y"`` (up, default) or ``"z"`` for a rotation about that axis by an angle
            uniform in [-max_angle, max_angle] degrees; ``"so3"`` for a rotation uniform over SO(3).
        max_angle: half-width of the angle range in degrees (axis rotations only).
    """

    def __init__(self, axis: str = "y", max_angle: float = 180.0) -> None:
        if axis not in (*_AXES, "so3"):
            raise ValueError(f"axis must be one of 'x', 'y', 'z', 'so3', got {axis!r}")
        if not 0 <= max_angle <= 180:
            raise ValueError(f"max_angle must lie in [0, 180] degrees, got {max_angle}")
        self.axis, self.max_angle = axis, float(max_angle)

    def matrix(self, rng: np.random.Generator) -> np.ndarray:
        """Draw the (3, 3) rotation matrix."""
        if self.axis == "so3":
            return Rotation.random(random_state=rng).as_matrix()
        angle = np.radians(rng.uniform(-self.max_angle, self.max_angle))
        vec = np.zeros(3)
        vec[_AXES[self.axis]] = angle
        return Rotation.from_rotvec(vec).as_matrix()

    def __call__(self, sample: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        return apply_linear(sample, self.matrix(check_rng(rng)))

    def __repr__(self) -> str:
        return f"RandomRotation(axis={self.axis!r}, max_angle={self.max_angle})"
