"""The identity refiner: :class:`SequenceRefiner` with ``steps=0`` (no step, no parameters).

Shapes:
    points: (B, M, 3), code: (B, C) -> []
"""

from __future__ import annotations

from pointrecon.models.refiners.sequence import SequenceRefiner


class IdentityRefiner(SequenceRefiner):
    """``SequenceRefiner(code_channels, steps=0, order=order)``: returns no steps, so a
    reconstructor's ``fine`` is the decoder's output. Configs use ``refiner=identity``
    (the GRU refiner with ``steps: 0``); this name loads configs that spell it out.

    Args:
        code_channels: C of the global code (checked at forward).
        order: the point order (unused with no step).
    """

    def __init__(self, code_channels: int = 1, order: str = "morton") -> None:
        super().__init__(int(code_channels), steps=0, order=order)
