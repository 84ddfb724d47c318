"""fps vs its naive twin (same indices from the same start) and its coverage of space."""

from __future__ import annotations

import pytest
import torch

from pointrecon.ops import fps, fps_naive

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _cloud(B, N, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(B, N, 3, generator=g).to(device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("B, N, k", [(1, 1, 1), (2, 50, 10), (3, 200, 64), (2, 17, 17)])
@pytest.mark.parametrize("ragged", [False, True])
def test_matches_naive(device, B, N, k, ragged):
    x = _cloud(B, N, device=device)
    lengths = None
    if ragged:
        lengths = torch.randint(1, N + 1, (B,), generator=torch.Generator().manual_seed(1))
        lengths[0] = N
        lengths = lengths.to(device)
    a = fps(x, k, lengths=lengths)
    b = fps_naive(x, k, lengths=lengths)
    assert a.shape == (B, k) and a.dtype == torch.int64
    assert torch.equal(a, b)
    n = torch.full((B,), N) if lengths is None else lengths.cpu()
    for bi in range(B):
        m = min(k, int(n[bi]))
        picked = a[bi, :m].cpu()
        assert len(set(picked.tolist())) == m  # distinct while points remain
        assert bool((picked < n[bi]).all())
        assert bool((a[bi, m:] == a[bi, 0]).all())  # extra slots repeat the start


def test_start_options_match_naive():
    x = _cloud(3, 80, seed=2)
    start = torch.tensor([5, 0, 79])
    a = fps(x, 12, start_idx=start)
    assert a[:, 0].tolist() == [5, 0, 79]
    assert torch.equal(a, fps_naive(x, 12, start_idx=start))
    a = fps(x, 12, start_idx="random", generator=torch.Generator().manual_seed(7))
    b = fps_naive(x, 12, start_idx="random", generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    starts = {tuple(fps(x, 1, start_idx="random").view(-1).tolist()) for _ in range(20)}
    assert len(starts) > 1  # random starts vary without a generator


def test_hand_computed():
    x = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [10, 0, 0], [5, 0, 0], [9, 0, 0]]])
    # from 0: farthest is 10 (idx 2); then 5 (idx 3, dist 5 to both); then 1 or 9 (dist 1): lower idx 1
    assert fps(x, 4).tolist() == [[0, 2, 3, 1]]


def test_covers_space_better_than_random():
    x = _cloud(1, 2000, seed=3)
    k = 64
    picked = x[0, fps(x, k)[0]]
    rand = x[0, torch.randperm(2000, generator=torch.Generator().manual_seed(0))[:k]]

    def min_pairwise(p):
        d = torch.cdist(p, p) + torch.eye(len(p)) * 1e9
        return float(d.min())

    assert min_pairwise(picked) > 3 * min_pairwise(rand)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(k=-1), ValueError, "k must be >= 0"),
        (dict(k=2, lengths=torch.tensor([0, 3])), ValueError, "lengths must lie in"),
        (dict(k=2, start_idx=9), ValueError, "start_idx must lie in"),
        (dict(k=2, start_idx="first"), ValueError, "start_idx must be"),
        (dict(k=2, start_idx=1.0), TypeError, "start_idx must be"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fps(_cloud(2, 5), **kwargs)
