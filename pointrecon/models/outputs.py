"""Typed outputs shared by encoders, decoders, refiners and reconstructors.

Shapes:
    code:        (B, C) global shape code
    point_feats: (B, N, C') per-point features, or None
    coarse:      (B, Mc, 3) first-stage points
    fine:        (B, M, 3) final points
    steps:       list of (B, M, 3), one per refinement step
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor


class EncoderOutput(NamedTuple):
    """What an encoder returns: a global code and, where the architecture has them, point features."""

    code: Tensor
    point_feats: Tensor | None = None


class DecoderOutput(NamedTuple):
    """What a decoder returns; ``fine is coarse`` for single-stage decoders."""

    coarse: Tensor
    fine: Tensor


class ReconOutput(NamedTuple):
    """What a reconstructor returns; ``fine`` is the last refiner step when there is one."""

    coarse: Tensor
    fine: Tensor
    steps: list[Tensor]
