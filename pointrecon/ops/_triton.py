"""Whether the fused Triton kernels can run on a tensor (private).

Triton kernels run on CUDA tensors when ``triton`` imports, and on CPU tensors through the Triton
interpreter when the environment variable ``TRITON_INTERPRET=1`` was set before the kernels were
first imported (the interpreter is how they are tested without a GPU; it is slow, for small sizes).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor

F = TypeVar("F", bound=Callable)

#: The Triton kernels handle 3D points and at most this many neighbours (kept in registers).
MAX_K = 32


_HAS_TRITON: list[bool] = []  # filled on first use (a plain cache that torch.compile can trace)


def has_triton() -> bool:
    """True when ``import triton`` works."""
    if not _HAS_TRITON:
        try:
            import triton  # noqa: F401
            import triton.language  # noqa: F401

            _HAS_TRITON.append(True)
        except Exception:
            _HAS_TRITON.append(False)
    return _HAS_TRITON[0]


def interpreting() -> bool:
    """True when the Triton interpreter is switched on (``TRITON_INTERPRET=1``)."""
    return os.environ.get("TRITON_INTERPRET", "0").lower() in ("1", "true", "yes", "on")


def why_not(x: Tensor) -> str | None:
    """None when the Triton kernels can run on ``x``'s device, else the reason they cannot."""
    if not has_triton():
        return "the triton package is not installed (pip install 'pointrecon[dev]' or triton)"
    if x.device.type == "cuda":
        return None
    if x.device.type == "cpu" and interpreting():
        return None
    return (
        f"Triton kernels run on CUDA tensors, or on CPU tensors with TRITON_INTERPRET=1 set "
        f"before start-up; got a tensor on {x.device}"
    )


def usable(x: Tensor) -> bool:
    """True when the Triton kernels can run on ``x``'s device."""
    return why_not(x) is None


def eager(fn: F) -> F:
    """Run ``fn`` outside ``torch.compile`` graphs (a graph break around the kernel launch).

    Like ``torch.compiler.disable(fn)``, but it imports ``torch._dynamo`` only once something has
    imported it (i.e. when compiling is possible), so importing pointrecon stays light.
    """
    disabled: list[Callable] = []

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if "torch._dynamo" not in sys.modules:
            return fn(*args, **kwargs)
        if not disabled:
            disabled.append(torch.compiler.disable(fn))
        return disabled[0](*args, **kwargs)

    return wrapper  # type: ignore[return-value]
