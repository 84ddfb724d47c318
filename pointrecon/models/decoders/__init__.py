"""Point decoders."""

from pointrecon.models.decoders.coarse_to_fine import CoarseToFine
from pointrecon.models.decoders.fc import FCDecoder
from pointrecon.models.decoders.folding import FoldingDecoder

__all__ = ["CoarseToFine", "FCDecoder", "FoldingDecoder"]
