"""A small 2D CNN encoder for depth or RGB images.

Shapes:
    images: (B, C, H, W) or (B, H, W) (one channel) -> code (B, C_out), point_feats None
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from pointrecon.models.outputs import EncoderOutput


class ImageCNN(nn.Module):
    """Strided conv blocks (conv 3x3 stride 2, norm, ReLU, conv 3x3, norm, ReLU), global average
    pooling and a linear layer to ``out_channels``. Depth images have 0 where nothing was hit; the
    network sees them as they are (a valid-pixel mask is appended as a channel when
    ``depth_mask``).

    Args:
        in_channels: 1 for depth, 3 for RGB.
        channels: width of each stride-2 block.
        out_channels: size C of the code.
        norm: "batch" or "none".
        depth_mask: append ``images > 0`` as an extra input channel.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: Sequence[int] = (32, 64, 128, 256),
        out_channels: int = 512,
        norm: str = "batch",
        depth_mask: bool = True,
    ) -> None:
        super().__init__()
        if norm not in ("batch", "none"):
            raise ValueError(f"norm must be 'batch' or 'none', got {norm!r}")
        if in_channels < 1 or not channels:
            raise ValueError(f"need in_channels >= 1 and channels, got {in_channels}, {channels}")
        self.in_channels = int(in_channels)
        self.depth_mask = bool(depth_mask)
        self.out_channels = int(out_channels)
        layers: list[nn.Module] = []
        cin = self.in_channels + (1 if self.depth_mask else 0)
        for c in channels:
            c = int(c)
            for stride, ci in ((2, cin), (1, c)):
                layers.append(nn.Conv2d(ci, c, 3, stride, 1, bias=norm == "none"))
                layers.append(nn.BatchNorm2d(c) if norm == "batch" else nn.Identity())
                layers.append(nn.ReLU(inplace=True))
            cin = c
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.proj = nn.Linear(cin, self.out_channels)

    def forward(self, images: Tensor) -> EncoderOutput:
        if not isinstance(images, Tensor) or not images.is_floating_point():
            raise TypeError(f"images must be a floating-point tensor, got {type(images).__name__}")
        if images.dim() == 3:
            images = images[:, None]
        if images.dim() != 4 or images.shape[1] != self.in_channels:
            raise ValueError(
                f"images must have shape (B, {self.in_channels}, H, W)"
                f"{' or (B, H, W)' if self.in_channels == 1 else ''}, got {tuple(images.shape)}"
            )
        if self.depth_mask:
            images = torch.cat([images, (images > 0).any(1, keepdim=True).to(images.dtype)], 1)
        h = self.pool(self.features(images)).flatten(1)
        return EncoderOutput(self.proj(h), None)
