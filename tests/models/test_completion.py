"""CompletionNet: sizes, the observed points in the output, frame invariance, the ablation."""

from __future__ import annotations

import pytest
import torch

from pointrecon.models import CompletionNet, LocalPointNet


def small_model(**kw) -> CompletionNet:
    torch.manual_seed(0)
    enc = LocalPointNet(point_channels=16, out_channels=32, k=4, hidden=8)
    args = dict(seeds_fc=8, seeds_partial=8, up_factors=[2, 3], hidden=8, window=8,
                local_k=4, feat_channels=8)  # fmt: skip
    return CompletionNet(enc, **(args | kw)).eval()


def test_output_sizes_and_stages():
    m = small_model()
    x = torch.rand(2, 40, 3)
    out = m(x)
    # 16 seeds -> moved (16) -> split x2 (32) -> moved (32) -> split x3 (96) + 40 observed
    assert [s.shape[1] for s in out.steps] == [16, 32, 136]
    assert out.coarse.shape == (2, 8, 3)
    assert out.fine.shape == (2, m.num_output_points(40), 3) == (2, 136, 3)
    assert out.fine is out.steps[-1]


def test_default_size_matches_the_2048_to_16384_protocol():
    enc = LocalPointNet()
    assert CompletionNet(enc).num_output_points(2048) == 16384


def test_observed_points_are_in_the_output_exactly():
    m = small_model()
    x = torch.rand(3, 50, 3) * 5 + 2
    out = m(x)
    torch.testing.assert_close(out.fine[:, :50], x, rtol=0, atol=0)
    assert not torch.equal(small_model(keep_partial=False)(x).fine[:, :50], x)


def test_invariant_to_the_input_frame():
    """With normalize_input the model sees the partial-fitted frame whatever the data's frame:
    translating and scaling the input translates and scales the output the same way."""
    m = small_model()
    x = torch.rand(2, 64, 3)
    scale, shift = 3.7, torch.tensor([10.0, -4.0, 0.5])
    a = m(x).fine * scale + shift
    b = m(x * scale + shift).fine
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    m2 = small_model(normalize_input=False)
    assert (m2(x).fine * scale + shift - m2(x * scale + shift).fine).abs().max() > 1e-2


def test_gradient_reaches_every_parameter():
    m = small_model().train()
    out = m(torch.rand(2, 40, 3))
    (sum(s.square().mean() for s in out.steps) + out.coarse.square().mean()).backward()
    missing = [n for n, p in m.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing


def test_steps_zero_has_no_recurrent_or_local_part():
    m = small_model(steps=0)
    assert not any(isinstance(mod, torch.nn.GRU) for mod in m.modules())
    assert all(not r.recurrent for r in m.refiners)
    full = small_model(steps=2)
    assert sum(isinstance(mod, torch.nn.GRU) for mod in full.modules()) == 2
    assert "recurrent, window=8" in repr(full.refiners[0])


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(up_factors=[]), "up_factors"),
        (dict(steps=3), "steps"),
        (dict(move_scales=[0.1]), "move_scales"),
    ],
)
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        small_model(**kw)


def test_ragged_input_is_refused_with_a_message():
    m = small_model()
    with pytest.raises(ValueError, match="resample"):
        m(torch.rand(2, 20, 3), lengths=torch.tensor([20, 15]))


def test_refiner_options_reach_every_recurrent_step():
    """embed/local go to every LocalSequenceRefiner; the model trains (gradients everywhere the
    step reaches) and its sizes do not change."""
    m = small_model(embed="sum", local="linear", local_k=1, steps=1).train()
    assert [(r.embed, r.local, r.local_k) for r in m.refiners] == [("sum", "linear", 1)] * 2
    assert m.refiners[0].rnn.input_size == 3 + 8
    assert [(r.embed, r.local) for r in small_model().refiners] == [("concat", "mlp")] * 2
    x = torch.rand(2, 40, 3)
    out = m(x)
    assert out.fine.shape == (2, m.num_output_points(40), 3) == (2, 136, 3)
    out.fine.square().sum().backward()
    for name, p in m.named_parameters():
        if name.startswith("refiners.0.parent_proj.weight"):  # the first step has no parent
            continue
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
