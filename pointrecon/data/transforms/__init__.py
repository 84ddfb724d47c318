"""Augmentations for completion pairs, composable and seeded (see :mod:`.base`)."""

from pointrecon.data.transforms.base import Compose
from pointrecon.data.transforms.dropout import PointDropout
from pointrecon.data.transforms.jitter import Jitter
from pointrecon.data.transforms.mirror import RandomMirror
from pointrecon.data.transforms.partial_frame import PartialFrame
from pointrecon.data.transforms.rotation import RandomRotation
from pointrecon.data.transforms.scaling import RandomScale

__all__ = [
    "Compose",
    "Jitter",
    "PartialFrame",
    "PointDropout",
    "RandomMirror",
    "RandomRotation",
    "RandomScale",
]
