"""Point-cloud completion model: encoder -> decoder -> refiner steps, modules injected.

Shapes:
    partial: (B, N, 3), lengths: (B,) optional -> ReconOutput(coarse (B, Mc, 3), fine (B, M, 3),
    steps list of (B, M, 3))
"""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.models.outputs import ReconOutput
from pointrecon.models.refiners.identity import IdentityRefiner


class Reconstructor(nn.Module):
    """``code = encoder(partial)``, ``coarse, fine = decoder(code)``, ``steps = refiner(fine, code)``;
    the output's ``fine`` is the last step when the refiner has any, else the decoder's fine.

    Args:
        encoder: forward(points, lengths) -> EncoderOutput; has ``out_channels``.
        decoder: forward(code) -> DecoderOutput.
        refiner: forward(points, code) -> list of steps; None means :class:`IdentityRefiner`.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, refiner: nn.Module | None = None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.refiner = refiner if refiner is not None else IdentityRefiner()

    def forward(
        self,
        partial: Tensor | None = None,
        lengths: Tensor | None = None,
        images: Tensor | None = None,
    ) -> ReconOutput:
        """``images`` is ignored (point model)."""
        if partial is None:
            raise ValueError("partial must be a (B, N, 3) tensor for a point model, got None")
        code = self.encoder(partial, lengths).code
        dec = self.decoder(code)
        steps = self.refiner(dec.fine, code)
        return ReconOutput(dec.coarse, steps[-1] if steps else dec.fine, steps)
