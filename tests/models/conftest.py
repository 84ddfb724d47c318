"""Shared helpers for the model tests: a chamfer reference, small model settings, gradient checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig, OmegaConf

from pointrecon.cli._paths import conf_dir

CONF_DIR = Path(conf_dir())

NAMED_MODELS = (
    "pcn",
    "folding",
    "pointnet_gru",
    "pointnet_lstm_hilbert",
    "pointnet2_gru",
    "dgcnn_gru",
    "psgn_depth",
    "multiview_gru",
)

# Small settings per _target_, merged into a composed model config for CPU tests.
SMALL: dict[str, dict] = {
    "pointrecon.models.PointNet": {
        "hidden": [16, 32],
        "second_stage": [32, 64],
        "out_channels": 32,
    },
    "pointrecon.models.PointNet2": {
        "layers": [
            {"num_centers": 16, "radii": [0.4], "num_neighbors": [8], "mlps": [[16, 16]]},
            {"num_centers": 8, "radii": [0.5, 0.8], "num_neighbors": [4, 8], "mlps": [[16], [16]]},
        ],
        "global_mlp": [32],
        "out_channels": 32,
    },
    "pointrecon.models.DGCNN": {"k": 6, "widths": [16, 16], "emb_channels": 32, "out_channels": 32},
    "pointrecon.models.ImageCNN": {"channels": [8, 16], "out_channels": 32},
    "pointrecon.models.FCDecoder": {"num_points": 128, "hidden": [256]},
    "pointrecon.models.FoldingDecoder": {"num_points": 128, "hidden": 64},
    "pointrecon.models.CoarseToFine": {
        "num_coarse": 64,
        "grid_size": 2,
        "coarse_hidden": [256],
        "fold_hidden": [32],
    },
    "pointrecon.models.SequenceRefiner": {
        "hidden": 16,
        "feat_channels": 8,
        "window": 16,
        "steps": 2,
        "local_k": 4,
    },
    "pointrecon.models.MultiViewReconstructor": {"hidden": 16, "out_channels": 24},
}


def shrink(cfg: DictConfig) -> DictConfig:
    """A copy of a model config (resolved) with every component set to the SMALL settings."""
    root = OmegaConf.create({"model": OmegaConf.to_container(cfg, resolve=False)})
    model = root.model
    for node in [model, *(model[k] for k in ("encoder", "decoder", "refiner") if k in model)]:
        small = SMALL.get(node.get("_target_"), {})
        for key, value in small.items():
            node[key] = value
    return OmegaConf.create(OmegaConf.to_container(root.model, resolve=True))


def chamfer_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """CD-L1 per sample (docs/conventions.md), from pointrecon.metrics."""
    from pointrecon.metrics import chamfer_l1 as metric

    return metric(a, b)


def assert_all_grads(module: torch.nn.Module) -> None:
    """Every parameter received a finite gradient that is not identically zero."""
    for name, p in module.named_parameters():
        assert p.grad is not None, f"no gradient reached {name}"
        assert torch.isfinite(p.grad).all(), f"non-finite gradient in {name}"
        assert p.grad.abs().sum() > 0, f"gradient of {name} is all zero"


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest on one thread, and the CI machine's cores are shared."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def conf_dir() -> Path:
    return CONF_DIR


@pytest.fixture
def chamfer():
    return chamfer_l1


@pytest.fixture
def check_grads():
    return assert_all_grads


@pytest.fixture
def small():
    return shrink
