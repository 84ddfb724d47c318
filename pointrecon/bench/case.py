"""One benchmark case: a callable, a pool of inputs, and what to report about it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    """A function timed on a rotating pool of distinct random inputs.

    Cases with the same ``suite``, ``group`` and ``params`` are compared in one table row group;
    the one with ``reference=True`` (the naive twin) is the baseline of the speed-up column.

    Attributes:
        suite: ``ops``, ``models`` or ``train_step``.
        group: what is measured, e.g. ``knn``, ``chamfer_l2``, ``encoder/pointnet``.
        impl: which implementation, e.g. ``pointrecon``, ``naive``, ``scipy``, ``open3d``.
        params: the sizes (B, N, M, K, ...), recorded and used to match cases.
        make_inputs: ``seed -> tuple`` of positional arguments of ``fn``. Called ``pool`` times
            with distinct seeds; must produce random (never all-zero) data.
        fn: the timed call, ``fn(*inputs)``.
        backward: also time forward+backward (``loss(fn(*inputs)).backward()``).
        grad_args: indices of the arguments that require grad in the forward+backward mode.
        loss: maps the output to the scalar that is back-propagated (default: the sum of every
            floating tensor in the output).
        no_grad_forward: time the forward pass under ``torch.no_grad()``.
        before_each: untimed call before every run (e.g. ``model.zero_grad``).
        on_mode: untimed call with ``backward`` (False, then True) before each mode is timed,
            e.g. ``model.train(backward)`` so the forward pass is timed in eval mode.
        reference: the baseline of this comparison group.
        flops: FLOP count of the forward pass for the roofline column (chamfer, knn), or None.
        bytes: compulsory DRAM bytes of the forward pass, or None (compute-only roofline).
        backward_flops, backward_bytes: what the backward adds (forward+backward mode).
        dtype: recorded element type of the computation.
        shapes: recorded input shapes (filled from the first input when empty).
        skip: reason not to run (a peer not installed, the naive twin too large), or None.
        device: where this case runs when it differs from the run's device (CPU-only peers such
            as scipy on a GPU run are timed with the CPU clock and RSS); None: the run's device.
        tags: free-form extra metadata recorded in the JSON.
    """

    suite: str
    group: str
    impl: str
    params: dict[str, Any]
    make_inputs: Callable[[int], Sequence[Any]]
    fn: Callable[..., Any]
    backward: bool = True
    grad_args: tuple[int, ...] = (0,)
    loss: Callable[[Any], Any] | None = None
    no_grad_forward: bool = True
    before_each: Callable[[], None] | None = None
    on_mode: Callable[[bool], None] | None = None
    reference: bool = False
    flops: float | None = None
    bytes: float | None = None
    backward_flops: float = 0.0
    backward_bytes: float = 0.0
    dtype: str = "float32"
    shapes: dict[str, list[int]] = field(default_factory=dict)
    skip: str | None = None
    device: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stable identifier: ``suite/group/impl[k=v,...]``, used to match runs in ``compare``."""
        params = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.suite}/{self.group}/{self.impl}[{params}]"

    @property
    def comparison_key(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.suite}/{self.group}[{params}]"


def failed_case(suite: str, group: str, exc: BaseException) -> Case:
    """A case that records ``exc`` as an error when run (its factory could not build it)."""
    message = f"{type(exc).__name__}: {exc}"

    def make_inputs(seed: int) -> tuple:
        raise RuntimeError(f"could not build the case: {message}")

    return Case(suite=suite, group=group, impl="-", params={}, make_inputs=make_inputs, fn=print)
