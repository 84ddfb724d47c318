"""PointBatch: validation, ragged batches, and conversions against hand-built references."""

import numpy as np
import pytest
import torch

from pointrecon.types import PointBatch


def _ragged():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, 3, generator=g) for n in (5, 2, 7)]


def test_from_list_pads_and_records_lengths():
    clouds = _ragged()
    pb = PointBatch.from_list(clouds)
    assert pb.points.shape == (3, 7, 3)
    assert pb.lengths.tolist() == [5, 2, 7]
    for b, c in enumerate(clouds):
        torch.testing.assert_close(pb[b], c)
        assert torch.all(pb.points[b, c.shape[0] :] == 0)
    assert pb.mask().sum(1).tolist() == [5, 2, 7]


def test_equal_sizes_have_no_lengths():
    pb = PointBatch.from_list([torch.ones(4, 3), torch.zeros(4, 3)])
    assert pb.lengths is None
    assert pb.counts().tolist() == [4, 4]


def test_packed_round_trip_matches_concatenation():
    clouds = _ragged()
    feats = [torch.arange(c.shape[0] * 2, dtype=torch.float32).view(-1, 2) for c in clouds]
    pb = PointBatch.from_list(clouds, feats)
    pos, batch, x = pb.to_packed()
    torch.testing.assert_close(pos, torch.cat(clouds))
    assert batch.tolist() == [0] * 5 + [1] * 2 + [2] * 7
    torch.testing.assert_close(x, torch.cat(feats))
    back = PointBatch.from_packed(pos, batch, x)
    torch.testing.assert_close(back.points, pb.points)
    torch.testing.assert_close(back.feats, pb.feats)
    assert back.lengths.tolist() == pb.lengths.tolist()


def test_pyg_round_trip():
    pytest.importorskip("torch_geometric")
    pb = PointBatch.from_list(_ragged())
    data = pb.to_pyg()
    assert data.num_graphs == 3
    torch.testing.assert_close(data.pos, torch.cat(pb.to_list()))
    back = PointBatch.from_pyg(data)
    torch.testing.assert_close(back.points, pb.points)


def test_numpy_round_trip():
    arr = np.random.default_rng(0).normal(size=(2, 6, 3)).astype(np.float32)
    pb = PointBatch.from_numpy(arr)
    assert pb.lengths is None
    np.testing.assert_array_equal(np.stack(pb.numpy()), arr)


@pytest.mark.parametrize(
    "kwargs, exc, fragment",
    [
        ({"points": np.zeros((1, 2, 3))}, TypeError, "points must be a torch.Tensor"),
        ({"points": torch.zeros(2, 3)}, ValueError, "(B, N, 3)"),
        ({"points": torch.zeros(1, 2, 4)}, ValueError, "got (1, 2, 4)"),
        ({"points": torch.zeros(1, 2, 3, dtype=torch.int64)}, TypeError, "floating-point"),
        ({"points": torch.zeros(2, 4, 3), "lengths": torch.tensor([1, 5])}, ValueError, "[0, N=4]"),
        ({"points": torch.zeros(2, 4, 3), "lengths": torch.tensor([1])}, ValueError, "(B,)"),
        (
            {"points": torch.zeros(2, 4, 3), "lengths": torch.tensor([1, 2], dtype=torch.int32)},
            TypeError,
            "int64",
        ),
        (
            {"points": torch.zeros(2, 4, 3), "feats": torch.zeros(2, 3, 5)},
            ValueError,
            "feats must have shape",
        ),
    ],
)
def test_validation_messages(kwargs, exc, fragment):
    with pytest.raises(exc) as info:
        PointBatch(**kwargs)
    assert fragment in str(info.value)


def test_from_packed_rejects_unsorted_batch():
    with pytest.raises(ValueError, match="sorted"):
        PointBatch.from_packed(torch.zeros(3, 3), torch.tensor([1, 0, 1]))
