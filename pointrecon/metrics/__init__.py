"""Reconstruction metrics: Chamfer L1/L2, F-Score, EMD, DCD, Fidelity, MMD; raw, per sample."""

from pointrecon.metrics._kernels import safe_sqrt
from pointrecon.metrics.chamfer import chamfer_l1, chamfer_l1_naive, chamfer_l2, chamfer_l2_naive
from pointrecon.metrics.dcd import density_aware_chamfer, density_aware_chamfer_naive
from pointrecon.metrics.emd import emd, emd_exact, emd_naive
from pointrecon.metrics.fidelity import fidelity, fidelity_naive
from pointrecon.metrics.fscore import FScore, f_score, f_score_naive
from pointrecon.metrics.mmd import MMD, mmd, mmd_naive

__all__ = [
    "FScore",
    "MMD",
    "chamfer_l1",
    "chamfer_l1_naive",
    "chamfer_l2",
    "chamfer_l2_naive",
    "density_aware_chamfer",
    "density_aware_chamfer_naive",
    "emd",
    "emd_exact",
    "emd_naive",
    "f_score",
    "f_score_naive",
    "fidelity",
    "fidelity_naive",
    "mmd",
    "mmd_naive",
    "safe_sqrt",
]
