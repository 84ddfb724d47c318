"""Single-view image-to-points model (PSGN-style).

Shapes:
    images: (B, V, H, W) or (B, V, C, H, W) -> ReconOutput(coarse (B, Mc, 3), fine (B, M, 3), steps)
"""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.models._images import as_views
from pointrecon.models.outputs import ReconOutput
from pointrecon.models.refiners.identity import IdentityRefiner


class SingleViewReconstructor(nn.Module):
    """``code = encoder(images[:, view])``, then decoder and refiner as in
    :class:`~pointrecon.models.reconstructor.Reconstructor` (Fan et al. 2017's set generation).

    Args:
        encoder: an image encoder, forward((B, C, H, W)) -> EncoderOutput; has ``out_channels``.
        decoder: forward(code) -> DecoderOutput.
        refiner: forward(points, code) -> steps; None means identity.
        view: which view of a multi-view input is used.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        refiner: nn.Module | None = None,
        view: int = 0,
    ) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.refiner = refiner if refiner is not None else IdentityRefiner()
        self.view = int(view)

    def forward(
        self,
        partial: Tensor | None = None,
        lengths: Tensor | None = None,
        images: Tensor | None = None,
    ) -> ReconOutput:
        """``partial`` and ``lengths`` are ignored (image model)."""
        views = as_views(images)
        if not -views.shape[1] <= self.view < views.shape[1]:
            raise ValueError(f"view {self.view} out of range for images with V={views.shape[1]}")
        code = self.encoder(views[:, self.view]).code
        dec = self.decoder(code)
        steps = self.refiner(dec.fine, code)
        return ReconOutput(dec.coarse, steps[-1] if steps else dec.fine, steps)
