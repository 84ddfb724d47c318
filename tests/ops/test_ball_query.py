"""ball_query vs its naive twin and the PointNet++ conventions."""

from __future__ import annotations

import pytest
import torch

from pointrecon.ops import ball_query, ball_query_naive

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("B, M, N, k", [(1, 1, 1, 1), (2, 30, 100, 8), (3, 17, 40, 50)])
@pytest.mark.parametrize("radius", [0.05, 0.2, 0.6])
@pytest.mark.parametrize("ragged", [False, True])
def test_matches_naive(device, B, M, N, k, radius, ragged):
    g = torch.Generator().manual_seed(0)
    c = torch.rand(B, M, 3, generator=g).to(device)
    p = torch.rand(B, N, 3, generator=g).to(device)
    pl = None
    if ragged:
        pl = torch.randint(1, N + 1, (B,), generator=g).to(device)
    a = ball_query(c, p, radius, k, points_lengths=pl, chunk_size=5)
    b = ball_query_naive(c, p, radius, k, points_lengths=pl)
    assert a.shape == (B, M, k)
    assert torch.equal(a, b)
    n = torch.full((B,), N) if pl is None else pl.cpu()
    assert bool((a.cpu() < n.view(B, 1, 1)).all()) and bool((a >= 0).all())


def test_hand_computed():
    p = torch.tensor([[[0.0, 0, 0], [0.5, 0, 0], [3, 0, 0], [0.1, 0, 0], [2, 0, 0]]])
    c = torch.tensor([[[0.0, 0, 0], [2.7, 0, 0], [10, 0, 0]]])
    idx = ball_query(c, p, 0.6, 4)
    assert idx[0, 0].tolist() == [0, 1, 3, 0]  # hits in index order, then repeat the first
    assert idx[0, 1].tolist() == [2, 2, 2, 2]  # one hit: |3-2.7| = 0.3, |2-2.7| = 0.7
    assert idx[0, 2].tolist() == [2, 2, 2, 2]  # no hit: the nearest point


def test_bad_input():
    p = torch.rand(2, 5, 3)
    with pytest.raises(ValueError, match="radius must be"):
        ball_query(p, p, -1.0, 3)
    with pytest.raises(ValueError, match="points_lengths must lie"):
        ball_query(p, p, 1.0, 3, points_lengths=torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="same batch size"):
        ball_query(p[:1], p, 1.0, 3)
