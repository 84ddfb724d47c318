"""Refiners: the RNN over ordered point sequences (global and locally conditioned) and the
identity ablation."""

from pointrecon.models.refiners.identity import IdentityRefiner
from pointrecon.models.refiners.local_sequence import LocalSequenceRefiner
from pointrecon.models.refiners.sequence import SequenceRefiner

__all__ = ["IdentityRefiner", "LocalSequenceRefiner", "SequenceRefiner"]
