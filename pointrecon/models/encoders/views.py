"""Image encoders of depth views: one chosen view, or a recurrent aggregation of all views.

Both take the images a :class:`~pointrecon.models.reconstructor.Reconstructor` is given,
``(B, V, H, W)`` or ``(B, V, C, H, W)``, and return the code the decoder and refiner see.

Shapes:
    images: (B, V, H, W) or (B, V, C, H, W) -> code (B, out_channels)
"""

from __future__ import annotations

from torch import Tensor, nn

from pointrecon.models._images import as_views
from pointrecon.models.outputs import EncoderOutput


class ViewEncoder(nn.Module):
    """Encodes view ``view`` of the images with ``encoder`` (PSGN's single-view input).

    Args:
        encoder: an image encoder, forward((B, C, H, W)) -> EncoderOutput; has ``out_channels``.
        view: which view is used.
    """

    inputs = "images"

    def __init__(self, encoder: nn.Module, view: int = 0) -> None:
        super().__init__()
        self.encoder = encoder
        self.view = int(view)
        self.out_channels = int(encoder.out_channels)

    def forward(self, images: Tensor) -> EncoderOutput:
        views = as_views(images)
        if not -views.shape[1] <= self.view < views.shape[1]:
            raise ValueError(f"view {self.view} out of range for images with V={views.shape[1]}")
        return EncoderOutput(self.encoder(views[:, self.view]).code, None)

    def extra_repr(self) -> str:
        return f"view={self.view}"


class MultiViewEncoder(nn.Module):
    """3D-R2N2-style aggregation: the shared ``encoder`` embeds each view, a GRU (or LSTM) runs
    over the V view codes, and its last hidden state (top layer; both directions concatenated if
    bidirectional) is projected to ``out_channels``.

    Args:
        encoder: image encoder shared by all views; has ``out_channels``.
        hidden: RNN hidden size.
        out_channels: size of the aggregated code.
        cell: "gru" or "lstm".
        num_layers, bidirectional: RNN settings.
    """

    inputs = "images"

    def __init__(
        self,
        encoder: nn.Module,
        hidden: int = 512,
        out_channels: int = 512,
        cell: str = "gru",
        num_layers: int = 1,
        bidirectional: bool = False,
    ) -> None:
        super().__init__()
        if cell not in ("gru", "lstm"):
            raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
        self.encoder = encoder
        self.out_channels = int(out_channels)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(
            encoder.out_channels, hidden, num_layers, batch_first=True, bidirectional=bidirectional
        )
        self.dirs = 2 if bidirectional else 1
        self.proj = nn.Linear(hidden * self.dirs, self.out_channels)

    def forward(self, images: Tensor) -> EncoderOutput:
        views = as_views(images)
        B, V = views.shape[:2]
        codes = self.encoder(views.flatten(0, 1)).code.view(B, V, -1)
        _, state = self.rnn(codes)
        h = state[0] if isinstance(state, tuple) else state
        last = h[-self.dirs :].transpose(0, 1).reshape(B, -1)
        return EncoderOutput(self.proj(last), None)
