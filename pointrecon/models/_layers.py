"""Internal building blocks: channels-last shared MLPs with an optional normalisation.

Shapes:
    x: (..., C) -> (..., C_out); normalisation statistics are taken over all leading dimensions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

NORMS = ("batch", "layer", "none")


def check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


class ChannelNorm(nn.Module):
    """BatchNorm1d or LayerNorm over the last dimension of a channels-last tensor of any rank."""

    def __init__(self, channels: int, norm: str = "batch") -> None:
        super().__init__()
        check_norm(norm)
        self.norm = norm
        if norm == "batch":
            self.layer: nn.Module = nn.BatchNorm1d(channels)
        elif norm == "layer":
            self.layer = nn.LayerNorm(channels)
        else:
            self.layer = nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        if self.norm != "batch":
            return self.layer(x)
        shape = x.shape
        return self.layer(x.reshape(-1, shape[-1])).reshape(shape)


class SharedMLP(nn.Sequential):
    """Linear -> norm -> ReLU per layer, applied to the last dimension (a 1x1 conv, channels-last).

    Args:
        channels: ``(C_in, C_1, ..., C_out)``.
        norm: "batch", "layer" or "none".
        last_act: whether the last layer also gets norm + ReLU (False: a plain linear output).
    """

    def __init__(self, channels: Sequence[int], norm: str = "batch", last_act: bool = True) -> None:
        channels = [int(c) for c in channels]
        if len(channels) < 2 or min(channels) < 1:
            raise ValueError(f"channels must list >= 2 positive sizes, got {channels}")
        check_norm(norm)
        layers: list[nn.Module] = []
        for i, (cin, cout) in enumerate(zip(channels[:-1], channels[1:])):
            last = i == len(channels) - 2
            act = last_act or not last
            layers.append(nn.Linear(cin, cout, bias=not (act and norm == "batch")))
            if act:
                layers.append(ChannelNorm(cout, norm))
                layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
        self.out_channels = channels[-1]


def masked_max(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Max over dim 1 of ``x`` (B, N, C), ignoring padded rows; empty samples give zeros."""
    if lengths is None:
        return x.max(dim=1).values
    n = x.shape[1]
    valid = torch.arange(n, device=x.device)[None, :] < lengths[:, None]
    out = x.masked_fill(~valid[..., None], float("-inf")).max(dim=1).values
    return torch.where(lengths[:, None] > 0, out, torch.zeros_like(out))
