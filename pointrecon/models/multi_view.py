"""Multi-view image-to-points model: a CNN per view, a GRU over the views, a point decoder.

Shapes:
    images: (B, V, H, W) or (B, V, C, H, W) -> ReconOutput(coarse (B, Mc, 3), fine (B, M, 3), steps)
"""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.models._images import as_views
from pointrecon.models.outputs import ReconOutput
from pointrecon.models.refiners.identity import IdentityRefiner


class MultiViewReconstructor(nn.Module):
    """3D-R2N2-style aggregation with points out: the shared ``encoder`` embeds each view,
    a GRU (or LSTM) runs over the V view codes, its last hidden state (top layer; both directions
    concatenated if bidirectional) is projected to the code the decoder and refiner see.

    Args:
        encoder: image encoder shared by all views; has ``out_channels``.
        decoder: forward(code (B, out_channels)) -> DecoderOutput.
        refiner: forward(points, code) -> steps; None means identity.
        hidden: RNN hidden size.
        out_channels: size of the aggregated code.
        cell: "gru" or "lstm".
        num_layers, bidirectional: RNN settings.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        refiner: nn.Module | None = None,
        hidden: int = 512,
        out_channels: int = 512,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        self.encoder, self.decoder = encoder, decoder
        self.refiner = refiner if refiner is not None else IdentityRefiner()
        self.out_channels = int(out_channels)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(
            encoder.out_channels, hidden, num_layers, batch_first=True, bidirectional=bidirectional
        )
        self.dirs = 2 if bidirectional else 1
        self.proj = nn.Linear(hidden * self.dirs, self.out_channels)

    def forward(
        self,
        partial: Tensor | None = None,
        lengths: Tensor | None = None,
        images: Tensor | None = None,
    ) -> ReconOutput:
        """``partial`` and ``lengths`` are ignored (image model)."""
        views = as_views(images)
        B, V = views.shape[:2]
        codes = self.encoder(views.flatten(0, 1)).code.view(B, V, -1)
        _, state = self.rnn(codes)
        h = state[0] if isinstance(state, tuple) else state
        last = h[-self.dirs :].transpose(0, 1).reshape(B, -1)
        code = self.proj(last)
        dec = self.decoder(code)
        steps = self.refiner(dec.fine, code)
        return ReconOutput(dec.coarse, steps[-1] if steps else dec.fine, steps)
