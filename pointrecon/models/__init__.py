"""Models: point encoders (PointNet, PointNet++, DGCNN), an image CNN, point decoders (FC,
folding, coarse-to-fine), refiners (RNN over ordered point sequences, identity) and the
reconstructors composing them, and the sparse-slice completion model."""

from pointrecon.models.completion import CompletionNet
from pointrecon.models.decoders import CoarseToFine, FCDecoder, FoldingDecoder
from pointrecon.models.encoders import (
    DGCNN,
    ImageCNN,
    LocalPointNet,
    MultiViewEncoder,
    PointNet,
    PointNet2,
    SetAbstraction,
    TNet,
    ViewEncoder,
)
from pointrecon.models.outputs import DecoderOutput, EncoderOutput, ReconOutput
from pointrecon.models.reconstructor import (
    MultiViewReconstructor,
    Reconstructor,
    SingleViewReconstructor,
)
from pointrecon.models.refiners import IdentityRefiner, LocalSequenceRefiner, SequenceRefiner
from pointrecon.models.sparse_slice import SparseSliceNet

__all__ = [
    "DGCNN",
    "CoarseToFine",
    "CompletionNet",
    "DecoderOutput",
    "EncoderOutput",
    "FCDecoder",
    "FoldingDecoder",
    "IdentityRefiner",
    "LocalSequenceRefiner",
    "ImageCNN",
    "LocalPointNet",
    "MultiViewEncoder",
    "MultiViewReconstructor",
    "PointNet",
    "PointNet2",
    "ReconOutput",
    "Reconstructor",
    "SequenceRefiner",
    "SetAbstraction",
    "SingleViewReconstructor",
    "SparseSliceNet",
    "TNet",
    "ViewEncoder",
]
