"""Input validation for every public function and module: ops, metrics, losses, models, types.

Every check raises ``TypeError``/``ValueError`` with a message naming the argument, what was
received and what was expected. The argument order is always ``(name, value, ...)``.

Tensor conventions checked here (see ``docs/conventions.md``): point clouds are dense,
channels-last ``(B, N, 3)`` floating-point tensors; ragged batches carry ``lengths`` ``(B,)``
int64 with ``0 <= lengths[b] <= N`` (the valid points come first); global codes are ``(B, C)``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import Tensor

F = TypeVar("F", bound=Callable[..., Any])


def describe(x: Any) -> str:
    if isinstance(x, Tensor):
        return f"Tensor of shape {tuple(x.shape)}, dtype {x.dtype}, device {x.device}"
    return f"{type(x).__name__} {x!r}"[:200]


def check_points(name: str, x: Any, *, dims: int | None = 3) -> Tensor:
    """Check a floating (B, N, dims) tensor (any last size >= 1 for dims=None) and return it."""
    want = "D" if dims is None else dims
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, N, {want}), got {describe(x)}")
    if x.dim() != 3 or (x.shape[-1] != dims if dims is not None else x.shape[-1] < 1):
        raise ValueError(f"{name} must have shape (B, N, {want}), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def check_features(name: str, x: Any) -> Tensor:
    """Check a (B, N, C) tensor of any dtype and return it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, N, C), got {describe(x)}")
    if x.dim() != 3:
        raise ValueError(f"{name} must have shape (B, N, C), got {tuple(x.shape)}")
    return x


def check_same_batch(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same batch size B, got {a.shape[0]} and {b.shape[0]}"
        )
    if a.device != b.device:
        raise ValueError(f"{name_a} is on {a.device} but {name_b} is on {b.device}")
    if a.is_floating_point() and b.is_floating_point() and a.dtype != b.dtype:
        raise TypeError(f"{name_a} has dtype {a.dtype} but {name_b} has dtype {b.dtype}")


#: the reductions of the metrics and losses: per sample, mean or sum over the batch
REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: Any) -> str:
    """``reduction`` when it is one of :data:`REDUCTIONS`."""
    return check_choice("reduction", reduction, REDUCTIONS)


def check_lengths(
    name: str,
    lengths: Any,
    points: Tensor,
    *,
    allow_zero: bool = True,
    int32_ok: bool = True,
    values: bool = True,
) -> Tensor:
    """Return valid (B,) int64 lengths for ``points`` (B, N, ...); ``None`` means all N.

    ``int32_ok=False`` accepts int64 only; ``values=False`` skips the range check, which reads
    the values back to the host (models skip it so that a forward never synchronises).
    """
    B, N = points.shape[0], points.shape[1]
    if lengths is None:
        if not allow_zero and B and N == 0:
            raise ValueError(
                f"{name.replace('_lengths', '')} has no points (shape {tuple(points.shape)}); "
                "every sample needs at least one"
            )
        return torch.full((B,), N, dtype=torch.int64, device=points.device)
    if not isinstance(lengths, Tensor):
        raise TypeError(
            f"{name} must be a (B,) int64 torch.Tensor or None, got {describe(lengths)}"
        )
    if lengths.shape != (B,):
        raise ValueError(f"{name} must have shape (B,)=({B},), got {tuple(lengths.shape)}")
    if not int32_ok and lengths.dtype != torch.int64:
        raise TypeError(f"{name} must be int64, got dtype {lengths.dtype}")
    if lengths.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must be an integer tensor (int64), got dtype {lengths.dtype}")
    if lengths.device != points.device:
        raise ValueError(f"{name} is on {lengths.device} but the points are on {points.device}")
    lengths = lengths.long()
    if B and values:
        lo, hi = int(lengths.min()), int(lengths.max())
        low = 0 if allow_zero else 1
        if lo < low or hi > N:
            raise ValueError(f"{name} must lie in [{low}, N={N}], got min {lo} and max {hi}")
    return lengths


def check_batch(name: str, points: Any, lengths: Any = None) -> None:
    """A (B, N, 3) floating-point batch and its optional (B,) int64 ``lengths`` (shapes and
    dtypes only: nothing is read back from the device)."""
    check_points(name, points)
    if lengths is not None:
        check_lengths("lengths", lengths, points, int32_ok=False, values=False)


def check_code(name: str, code: Any, channels: int) -> Tensor:
    """A (B, channels) global code."""
    if not isinstance(code, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of shape (B, {channels}), got {describe(code)}"
        )
    if code.dim() != 2 or code.shape[1] != channels:
        raise ValueError(f"{name} must have shape (B, {channels}), got {tuple(code.shape)}")
    return code


def check_int(name: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_positive_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {describe(value)}")
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def valid_mask(lengths: Tensor, n: int) -> Tensor:
    """(B, n) bool, True where index < lengths[b]."""
    return torch.arange(n, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def sqdist3(p: Tensor, q: Tensor) -> Tensor:
    """Squared distance of broadcastable (..., 3) tensors, summed in a fixed order.

    The explicit x, y, z order makes the result bitwise identical between an op and its naive
    twin, whatever the shapes (used by fps).
    """
    d = p - q
    return d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]


def is_point_batch(value: Any) -> bool:
    """Whether ``value`` is a :class:`pointrecon.types.PointBatch` (checked without importing
    it: the class sets ``_is_point_batch``)."""
    return bool(getattr(type(value), "_is_point_batch", False))


def accepts_point_batch(**clouds: str) -> Callable[[F], F]:
    """Let a :class:`~pointrecon.types.PointBatch` stand for a ``(points, lengths)`` pair.

    ``@accepts_point_batch(pred="pred_lengths")`` makes ``f(pred=batch)`` call
    ``f(pred=batch.points, pred_lengths=batch.lengths)``. Giving the lengths argument as well
    raises ValueError: a PointBatch carries its own. Tensors pass through untouched.
    """

    def wrap(fn: F) -> F:
        sig = inspect.signature(fn)
        for cloud, lengths in clouds.items():
            if cloud not in sig.parameters or lengths not in sig.parameters:
                raise TypeError(f"{fn.__name__} has no parameter {cloud!r} or {lengths!r}")

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not any(map(is_point_batch, args)) and not any(map(is_point_batch, kwargs.values())):
                return fn(*args, **kwargs)
            bound = sig.bind(*args, **kwargs)
            for cloud, lengths in clouds.items():
                value = bound.arguments.get(cloud)
                if not is_point_batch(value):
                    continue
                if bound.arguments.get(lengths) is not None:
                    raise ValueError(
                        f"{cloud} is a PointBatch, which carries its own lengths; "
                        f"do not give {lengths} as well"
                    )
                bound.arguments[cloud] = value.points
                bound.arguments[lengths] = value.lengths
            return fn(*bound.args, **bound.kwargs)

        return inner  # type: ignore[return-value]

    return wrap
