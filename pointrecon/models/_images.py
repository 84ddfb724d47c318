"""Shared input handling for the image models.

Shapes:
    images: (B, V, H, W) or (B, V, C, H, W) -> (B, V, C, H, W)
"""

from __future__ import annotations

from torch import Tensor


def as_views(images: Tensor | None) -> Tensor:
    if images is None:
        raise ValueError("images must be a (B, V, H, W) or (B, V, C, H, W) tensor, got None")
    if not isinstance(images, Tensor) or not images.is_floating_point():
        raise TypeError(f"images must be a floating-point tensor, got {type(images).__name__}")
    if images.dim() == 4:
        images = images[:, :, None]
    if images.dim() != 5 or images.shape[1] < 1:
        raise ValueError(
            f"images must have shape (B, V, H, W) or (B, V, C, H, W), got {tuple(images.shape)}"
        )
    return images
