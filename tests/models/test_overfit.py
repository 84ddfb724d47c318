"""Each model family learns one sample on CPU: CD-L1 falls at least 5x within a step budget."""

import math
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from pointrecon.cli._paths import conf_dir
from pointrecon.utils.instantiate import instantiate

CONF = Path(conf_dir())


def _target(n: int = 256) -> torch.Tensor:
    """A deterministic ellipsoid-with-a-bump surface sample, radius about 1, (1, n, 3)."""
    i = torch.arange(n, dtype=torch.float32) + 0.5
    phi = torch.acos(1 - 2 * i / n)
    theta = math.pi * (1 + 5**0.5) * i
    p = torch.stack([phi.sin() * theta.cos(), phi.sin() * theta.sin(), phi.cos()], -1)
    p = p * torch.tensor([1.0, 0.6, 0.4]) + 0.3 * torch.exp(-4 * (p[:, :1] - 1) ** 2) * p
    return p[None]


def _overfit(name, extra, small, chamfer, inputs, steps, lr=1e-2):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = small(compose(overrides=[f"+model={name}"]).model)
    for key, value in extra.items():
        OmegaConf.update(cfg, key, value)
    torch.manual_seed(0)
    model = instantiate(cfg)
    target = _target()
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    def cd(out):
        return chamfer(out.fine, target).mean()

    with torch.no_grad():
        start = cd(model(**inputs)).item()
    best = start
    for _ in range(steps):
        out = model(**inputs)
        loss = chamfer(out.coarse, target).mean() + sum(
            chamfer(s, target).mean() for s in out.steps
        )
        loss = loss + cd(out)
        opt.zero_grad()
        loss.backward()
        opt.step()
        best = min(best, cd(out).item())
        if best * 5 <= start:
            break
    assert best * 5 <= start, f"{name}: CD-L1 {start:.4f} -> {best:.4f} in {steps} steps"


def test_point_encoder_decoder_overfits_one_sample(small, chamfer):
    partial = _target()[:, :128]  # one half of the shape
    _overfit("pcn", {}, small, chamfer, {"partial": partial}, steps=150)


def test_folding_overfits_one_sample(small, chamfer):
    partial = _target()[:, :128]
    extra = {"decoder.num_points": 256, "decoder.hidden": 128, "encoder.norm": "none"}
    _overfit("folding", extra, small, chamfer, {"partial": partial}, steps=300)


def test_refiner_model_overfits_one_sample(small, chamfer):
    partial = _target()[:, :128]
    _overfit("pointnet_gru", {}, small, chamfer, {"partial": partial}, steps=150)


@pytest.mark.parametrize("name", ["psgn_depth", "multiview_gru"])
def test_image_model_overfits_one_sample(name, small, chamfer):
    g = torch.Generator().manual_seed(0)
    images = torch.rand(1, 2, 32, 32, generator=g)
    _overfit(name, {}, small, chamfer, {"images": images}, steps=400)
