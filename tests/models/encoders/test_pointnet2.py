import pytest
import torch

from pointrecon.models import PointNet2, SetAbstraction

LAYERS = [
    {"num_centers": 16, "radii": [0.3], "num_neighbors": [8], "mlps": [[16, 16]]},
    {"num_centers": 8, "radii": [0.4, 0.8], "num_neighbors": [4, 8], "mlps": [[16], [8, 24]]},
]


def _net(backend="dense", layers=LAYERS):
    torch.manual_seed(0)
    return PointNet2(layers, global_mlp=(32,), out_channels=20, backend=backend).eval()


def test_shapes_ssg_and_msg():
    x = torch.rand(2, 64, 3)
    assert _net(layers=LAYERS[:1])(x).code.shape == (2, 20)
    assert _net()(x).code.shape == (2, 20)
    assert _net().sa[1].out_channels == 16 + 24


def test_dense_and_pyg_backends_agree():
    pytest.importorskip("torch_geometric")
    x = torch.rand(2, 64, 3)
    dense, pyg = _net("dense"), _net("pyg")
    pyg.load_state_dict(dense.state_dict())
    torch.testing.assert_close(pyg(x).code, dense(x).code, atol=1e-5, rtol=1e-5)


def test_set_abstraction_matches_naive_loop():
    """Each centre's feature is max over its ball of MLP(p_j - c), checked point by point."""
    torch.manual_seed(1)
    sa = SetAbstraction(0, 6, [0.35], [5], [[8]], norm="none")
    x = torch.rand(1, 30, 3)
    centers, feats = sa(x)
    mlp = sa.mlps[0]
    for m in range(6):
        c = centers[0, m]
        d = (x[0] - c).norm(dim=-1)
        inside = x[0][d < 0.35][:5] if (d < 0.35).sum() else x[0][d.argmin()][None]
        ref = mlp(inside - c).max(0).values
        torch.testing.assert_close(feats[0, m], ref, atol=1e-5, rtol=1e-5)
    # centres are input points
    dmin = (centers[0, :, None] - x[0, None]).norm(dim=-1).min(1).values
    assert torch.all(dmin < 1e-6)


def test_gradients_reach_parameters(check_grads):
    net = PointNet2(LAYERS, global_mlp=(32,), out_channels=20)
    net(torch.rand(3, 64, 3)).code.square().sum().backward()
    check_grads(net)


def test_bad_config():
    with pytest.raises(ValueError, match="backend must be one of"):
        SetAbstraction(0, 4, [0.1], [4], [[8]], backend="cuda")
    with pytest.raises(ValueError, match="same length"):
        SetAbstraction(0, 4, [0.1, 0.2], [4], [[8]])
    with pytest.raises(ValueError, match="unknown keys"):
        PointNet2([{"num_centers": 4, "radius": 0.1}])


def test_ragged_batch_matches_samples_one_at_a_time():
    net = _net()
    a, b = torch.rand(1, 64, 3), torch.rand(1, 40, 3)
    padded = torch.cat([a, torch.cat([b, torch.full((1, 24, 3), 0.5)], 1)])
    code = net(padded, torch.tensor([64, 40])).code
    torch.testing.assert_close(code[0], net(a).code[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(code[1], net(b).code[0], atol=1e-5, rtol=1e-5)
