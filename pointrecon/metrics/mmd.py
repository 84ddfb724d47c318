"""Minimal matching distance (MMD): the Chamfer distance from a completion to the nearest shape
of a reference set of complete clouds (PCN's metric for real scans without ground truth; the
KITTI cars are compared with the ShapeNet cars).

MMD(P) = min over R in the reference set of CD(P, R), with CD-L2 by default (as PCN, GRNet and
PoinTr report it on KITTI) or CD-L1. Lower is better; raw values (report x 1e3). It is slow in
the size of the reference set: the references are scored in chunks of ``chunk_size`` clouds at
a time (one batched Chamfer call per chunk), so memory stays bounded whatever the set's size.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from pointrecon.checks import accepts_point_batch, check_choice, check_int, check_points
from pointrecon.metrics.chamfer import (
    chamfer_l1,
    chamfer_l1_naive,
    chamfer_l2,
    chamfer_l2_naive,
)

DISTANCES = ("cd_l2", "cd_l1")


class MMD(NamedTuple):
    """Result of :func:`mmd`.

    Shapes:
        values: (B,) the Chamfer distance to the nearest reference
        index: (B,) int64, which reference it is
    """

    values: Tensor
    index: Tensor


def _check(pred: Tensor, reference: Tensor, distance: str) -> None:
    check_points("pred", pred)
    check_points("reference", reference)
    check_choice("distance", distance, DISTANCES)
    if reference.shape[0] < 1:
        raise ValueError("reference: expected at least one reference cloud, got 0")


@torch.no_grad()
@accepts_point_batch(pred="pred_lengths")
def mmd(
    pred: Tensor,
    reference: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    distance: str = "cd_l2",
    chunk_size: int = 64,
) -> MMD:
    """Chamfer distance of each completion to its nearest reference cloud, chunked.

    Args:
        pred: the completions.
        reference: the reference set of complete clouds (all of one size M; resample first).
        pred_lengths: valid counts of a ragged batch of completions.
        distance: ``"cd_l2"`` (default, as published on KITTI) or ``"cd_l1"``.
        chunk_size: reference clouds scored per batched Chamfer call.

    Shapes:
        pred: (B, N, 3)
        reference: (R, M, 3)
        pred_lengths: (B,) int64, optional
        returns: MMD(values (B,), index (B,))
    """
    _check(pred, reference, distance)
    check_int("chunk_size", chunk_size, minimum=1)
    fn = chamfer_l2 if distance == "cd_l2" else chamfer_l1
    reference = reference.to(pred.device, pred.dtype)
    values, index = [], []
    for b in range(pred.shape[0]):
        n = pred.shape[1] if pred_lengths is None else int(pred_lengths[b])
        if n < 1:
            raise ValueError(f"pred_lengths[{b}]: expected >= 1, got {n}")
        p = pred[b : b + 1, :n]
        best, best_i = torch.tensor(float("inf"), dtype=pred.dtype), -1
        for start in range(0, reference.shape[0], chunk_size):
            chunk = reference[start : start + chunk_size]
            d = fn(p.expand(len(chunk), -1, -1), chunk).cpu()
            i = int(torch.argmin(d))
            if d[i] < best:
                best, best_i = d[i], start + i
        values.append(best)
        index.append(best_i)
    return MMD(torch.stack(values), torch.tensor(index, dtype=torch.int64))


@torch.no_grad()
def mmd_naive(
    pred: Tensor,
    reference: Tensor,
    *,
    pred_lengths: Tensor | None = None,
    distance: str = "cd_l2",
) -> MMD:
    """Reference twin of :func:`mmd`: every (completion, reference) pair with ``torch.cdist``.

    Shapes:
        pred: (B, N, 3); reference: (R, M, 3); returns: MMD(values (B,), index (B,))
    """
    _check(pred, reference, distance)
    fn = chamfer_l2_naive if distance == "cd_l2" else chamfer_l1_naive
    values, index = [], []
    for b in range(pred.shape[0]):
        n = pred.shape[1] if pred_lengths is None else int(pred_lengths[b])
        d = torch.stack([fn(pred[b : b + 1, :n], r[None].to(pred))[0] for r in reference])
        i = int(torch.argmin(d))
        values.append(d[i].cpu())
        index.append(i)
    return MMD(torch.stack(values), torch.tensor(index, dtype=torch.int64))


__all__ = ["MMD", "mmd", "mmd_naive"]
