"""Every named model composes from conf/model and instantiates; small versions run and train."""

from pathlib import Path

import pytest
import torch

from pointrecon.config import compose as compose_root
from pointrecon.config import conf_dir
from pointrecon.models import (
    MultiViewReconstructor,
    Reconstructor,
    SequenceRefiner,
    SingleViewReconstructor,
)
from pointrecon.utils.instantiate import instantiate

CONF = Path(conf_dir())
MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))
# models built by Reconstructor and its image variants (encoder -> decoder -> refiner);
# "completion", "completion_fast" (CompletionNet, below) and "sparse_slice"
# (tests/models/test_sparse_slice*) differ
COMPOSED = [m for m in MODELS if m not in ("completion", "completion_fast", "sparse_slice")]
REQUIRED = {
    "pcn",
    "pointnet_gru",
    "pointnet_lstm_hilbert",
    "folding",
    "psgn_depth",
    "multiview_gru",
}
IMAGE_MODELS = {"psgn_depth", "multiview_gru"}


def _compose(overrides):
    return compose_root(None, overrides)


def test_required_models_exist():
    assert REQUIRED <= set(MODELS)


@pytest.mark.parametrize("name", COMPOSED)
def test_named_model_instantiates_at_full_size(name):
    model = instantiate(_compose([f"+model={name}"]).model)
    kind = SingleViewReconstructor if name == "psgn_depth" else Reconstructor
    kind = MultiViewReconstructor if name == "multiview_gru" else kind
    assert isinstance(model, kind)
    if isinstance(model.refiner, SequenceRefiner):
        assert model.refiner.code_channels == model.encoder.out_channels
    if name in ("pcn", "pointnet_gru", "pointnet_lstm_hilbert"):
        assert model.decoder.num_points == 16384


@pytest.mark.parametrize("name", COMPOSED)
def test_small_named_model_shapes_and_gradients(name, small, check_grads, chamfer):
    cfg = small(_compose([f"+model={name}"]).model)
    torch.manual_seed(0)
    model = instantiate(cfg)
    B = 2
    if name in IMAGE_MODELS:
        out = model(images=torch.rand(B, 3, 32, 40))
    else:
        out = model(torch.rand(B, 48, 3) - 0.5, torch.tensor([48, 30]))
    n_steps = cfg.refiner.get("steps", 0) if "SequenceRefiner" in cfg.refiner._target_ else 0
    assert len(out.steps) == n_steps
    assert out.coarse.dim() == 3 and out.coarse.shape[0] == B and out.coarse.shape[2] == 3
    assert out.fine.shape[0] == B and out.fine.shape[2] == 3
    for s in out.steps:
        assert s.shape == out.fine.shape
    target = torch.rand(B, 40, 3)
    loss = chamfer(out.coarse, target).sum() + chamfer(out.fine, target).sum()
    loss = loss + sum(chamfer(s, target).sum() for s in out.steps)
    loss.backward()
    check_grads(model)


def test_completion_model_full_size_and_small_version_trains(check_grads, chamfer):
    from pointrecon.models import CompletionNet

    model = instantiate(_compose(["+model=completion"]).model)
    assert isinstance(model, CompletionNet)
    assert model.num_output_points(2048) == 16384
    assert model.steps == 2 and all(r.recurrent for r in model.refiners)
    cfg = _compose(
        ["+model=completion", "model.seeds_fc=8", "model.seeds_partial=8", "model.hidden=8",
         "model.encoder.out_channels=16", "model.encoder.point_channels=8",
         "model.encoder.hidden=8", "model.feat_channels=8", "model.up_factors=[2,2]"]
    ).model  # fmt: skip
    torch.manual_seed(0)
    small = instantiate(cfg)
    out = small(torch.rand(2, 48, 3) - 0.5)
    assert out.fine.shape == (2, 48 + 16 * 4, 3)
    target = torch.rand(2, 40, 3)
    (
        chamfer(out.coarse, target).sum() + sum(chamfer(s, target).sum() for s in out.steps)
    ).backward()
    check_grads(small)


def test_completion_fast_is_completion_with_the_cheaper_refiner_step():
    """completion_fast: the completion config with embed=sum, local=linear, local_k=2 and
    nothing else changed; it instantiates with those options in every recurrent step."""
    from pointrecon.models import CompletionNet

    base = _compose(["+model=completion"]).model
    fast = _compose(["+model=completion_fast"]).model
    assert (fast.embed, fast.local, fast.local_k) == ("sum", "linear", 2)
    changed = {k for k in set(base) | set(fast) if base.get(k) != fast.get(k)}
    assert changed == {"embed", "local", "local_k"}
    model = instantiate(fast)
    assert isinstance(model, CompletionNet) and model.num_output_points(2048) == 16384
    assert [(r.embed, r.local, r.local_k) for r in model.refiners] == [("sum", "linear", 2)] * 2
    assert all(r.recurrent and r.rnn.input_size == 3 + 64 for r in model.refiners)


def test_order_override_and_refiner_swap():
    cfg = _compose(["+model=pointnet_gru", "model.refiner.order=hilbert"])
    assert cfg.model.refiner.order == "hilbert"
    assert _compose(["+model=pointnet_lstm_hilbert"]).model.refiner.order == "hilbert"
    assert _compose(["+model=pointnet_gru"]).model.refiner.order == "morton"
    cfg = _compose(["+model=pointnet_gru", "model/refiner=identity"])
    assert instantiate(cfg.model).refiner(torch.rand(1, 4, 3), torch.rand(1, 1024)) == []


def test_fast_refiner_config_is_the_gru_with_conv_context_and_hidden_64():
    base = _compose(["+model=pointnet_gru"]).model.refiner
    fast = _compose(["+model=pointnet_gru", "model/refiner=gru_fast"]).model.refiner
    assert (fast.hidden, fast.local, fast.embed) == (64, "conv", "sum")
    assert (base.hidden, base.local, base.embed) == (128, "knn", "concat")
    same = {k for k in base if k not in ("hidden", "local", "embed")}
    assert all(fast[k] == base[k] for k in same)  # everything else is the gru config's
    refiner = instantiate(_compose(["+model=pointnet_gru", "model/refiner=gru_fast"]).model).refiner
    assert refiner.rnn.hidden_size == 64 and refiner.local == "conv" and refiner.embed == "sum"


def test_train_root_selects_models():
    for name in MODELS:
        cfg = compose_root("train", [f"model={name}"])
        assert cfg.model._target_.startswith("pointrecon.models.")
