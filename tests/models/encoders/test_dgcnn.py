import pytest
import torch

from pointrecon.models import DGCNN


def _net(**kw):
    torch.manual_seed(0)
    return DGCNN(k=5, widths=(8, 16), emb_channels=24, out_channels=12, **kw).eval()


@pytest.mark.parametrize("dynamic", [False, True])
def test_shapes_and_permutation_invariance(dynamic):
    net = _net(dynamic=dynamic)
    x = torch.rand(2, 40, 3)
    out = net(x)
    assert out.code.shape == (2, 12) and out.point_feats.shape == (2, 40, 24)
    perm = torch.randperm(40)
    torch.testing.assert_close(net(x[:, perm]).code, out.code, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("dynamic", [False, True])
def test_dense_and_pyg_backends_agree(dynamic):
    pytest.importorskip("torch_geometric")
    x = torch.rand(2, 40, 3)
    dense, pyg = _net(dynamic=dynamic), _net(dynamic=dynamic, backend="pyg")
    pyg.load_state_dict(dense.state_dict())
    torch.testing.assert_close(pyg(x).code, dense(x).code, atol=1e-5, rtol=1e-5)


def test_first_edge_conv_matches_naive_loop():
    net = _net()
    x = torch.rand(1, 20, 3)
    feats = net(x).point_feats[0, :, :8]
    mlp = net.convs[0]
    d = (x[0, :, None] - x[0, None]).norm(dim=-1)
    for i in range(20):
        nbr = x[0][d[i].topk(5, largest=False).indices]
        xi = x[0, i].expand_as(nbr)
        ref = mlp(torch.cat([xi, nbr - xi], -1)).max(0).values
        torch.testing.assert_close(feats[i], ref, atol=1e-5, rtol=1e-5)


def test_ragged_batch_matches_samples_one_at_a_time():
    net = _net(dynamic=True)
    a, b = torch.rand(1, 30, 3), torch.rand(1, 18, 3)
    padded = torch.cat([a, torch.cat([b, torch.full((1, 12, 3), 0.5)], 1)])
    code = net(padded, torch.tensor([30, 18])).code
    torch.testing.assert_close(code[1], net(b).code[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(code[0], net(a).code[0], atol=1e-5, rtol=1e-5)


def test_gradients_reach_parameters_and_bad_input(check_grads):
    net = DGCNN(k=5, widths=(8, 16), emb_channels=24, out_channels=12, dynamic=True)
    net(torch.rand(3, 30, 3)).code.square().sum().backward()
    check_grads(net)
    with pytest.raises(ValueError, match="k must be >= 1, got 0"):
        DGCNN(k=0)
