"""Shared pytest fixtures: the real-data folder, config composition and tiny training runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from pointrecon.config import compose as compose_root
from pointrecon.config import conf_dir

# Without a GPU, the fused Triton kernels run on CPU tensors through the Triton interpreter, so
# that their tests (tests/ops/test_knn_triton.py, ...) run in CI. The variable must be set before
# the kernels are first imported, which happens lazily at their first call.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

REPO = Path(__file__).resolve().parents[1]


def find_real_data_dir() -> Path | None:
    """The real test data folder: env POINTRECON_REAL_DATA, else <repo>/../shared/data/real."""
    env = os.environ.get("POINTRECON_REAL_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data" / "real"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """Path of the real-data folder (meshes/, pointclouds/); skips the test when it is absent."""
    path = find_real_data_dir()
    if path is None:
        where = os.environ.get("POINTRECON_REAL_DATA") or REPO.parent / "shared" / "data" / "real"
        pytest.skip(f"real data folder {where} not found (set POINTRECON_REAL_DATA)")
    return path


# a very small, deterministic CPU run (sizes are scaled further down by each test)
TINY = [
    "experiment=tiny",
    "debug=deterministic",
    "trainer.progress=false",
    "trainer.tensorboard=false",
    "trainer.render_every=0",
]


def compose_config(name: str, overrides: list[str] | None = None, **kw):
    return compose_root(name, list(overrides or []), **kw)


def load_data_config(name: str, root: Path, **overrides):
    """``conf/data/<name>.yaml`` inside a minimal root config, with ``data.root`` set;
    ``overrides`` maps dotted keys to values."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.create({"paths": {"data_dir": "/nonexistent", "cache_dir": "/nonexistent"}})
    cfg.data = OmegaConf.load(Path(conf_dir()) / "data" / f"{name}.yaml")
    cfg.data.root = str(root)
    for key, value in overrides.items():
        OmegaConf.update(cfg, key, value)
    return cfg


@pytest.fixture(scope="session")
def data_config() -> Callable[..., object]:
    """``data_config(name, root, **overrides)``: a data config with ``data.root`` set."""
    return load_data_config


@pytest.fixture(scope="session")
def compose() -> Callable[..., object]:
    """``compose(root_name, overrides, **kw)`` -> a composed config (Hydra compose API)."""
    return compose_config


@pytest.fixture(scope="session")
def tiny() -> list[str]:
    """Overrides of a tiny, deterministic, quiet CPU run."""
    return list(TINY)


@pytest.fixture(scope="session")
def data_cache(tmp_path_factory) -> Path:
    """One procedural-data cache for the whole session (data sets are generated once)."""
    return tmp_path_factory.mktemp("pointrecon_cache")


@pytest.fixture
def tiny_cfg(tmp_path, data_cache) -> Callable[..., object]:
    """``tiny_cfg(*overrides)`` -> a composed, tiny, deterministic train config in tmp_path."""

    def make(*overrides: str, root: Path | None = None):
        return compose_config(
            "train",
            [
                *TINY,
                f"paths.root_dir={root or tmp_path}",
                f"paths.cache_dir={data_cache}",
                *overrides,
            ],
        )

    return make


# ---------------------------------------------------------------- Triton kernels
def _triton_params():
    from pointrecon.ops._triton import has_triton, interpreting

    no_triton = pytest.mark.skipif(not has_triton(), reason="triton is not installed")
    return [
        pytest.param(
            "cpu",
            marks=[
                no_triton,
                pytest.mark.skipif(
                    not interpreting(), reason="TRITON_INTERPRET=1 is not set (set without CUDA)"
                ),
            ],
            id="cpu-interpreter",
        ),
        pytest.param(
            "cuda",
            marks=[
                no_triton,
                pytest.mark.cuda,
                pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
            ],
            id="cuda",
        ),
    ]


@pytest.fixture(params=_triton_params())
def triton_device(request) -> str:
    """Where a Triton kernel test runs: CUDA (marked ``cuda``) or the interpreter on CPU."""
    return request.param


def random_clouds(B, N, M, ragged, dtype=torch.float32, device="cpu", seed=0, empty=False):
    """Random (x, y, x_lengths, y_lengths) in [-1, 1]^3; ``empty`` makes one x and one y empty."""
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(B, N, 3, generator=g) * 2 - 1).to(dtype).to(device)
    y = (torch.rand(B, M, 3, generator=g) * 2 - 1).to(dtype).to(device)
    if not ragged:
        return x, y, None, None
    xl = torch.randint(1, N + 1, (B,), generator=g)
    yl = torch.randint(1, M + 1, (B,), generator=g)
    xl[0], yl[-1] = N, M
    if empty:
        xl[-1], yl[0] = 0, 0
    return x, y, xl.to(device), yl.to(device)


@pytest.fixture(scope="session")
def clouds() -> Callable[..., tuple]:
    """The :func:`random_clouds` factory."""
    return random_clouds


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every case parametrized with a CUDA device as ``cuda``, so ``pytest -m cuda`` runs the
    whole GPU path (ops, metrics, models, training steps) and nothing else."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(v, str) and v.startswith("cuda") for v in params.values()):
            item.add_marker(pytest.mark.cuda)
