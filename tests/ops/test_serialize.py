"""serialize: vs its naive twin, permutation + inverse, locality, Hilbert adjacency."""

from __future__ import annotations

import pytest
import torch

from pointrecon.ops import gather_points, hilbert_encode, morton_encode, serialize, serialize_naive
from pointrecon.ops.curves import hilbert_encode_naive, morton_encode_naive

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
ORDERS = ["morton", "hilbert", "random", "none"]


def _cloud(B, N, seed=0, device="cpu"):
    return torch.rand(B, N, 3, generator=torch.Generator().manual_seed(seed)).to(device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "B, N, ragged, bits", [(1, 1, False, 10), (2, 64, True, 4), (3, 150, True, 10)]
)
def test_matches_naive_and_inverse_restores(device, order, B, N, ragged, bits):
    x = _cloud(B, N, device=device)
    lengths = None
    if ragged:
        lengths = torch.randint(0, N + 1, (B,), generator=torch.Generator().manual_seed(1))
        lengths[0] = N
        lengths = lengths.to(device)
    o, inv = serialize(
        x, order, lengths=lengths, bits=bits, generator=torch.Generator().manual_seed(5)
    )
    o2, inv2 = serialize_naive(
        x, order, lengths=lengths, bits=bits, generator=torch.Generator().manual_seed(5)
    )
    assert torch.equal(o, o2) and torch.equal(inv, inv2)
    ar = torch.arange(N, device=device).expand(B, N)
    assert torch.equal(o.sort(dim=1).values, ar)  # a permutation of each sample
    assert torch.equal(o.gather(1, inv), ar)
    seq = gather_points(x, o)
    assert torch.equal(gather_points(seq, inv), x)
    n = torch.full((B,), N) if lengths is None else lengths.cpu()
    for b in range(B):  # valid points first, padding last in input order
        assert bool((o[b, : n[b]] < n[b]).all())
        assert o[b, n[b] :].tolist() == list(range(int(n[b]), N))


@pytest.mark.parametrize("order, factor", [("morton", 5.0), ("hilbert", 6.0)])  # measured 8x, 10x
def test_consecutive_points_are_nearer_than_random(order, factor):
    x = _cloud(2, 4000, seed=2)

    def mean_step(o):
        seq = gather_points(x, o)
        return float((seq[:, 1:] - seq[:, :-1]).norm(dim=-1).mean())

    curve = mean_step(serialize(x, order)[0])
    rand = mean_step(serialize(x, "random", generator=torch.Generator().manual_seed(0))[0])
    assert rand > factor * curve, (order, curve, rand)


def test_hilbert_visits_face_adjacent_cells_morton_codes_known():
    bits = 3
    n = 1 << bits
    g = torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    for enc in (hilbert_encode, morton_encode):
        assert torch.equal(enc(g, bits).sort().values, torch.arange(n**3))  # bijection
    seq = g[hilbert_encode(g, bits).argsort()]
    assert bool(((seq[1:] - seq[:-1]).abs().sum(-1) == 1).all())
    assert morton_encode(
        torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [3, 3, 3]]), 2
    ).tolist() == [4, 2, 1, 63]


def test_codes_match_naive_on_random_cells():
    bits = 10
    g = torch.randint(0, 1 << bits, (300, 3), generator=torch.Generator().manual_seed(3))
    h, m = hilbert_encode(g, bits), morton_encode(g, bits)
    for i in range(300):
        c = [int(v) for v in g[i]]
        assert int(h[i]) == hilbert_encode_naive(*c, bits)
        assert int(m[i]) == morton_encode_naive(*c, bits)


def test_one_sort_for_the_batch_keeps_samples_apart():
    # identical clouds in every sample give identical per-sample orders
    x = _cloud(1, 100, seed=4).expand(4, 100, 3).contiguous()
    o, _ = serialize(x, "hilbert")
    assert all(torch.equal(o[0], o[b]) for b in range(4))


def test_empty_inputs():
    for shape in [(0, 5, 3), (2, 0, 3)]:
        o, inv = serialize(torch.rand(shape), "hilbert")
        assert o.shape == inv.shape == shape[:2]


def test_bad_input():
    x = _cloud(2, 10)
    with pytest.raises(ValueError, match="order must be one of"):
        serialize(x, "zorder")
    with pytest.raises(ValueError, match="bits must be an int"):
        serialize(x, bits=0)
    with pytest.raises(ValueError, match="lengths must lie"):
        serialize(x, lengths=torch.tensor([3, 11]))
    with pytest.raises(ValueError, match="grid coordinates must lie"):
        morton_encode(torch.tensor([[8, 0, 0]]), 3)
