"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
