import pytest
import torch

from pointrecon.models import (
    FCDecoder,
    IdentityRefiner,
    PointNet,
    Reconstructor,
    SequenceRefiner,
)


def _model(refiner=None):
    torch.manual_seed(0)
    return Reconstructor(
        PointNet(hidden=(8, 16), out_channels=12), FCDecoder(12, 20, (16,)), refiner
    )


def test_composition_matches_modules_called_by_hand():
    ref = SequenceRefiner(12, hidden=8, feat_channels=4, window=5, steps=3, local_k=0)
    model = _model(ref).eval()
    x = torch.rand(2, 30, 3)
    with torch.no_grad():
        out = model(x, images=torch.rand(2, 1, 8, 8))  # images ignored by point models
        code = model.encoder(x).code
        dec = model.decoder(code)
        steps = ref(dec.fine, code)
    assert len(out.steps) == 3
    torch.testing.assert_close(out.coarse, dec.coarse)
    torch.testing.assert_close(out.fine, steps[-1])
    for a, b in zip(out.steps, steps):
        torch.testing.assert_close(a, b)


def test_identity_refiner_passes_decoder_output_through():
    model = _model().eval()
    assert isinstance(model.refiner, IdentityRefiner)
    x, lengths = torch.rand(2, 30, 3), torch.tensor([30, 12])
    out = model(x, lengths)
    assert out.steps == []
    torch.testing.assert_close(out.fine, model.decoder(model.encoder(x, lengths).code).fine)
    # lengths reach the encoder: padding does not change sample 1
    torch.testing.assert_close(out.fine[1], model(x[1:, :12]).fine[0])


def test_partial_required():
    with pytest.raises(ValueError, match="partial must be a"):
        _model()(images=torch.rand(1, 1, 8, 8))
