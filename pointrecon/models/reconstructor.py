"""The reconstructor: encoder -> decoder -> refiner steps, modules injected.

One class serves point and image inputs: the encoder says what it reads through its ``inputs``
attribute, ``"points"`` (the default: ``encoder(partial, lengths)``) or ``"images"``
(``encoder(images)``, e.g. :class:`~pointrecon.models.encoders.views.ViewEncoder` or
:class:`~pointrecon.models.encoders.views.MultiViewEncoder`).

Shapes:
    partial: (B, N, 3), lengths: (B,) optional, images: (B, V, H, W) optional
    -> ReconOutput(coarse (B, Mc, 3), fine (B, M, 3), steps list of (B, M, 3))
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from pointrecon.models.encoders.views import MultiViewEncoder, ViewEncoder
from pointrecon.models.inputs import ReconModel
from pointrecon.models.outputs import ReconOutput
from pointrecon.models.refiners.identity import IdentityRefiner


class Reconstructor(ReconModel):
    """``code = encoder(inputs)``, ``coarse, fine = decoder(code)``, ``steps = refiner(fine,
    code)``; the output's ``fine`` is the last step when the refiner has any, else the decoder's.

    Args:
        encoder: forward(points, lengths) -> EncoderOutput, or forward(images) when its
            ``inputs`` is ``"images"``; has ``out_channels``.
        decoder: forward(code) -> DecoderOutput.
        refiner: forward(points, code) -> list of steps; None means no steps.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, refiner: nn.Module | None = None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.refiner = refiner if refiner is not None else IdentityRefiner()

    @property
    def inputs(self) -> str:
        """What the model reads: ``"points"`` or ``"images"``."""
        return str(getattr(self.encoder, "inputs", "points"))

    def complete(self, partial: Tensor, lengths: Tensor | None) -> ReconOutput:
        return self._decode(self.encoder(partial, lengths).code)

    def complete_images(self, images: Tensor) -> ReconOutput:
        return self._decode(self.encoder(images).code)

    def _decode(self, code: Tensor) -> ReconOutput:
        dec = self.decoder(code)
        steps = self.refiner(dec.fine, code)
        return ReconOutput(dec.coarse, steps[-1] if steps else dec.fine, steps)


class _Renamed(Reconstructor):
    """Loads weights saved before the image encoders were wrapped (``_RENAMES``: old -> new
    key prefixes, tried in order, applied when the state dict has no wrapped-encoder key)."""

    _RENAMES: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._register_load_state_dict_pre_hook(self._rename_old_keys)

    def _rename_old_keys(self, state_dict, prefix, *_args) -> None:
        if any(k.startswith(prefix + "encoder.encoder.") for k in state_dict):
            return  # saved by this version: the wrapped image encoder is there
        for key in list(state_dict):
            for old, renamed in self._RENAMES.items():
                if key.startswith(prefix + old):
                    state_dict[prefix + renamed + key[len(prefix + old) :]] = state_dict.pop(key)
                    break


class SingleViewReconstructor(_Renamed):
    """``Reconstructor(ViewEncoder(encoder, view), decoder, refiner)``: PSGN-style set
    generation from one depth view (Fan et al. 2017)."""

    _RENAMES = {"encoder.": "encoder.encoder."}

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        refiner: nn.Module | None = None,
        view: int = 0,
    ) -> None:
        super().__init__(ViewEncoder(encoder, view), decoder, refiner)


class MultiViewReconstructor(_Renamed):
    """``Reconstructor(MultiViewEncoder(encoder, **aggregation), decoder, refiner)``: a CNN per
    view and a GRU over the views (3D-R2N2-style aggregation) with points out.

    Args:
        aggregation: ``hidden``, ``out_channels``, ``cell``, ``num_layers``, ``bidirectional``
            of :class:`~pointrecon.models.encoders.views.MultiViewEncoder`.
    """

    _RENAMES = {"encoder.": "encoder.encoder.", "rnn.": "encoder.rnn.", "proj.": "encoder.proj."}

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        refiner: nn.Module | None = None,
        **aggregation: Any,
    ) -> None:
        super().__init__(MultiViewEncoder(encoder, **aggregation), decoder, refiner)
