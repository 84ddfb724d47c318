import pytest
import torch

from pointrecon.models import FCDecoder


def test_shapes_values_and_gradients(check_grads):
    torch.manual_seed(0)
    dec = FCDecoder(8, num_points=10, hidden=(16,))
    code = torch.randn(3, 8)
    out = dec(code)
    assert out.coarse.shape == (3, 10, 3) and out.fine is out.coarse
    l1, l2 = dec.mlp[0], dec.mlp[2]
    ref = (torch.relu(code @ l1.weight.T + l1.bias) @ l2.weight.T + l2.bias).view(3, 10, 3)
    torch.testing.assert_close(out.fine, ref)
    out.fine.square().sum().backward()
    check_grads(dec)


def test_bad_code():
    dec = FCDecoder(8, num_points=10)
    with pytest.raises(ValueError, match=r"code must have shape \(B, 8\), got \(3, 7\)"):
        dec(torch.randn(3, 7))
