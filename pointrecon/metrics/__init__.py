"""Reconstruction metrics (DESIGN §4): Chamfer L1/L2, F-Score, EMD; raw values, per sample."""

from pointrecon.metrics._kernels import safe_sqrt
from pointrecon.metrics.chamfer import chamfer_l1, chamfer_l1_naive, chamfer_l2, chamfer_l2_naive
from pointrecon.metrics.emd import emd, emd_exact, emd_naive
from pointrecon.metrics.fscore import FScore, f_score, f_score_naive

__all__ = [
    "FScore",
    "chamfer_l1",
    "chamfer_l1_naive",
    "chamfer_l2",
    "chamfer_l2_naive",
    "emd",
    "emd_exact",
    "emd_naive",
    "f_score",
    "f_score_naive",
    "safe_sqrt",
]
