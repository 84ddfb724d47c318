import pytest
import torch

from pointrecon.models import (
    CoarseToFine,
    FCDecoder,
    ImageCNN,
    MultiViewReconstructor,
    SequenceRefiner,
    SingleViewReconstructor,
)


def _cnn(in_channels=1):
    return ImageCNN(in_channels, channels=(4, 8), out_channels=16)


def test_single_view_uses_the_chosen_view(check_grads):
    torch.manual_seed(0)
    model = SingleViewReconstructor(_cnn(), FCDecoder(16, 20, (16,)), view=1)
    images = torch.rand(2, 3, 24, 32)
    out = model(torch.rand(2, 5, 3), images=images)  # partial ignored by image models
    assert out.fine.shape == (2, 20, 3) and out.steps == []
    model.eval()
    with torch.no_grad():
        ref = model.decoder(model.encoder.encoder(images[:, 1]).code).fine
        torch.testing.assert_close(model(images=images).fine, ref)
        changed = images.clone()
        changed[:, 0] = 0.0  # another view: no effect
        torch.testing.assert_close(model(images=changed).fine, ref)
    model.train()
    model(images=images).fine.square().sum().backward()
    check_grads(model)


def test_multi_view_gru_over_views(check_grads):
    torch.manual_seed(0)
    model = MultiViewReconstructor(
        _cnn(3),
        CoarseToFine(10, num_coarse=4, grid_size=2, coarse_hidden=(8,), fold_hidden=(8,)),
        SequenceRefiner(10, hidden=8, feat_channels=4, window=4, steps=2, local_k=3),
        hidden=12,
        out_channels=10,
    )
    images = torch.rand(2, 3, 3, 24, 32)  # (B, V, C, H, W)
    out = model(images=images)
    assert out.coarse.shape == (2, 4, 3) and out.fine.shape == (2, 16, 3) and len(out.steps) == 2
    (out.coarse.square().sum() + sum(s.square().sum() for s in out.steps)).backward()
    check_grads(model)
    model.eval()
    with torch.no_grad():
        agg = model.encoder
        codes = agg.encoder(images.flatten(0, 1)).code.view(2, 3, -1)
        h = torch.zeros(1, 2, 12)
        for v in range(3):  # the GRU's last state over the views, by hand
            h = agg.rnn(codes[:, v : v + 1], h)[1]
        code = agg.proj(h[0])
        torch.testing.assert_close(model(images=images).coarse, model.decoder(code).coarse)
        # every view matters
        changed = images.clone()
        changed[:, 0] = 0.0
        assert not torch.allclose(model(images=changed).coarse, model(images=images).coarse)


def test_bad_images():
    model = SingleViewReconstructor(_cnn(), FCDecoder(16, 20, (16,)), view=3)
    with pytest.raises(ValueError, match="images must be a"):
        model(torch.rand(1, 5, 3))
    with pytest.raises(ValueError, match=r"images must have shape \(B, V, H, W\)"):
        model(images=torch.rand(2, 8, 8))
    with pytest.raises(ValueError, match="view 3 out of range for images with V=2"):
        model(images=torch.rand(1, 2, 8, 8))


@pytest.mark.parametrize("kind", ["single", "multi"])
def test_weights_saved_before_the_encoder_wrappers_still_load(kind):
    """State dicts of the former image models (CNN, GRU and projection at the top level)."""
    torch.manual_seed(0)

    def build():
        if kind == "single":
            return SingleViewReconstructor(_cnn(), FCDecoder(16, 20, (16,)))
        return MultiViewReconstructor(_cnn(), FCDecoder(10, 20, (16,)), hidden=12, out_channels=10)

    model = build().eval()
    old = {}
    for key, value in model.state_dict().items():
        for new, former in (("encoder.encoder.", "encoder."), ("encoder.rnn.", "rnn."),
                            ("encoder.proj.", "proj.")):  # fmt: skip
            if key.startswith(new):
                key = former + key[len(new) :]
                break
        old[key] = value
    assert any(k.startswith("encoder.") and not k.startswith("encoder.encoder.") for k in old)
    fresh = build().eval()
    fresh.load_state_dict(old)
    images = torch.rand(2, 2, 24, 32)
    with torch.no_grad():
        torch.testing.assert_close(fresh(images=images).fine, model(images=images).fine)
