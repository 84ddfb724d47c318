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
    pytest.importorskip("torch_geometric", reason="torch_geometric is not installed")
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


# ---------------------------------------------------------------------- colours, normals, interop
def _attributed():
    """Ragged clouds with colours that are exact in 8 bits, unit normals and 5-channel feats."""
    g = torch.Generator().manual_seed(1)
    ns = (5, 2, 7)
    pts = [torch.randn(n, 3, generator=g) for n in ns]
    cols = [torch.randint(0, 256, (n, 3), generator=g).float() / 255 for n in ns]
    nrm = [torch.nn.functional.normalize(torch.randn(n, 3, generator=g), dim=1) for n in ns]
    feats = [torch.randn(n, 5, generator=g) for n in ns]
    return PointBatch.from_list(pts, feats, colors=cols, normals=nrm)


def _assert_same(back, pb, feats=True):
    torch.testing.assert_close(back.points, pb.points, rtol=0, atol=0)
    torch.testing.assert_close(back.colors, pb.colors, rtol=0, atol=0)
    torch.testing.assert_close(back.normals, pb.normals, rtol=0, atol=0)
    assert (back.lengths is None) == (pb.lengths is None)
    if pb.lengths is not None:
        assert back.lengths.tolist() == pb.lengths.tolist()
    if feats:
        torch.testing.assert_close(back.feats, pb.feats, rtol=0, atol=0)


def test_colors_and_normals_are_padded_like_points():
    pb = _attributed()
    assert pb.colors.shape == pb.normals.shape == (3, 7, 3)
    assert torch.all(pb.colors[1, 2:] == 0) and torch.all(pb.normals[1, 2:] == 0)
    moved = pb.to(torch.float64)
    assert moved.colors.dtype == moved.normals.dtype == torch.float64


@pytest.mark.parametrize(
    "colors, expected",
    [
        (torch.tensor([[[255, 0, 51]]], dtype=torch.uint8), [[[1.0, 0.0, 0.2]]]),
        (torch.tensor([[[255.0, 0.0, 51.0]]]), [[[1.0, 0.0, 0.2]]]),  # float above 1: 0..255
        (torch.tensor([[[1.0, 0.0, 0.2]]]), [[[1.0, 0.0, 0.2]]]),  # float within [0, 1]: kept
        (torch.tensor([[[1, 0, 0]]], dtype=torch.uint8), [[[1 / 255, 0.0, 0.0]]]),  # int: 0..255
        (torch.tensor([[[1.0005, 0.0, 0.2]]]), [[[1.0, 0.0, 0.2]]]),  # rounding overshoot
    ],
)
def test_colour_rule_scales_0_255(colors, expected):
    pb = PointBatch(torch.zeros(1, 1, 3), colors=colors)
    assert pb.colors.dtype == torch.float32
    torch.testing.assert_close(pb.colors, torch.tensor(expected))


@pytest.mark.parametrize(
    "colors, fragment",
    [
        (torch.tensor([[[-0.1, 0.0, 0.0]]]), "non-negative"),
        (torch.tensor([[[256.0, 0.0, 0.0]]]), "[0, 1] or [0, 255]"),
        (torch.zeros(1, 1, 4), "colors must have shape (B, N, 3)"),
    ],
)
def test_bad_colours_raise(colors, fragment):
    with pytest.raises(ValueError) as info:
        PointBatch(torch.zeros(1, 1, 3), colors=colors)
    assert fragment in str(info.value)


def test_numpy_round_trip_with_attributes():
    pb = _attributed()
    rows = pb.to_arrays()
    assert sorted(rows[1]) == ["colors", "feats", "normals", "points"]
    assert rows[1]["colors"].shape == (2, 3)
    back = PointBatch.from_numpy(
        [r["points"] for r in rows],
        colors=[r["colors"] for r in rows],
        normals=[r["normals"] for r in rows],
        feats=[r["feats"] for r in rows],
    )
    _assert_same(back, pb)
    dense = PointBatch.from_numpy(
        np.zeros((1, 2, 3), np.float32), colors=np.array([[[255, 128, 0], [0, 0, 0]]], np.uint8)
    )
    np.testing.assert_allclose(dense.colors[0, 0].numpy(), [1.0, 128 / 255, 0.0], rtol=1e-6)


