"""Training losses; they call the metric kernels of :mod:`pointrecon.metrics`."""

from pointrecon.losses.chamfer import ChamferLoss
from pointrecon.losses.dcd import DCDLoss
from pointrecon.losses.emd import EMDLoss

__all__ = ["ChamferLoss", "DCDLoss", "EMDLoss"]
