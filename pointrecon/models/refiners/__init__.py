"""Refiners: the RNN over ordered point sequences and the identity ablation."""

from pointrecon.models.refiners.identity import IdentityRefiner
from pointrecon.models.refiners.sequence import SequenceRefiner

__all__ = ["IdentityRefiner", "SequenceRefiner"]
