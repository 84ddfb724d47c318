"""Fidelity and MMD, the metrics of completion on real scans: hand-computed cases, naive twins."""

from __future__ import annotations

import pytest
import torch

from pointrecon.metrics import fidelity, fidelity_naive, mmd, mmd_naive


def t(rows):
    return torch.tensor([rows], dtype=torch.float64)


@pytest.mark.parametrize("fn", [fidelity, fidelity_naive])
def test_fidelity_hand_computed(fn):
    # inputs at x = 0, 1, 3 on a line; output {0, 2}: distances 0, 1, 1 -> mean 2/3
    inputs = t([[0, 0, 0], [1, 0, 0], [3, 0, 0]])
    pred = t([[0, 0, 0], [2, 0, 0]])
    assert fn(inputs, pred).item() == pytest.approx(2 / 3, rel=1e-12)
    # not symmetric: from the output's side the distances are 0 and 1 -> 1/2
    assert fn(pred, inputs).item() == pytest.approx(0.5, rel=1e-12)
    # 3-4-5: one input at (3, 4, 0), output at the origin -> 5 (unsquared)
    assert fn(t([[3, 4, 0]]), t([[0, 0, 0]])).item() == pytest.approx(5.0)
    # every input point kept in the output -> 0
    assert fn(inputs, torch.cat([inputs, pred], 1)).item() == 0.0


def test_fidelity_matches_naive_on_ragged_batches():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(3, 30, 3, generator=g), torch.rand(3, 50, 3, generator=g)
    xl, yl = torch.tensor([30, 7, 1]), torch.tensor([50, 4, 50])
    torch.testing.assert_close(
        fidelity(x, y, input_lengths=xl, pred_lengths=yl),
        fidelity_naive(x, y, input_lengths=xl, pred_lengths=yl),
    )
    with pytest.raises(ValueError, match="reduction"):
        fidelity(x, y, reduction="avg")


@pytest.mark.parametrize("fn", [mmd, mmd_naive])
def test_mmd_hand_computed(fn):
    # completion: {0, (1,0,0)}; references: A = {(0,0,0.5), (1,0,0.5)} (each nearest 0.5 away)
    # CD-L2(P, A) = 0.25 + 0.25 = 0.5; B = P shifted by 0.1 in x:
    # P->B: 0 -> 0.1 (0.01), 1 -> 1.1 (0.01)... mean 0.01; B->P: 0.1 -> 0 (0.01), 1.1 -> 1 (0.01)
    # CD-L2(P, B) = 0.02; C far away. Nearest is B.
    pred = t([[0, 0, 0], [1, 0, 0]])
    ref = torch.tensor(
        [
            [[0, 0, 0.5], [1, 0, 0.5]],
            [[0.1, 0, 0], [1.1, 0, 0]],
            [[9, 9, 9], [8, 8, 8]],
        ],
        dtype=torch.float64,
    )
    res = fn(pred, ref)
    assert res.values.item() == pytest.approx(0.02, rel=1e-9)
    assert res.index.item() == 1
    # CD-L1: 0.5 * (0.1 + 0.1) = 0.1
    assert fn(pred, ref, distance="cd_l1").values.item() == pytest.approx(0.1, rel=1e-9)
    # without B the nearest is A, at 0.5
    res = fn(pred, ref[[0, 2]])
    assert (res.values.item(), res.index.item()) == (pytest.approx(0.5), 0)


@pytest.mark.parametrize("chunk_size", [1, 3, 64])
def test_mmd_chunks_agree_with_naive(chunk_size):
    g = torch.Generator().manual_seed(2)
    pred = torch.rand(2, 40, 3, generator=g)
    ref = torch.rand(10, 25, 3, generator=g)
    lengths = torch.tensor([40, 13])
    a = mmd(pred, ref, pred_lengths=lengths, chunk_size=chunk_size)
    b = mmd_naive(pred, ref, pred_lengths=lengths)
    torch.testing.assert_close(a.values, b.values)
    assert a.index.tolist() == b.index.tolist()


def test_mmd_bad_input():
    pred = torch.rand(1, 5, 3)
    with pytest.raises(ValueError, match="distance"):
        mmd(pred, torch.rand(2, 5, 3), distance="emd")
    with pytest.raises(ValueError, match="reference"):
        mmd(pred, torch.rand(2, 5))
    with pytest.raises(ValueError, match="chunk_size"):
        mmd(pred, torch.rand(2, 5, 3), chunk_size=0)
