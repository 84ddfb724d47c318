"""Ops and metrics take a PointBatch wherever they take a (points, lengths) pair."""

from __future__ import annotations

import pytest
import torch

from pointrecon.checks import accepts_point_batch, is_point_batch
from pointrecon.metrics import chamfer_l1, chamfer_l2, f_score
from pointrecon.metrics.dcd import density_aware_chamfer
from pointrecon.metrics.emd import emd, emd_exact
from pointrecon.metrics.fidelity import fidelity
from pointrecon.metrics.mmd import mmd
from pointrecon.ops import ball_query, fps, knn, nearest_sqdist, serialize
from pointrecon.types import PointBatch


def _ragged(seed: int, n: int, counts: list[int]) -> PointBatch:
    g = torch.Generator().manual_seed(seed)
    return PointBatch(torch.rand(len(counts), n, 3, generator=g), torch.tensor(counts))


A, B = _ragged(0, 24, [24, 17]), _ragged(1, 20, [11, 20])
E = _ragged(2, 26, [24, 17])  # the sizes of A, for EMD


def _same(x, y) -> None:
    if isinstance(x, tuple):
        for a, b in zip(x, y, strict=True):
            _same(a, b)
    else:
        torch.testing.assert_close(x, y, rtol=0, atol=0)


CASES = {
    "knn": (
        lambda: knn(A, B, 3),
        lambda: knn(A.points, B.points, 3, x_lengths=A.lengths, y_lengths=B.lengths),
    ),
    "nearest_sqdist": (
        lambda: nearest_sqdist(A, y=B),
        lambda: nearest_sqdist(A.points, B.points, x_lengths=A.lengths, y_lengths=B.lengths),
    ),
    "fps": (lambda: fps(A, 5), lambda: fps(A.points, 5, lengths=A.lengths)),
    "serialize": (
        lambda: serialize(A, "hilbert"),
        lambda: serialize(A.points, "hilbert", lengths=A.lengths),
    ),
    "ball_query": (
        lambda: ball_query(B.points, A, 0.3, 4),
        lambda: ball_query(B.points, A.points, 0.3, 4, points_lengths=A.lengths),
    ),
    "chamfer_l1": (
        lambda: chamfer_l1(A, B),
        lambda: chamfer_l1(A.points, B.points, pred_lengths=A.lengths, gt_lengths=B.lengths),
    ),
    "chamfer_l2": (
        lambda: chamfer_l2(pred=A, gt=B),
        lambda: chamfer_l2(A.points, B.points, pred_lengths=A.lengths, gt_lengths=B.lengths),
    ),
    "f_score": (
        lambda: f_score(A, B, 0.1),
        lambda: f_score(A.points, B.points, 0.1, pred_lengths=A.lengths, gt_lengths=B.lengths),
    ),
    "dcd": (
        lambda: density_aware_chamfer(A, B, alpha=50.0),
        lambda: density_aware_chamfer(
            A.points, B.points, alpha=50.0, pred_lengths=A.lengths, gt_lengths=B.lengths
        ),
    ),
    "emd_exact": (
        lambda: emd_exact(A, E),
        lambda: emd_exact(A.points, E.points, pred_lengths=A.lengths, gt_lengths=E.lengths),
    ),
    "emd": (
        lambda: emd(A, E),
        lambda: emd(A.points, E.points, pred_lengths=A.lengths, gt_lengths=E.lengths),
    ),
    "fidelity": (
        lambda: fidelity(A, B),
        lambda: fidelity(A.points, B.points, input_lengths=A.lengths, pred_lengths=B.lengths),
    ),
    "mmd": (
        lambda: mmd(A, B.points[:, :11]),
        lambda: mmd(A.points, B.points[:, :11], pred_lengths=A.lengths),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_point_batch_gives_the_result_of_its_points_and_lengths(name):
    with_batch, with_pair = CASES[name]
    _same(with_batch(), with_pair())


def test_lengths_change_the_result_so_they_are_really_passed():
    full = PointBatch(A.points)  # no lengths: every point valid, padding included
    assert not torch.equal(chamfer_l1(full, B), chamfer_l1(A, B))


def test_a_point_batch_and_its_lengths_given_twice_is_an_error():
    with pytest.raises(ValueError, match="pred is a PointBatch.*pred_lengths"):
        chamfer_l1(A, B, pred_lengths=A.lengths)
    with pytest.raises(ValueError, match="x is a PointBatch.*x_lengths"):
        knn(A, B, 2, x_lengths=A.lengths)


def test_the_decorator_names_a_missing_parameter():
    with pytest.raises(TypeError, match="'cloud'"):

        @accepts_point_batch(cloud="cloud_lengths")
        def f(points, lengths=None):
            return points

    assert is_point_batch(A) and not is_point_batch(A.points)
