import pytest
import torch

from pointrecon.models import PointNet, TNet


def _net(**kw):
    torch.manual_seed(0)
    return PointNet(hidden=(16, 32), out_channels=24, **kw).eval()


@pytest.mark.parametrize("second_stage", [(), (32, 48)])
@pytest.mark.parametrize("input_transform", [False, True])
def test_shapes_and_permutation_invariance(second_stage, input_transform):
    net = _net(second_stage=second_stage, input_transform=input_transform)
    x = torch.randn(3, 50, 3)
    out = net(x)
    assert out.code.shape == (3, 24) and out.point_feats.shape == (3, 50, 16)
    perm = torch.randperm(50)
    out_p = net(x[:, perm])
    torch.testing.assert_close(out_p.code, out.code, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out_p.point_feats, out.point_feats[:, perm])


def test_ragged_batch_matches_samples_one_at_a_time():
    net = _net(second_stage=(32,), input_transform=True)
    a, b = torch.randn(1, 40, 3), torch.randn(1, 25, 3)
    padded = torch.cat([a, torch.cat([b, torch.full((1, 15, 3), 99.0)], 1)])
    code = net(padded, torch.tensor([40, 25])).code
    torch.testing.assert_close(code[0], net(a).code[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(code[1], net(b).code[0], atol=1e-5, rtol=1e-5)


def test_max_pool_matches_hand_computed_features():
    net = PointNet(hidden=(4,), out_channels=4, norm="none")
    lin = net.local[0]
    x = torch.randn(2, 7, 3)
    expected = torch.relu(x @ lin.weight.T + lin.bias).max(1).values
    torch.testing.assert_close(net(x).code, expected)


def test_empty_sample_pools_to_zero_and_gradients_reach_parameters(check_grads):
    net = PointNet(hidden=(16, 32), second_stage=(32,), out_channels=24, input_transform=True)
    x = torch.randn(4, 30, 3)
    code = net(x).code
    code.square().sum().backward()
    check_grads(net)
    z = net.eval()(x[:2], torch.tensor([0, 30])).code
    # the pooled feature of an empty sample is 0, so the code is the projection's bias
    torch.testing.assert_close(z[0], net.proj.bias)


def test_tnet_starts_near_identity():
    t = TNet(3, hidden=(8, 16))
    m = t(torch.randn(2, 10, 3))
    torch.testing.assert_close(m, torch.eye(3).expand(2, 3, 3), atol=0.05, rtol=0)


def test_bad_input():
    net = _net()
    with pytest.raises(ValueError, match=r"points must have shape \(B, N, 3\), got \(2, 5\)"):
        net(torch.randn(2, 5))
    with pytest.raises(TypeError, match="lengths must be int64"):
        net(torch.randn(2, 5, 3), torch.tensor([5, 5], dtype=torch.int32))
    with pytest.raises(ValueError, match="hidden must list"):
        PointNet(hidden=())
