"""Point and image encoders."""

from pointrecon.models.encoders.dgcnn import DGCNN
from pointrecon.models.encoders.image_cnn import ImageCNN
from pointrecon.models.encoders.local_pointnet import LocalPointNet
from pointrecon.models.encoders.pointnet import PointNet
from pointrecon.models.encoders.pointnet2 import PointNet2
from pointrecon.models.encoders.set_abstraction import SetAbstraction
from pointrecon.models.encoders.tnet import TNet
from pointrecon.models.encoders.views import MultiViewEncoder, ViewEncoder

__all__ = [
    "DGCNN",
    "ImageCNN",
    "LocalPointNet",
    "MultiViewEncoder",
    "PointNet",
    "PointNet2",
    "SetAbstraction",
    "TNet",
    "ViewEncoder",
]
