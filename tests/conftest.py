"""Shared pytest fixtures: the real-data folder, config composition and tiny training runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pointrecon.config import compose as compose_root
from pointrecon.config import conf_dir

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
