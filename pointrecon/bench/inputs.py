"""Helpers for case files: size grids, random inputs, optional peers."""

from __future__ import annotations

import importlib.util
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import torch


def grid(
    spec: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    defaults: Mapping[str, Any] | None = None,
) -> Iterator[dict]:
    """Cartesian product of a size spec: ``{"B": [2, 4], "N": [1024]}`` -> dicts.

    Scalars count as one-element lists; ``defaults`` fill keys the spec lacks; a key whose value
    is None is dropped (callers then derive it, e.g. ``M`` defaults to ``N``). A list of specs
    chains their products (for grids that are not rectangular).
    """
    if isinstance(spec, Sequence) and not isinstance(spec, (str, Mapping)):
        for part in spec:
            yield from grid(part, defaults)
        return
    merged = {**(defaults or {}), **dict(spec)}
    keys = [k for k, v in merged.items() if v is not None]
    values = [v if isinstance(v, (list, tuple)) else [v] for v in (merged[k] for k in keys)]
    for combo in itertools.product(*values):
        yield dict(zip(keys, combo))


def random_points(
    seed: int, batch: int, n: int, device: torch.device | str = "cpu", dtype=torch.float32
) -> torch.Tensor:
    """Uniform random points in the unit cube, distinct per ``seed`` (never zeros).

    Shapes:
        returns: (B, N, 3)
    """
    gen = torch.Generator().manual_seed(int(seed) * 7919 + batch * 31 + n)
    return torch.rand(batch, n, 3, generator=gen, dtype=torch.float32).to(device, dtype)


def random_numpy_points(seed: int, batch: int, n: int) -> np.ndarray:
    """The same points as :func:`random_points` as a float32 numpy array (B, N, 3)."""
    return random_points(seed, batch, n).numpy()


def has_module(name: str) -> bool:
    """Whether ``name`` is importable (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing(name: str) -> str | None:
    """A skip reason when the peer module ``name`` is not installed, else None."""
    return None if has_module(name) else f"{name} not installed"
