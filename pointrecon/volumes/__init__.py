"""Volumes (CT/MRI) to surfaces in world coordinates, and sparse-slice sampling (numpy,
scikit-image, scipy; no torch)."""

from .surface import extract_surface, surface_mask

__all__ = [
    "extract_surface",
    "surface_mask",
]