def test_open3d_legacy_round_trip_keeps_colours_and_normals_and_warns_on_feats():
    pb = _attributed()
    with pytest.warns(UserWarning, match=r"feats \(5 channels\) dropped"):
        clouds = pb.to_open3d()
    assert clouds[0].has_colors() and clouds[0].has_normals()
    _assert_same(PointBatch.from_open3d(clouds), pb, feats=False)
    assert PointBatch.from_open3d(clouds).feats is None


def test_open3d_tensor_round_trip_keeps_feats():
    import open3d as o3d

    pb = _attributed()
    clouds = pb.to_open3d(tensor=True)
    assert isinstance(clouds[0], o3d.t.geometry.PointCloud)
    assert tuple(clouds[2].point.feats.shape) == (7, 5)
    _assert_same(PointBatch.from_open3d(clouds), pb)


def test_open3d_tensor_uint8_colours_and_unknown_attributes():
    import open3d as o3d

    pc = o3d.t.geometry.PointCloud(o3d.core.Tensor(np.zeros((2, 3), np.float32)))
    pc.point.colors = o3d.core.Tensor(np.array([[255, 0, 0], [0, 51, 255]], np.uint8))
    pc.point.intensity = o3d.core.Tensor(np.ones((2, 1), np.float32))
    with pytest.warns(UserWarning, match=r"\['intensity'\].*dropped"):
        pb = PointBatch.from_open3d(pc)
    np.testing.assert_allclose(pb.colors[0].numpy(), [[1, 0, 0], [0, 0.2, 1]], rtol=1e-6)


def test_open3d_mixed_batch_raises():
    import open3d as o3d

    a = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.zeros((2, 3))))
    b = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.zeros((3, 3))))
    b.paint_uniform_color([1, 0, 0])
    with pytest.raises(
        ValueError, match=r"colors present on some clouds but missing on clouds \[0\]"
    ):
        PointBatch.from_open3d([a, b])
    with pytest.raises(TypeError, match="expected open3d"):
        PointBatch.from_open3d(np.zeros((2, 3)))


def test_trimesh_round_trip_keeps_everything():
    pb = _attributed()
    objs = pb.to_trimesh()
    assert np.asarray(objs[0].colors).dtype == np.uint8
    _assert_same(PointBatch.from_trimesh(objs), pb)


def test_trimesh_warns_when_colours_lose_precision():
    pb = PointBatch(torch.zeros(1, 1, 3), colors=torch.tensor([[[0.5, 0.0, 0.0]]]))
    with pytest.warns(UserWarning, match="quantised to 8 bits"):
        (obj,) = pb.to_trimesh()
    assert np.asarray(obj.colors)[0].tolist() == [128, 0, 0, 255]


def test_trimesh_mesh_vertex_colours_and_normals():
    import trimesh

    box = trimesh.creation.box()
    box.visual.vertex_colors = np.tile([255, 0, 51, 255], (len(box.vertices), 1)).astype(np.uint8)
    pb = PointBatch.from_trimesh(box)
    np.testing.assert_allclose(pb.colors[0].numpy(), np.tile([1, 0, 0.2], (8, 1)), rtol=1e-6)
    np.testing.assert_allclose(pb.normals[0].numpy(), box.vertex_normals, rtol=1e-6)


def test_pyg_round_trip_with_attributes():
    pytest.importorskip("torch_geometric", reason="torch_geometric is not installed")
    pb = _attributed()
    data = pb.to_pyg()
    assert data.color.shape == data.normal.shape == (14, 3) and data.x.shape == (14, 5)
    _assert_same(PointBatch.from_pyg(data), pb)
