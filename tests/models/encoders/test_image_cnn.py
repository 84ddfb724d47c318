import pytest
import torch

from pointrecon.models import ImageCNN


def test_shapes_and_depth_mask_channel(check_grads):
    torch.manual_seed(0)
    net = ImageCNN(1, channels=(4, 8), out_channels=10)
    depth = torch.rand(3, 30, 40)
    assert net(depth).code.shape == (3, 10)
    assert net(depth[:, None]).code.shape == (3, 10)
    net(depth).code.square().sum().backward()
    check_grads(net)
    assert net.features[0].in_channels == 2  # depth + valid mask
    rgb = ImageCNN(3, channels=(4,), out_channels=6, depth_mask=False)
    assert rgb(torch.rand(2, 3, 16, 16)).code.shape == (2, 6)


def test_mask_channel_is_the_hit_mask():
    net = ImageCNN(1, channels=(2,), out_channels=2, norm="none").eval()
    seen = {}
    net.features[0].register_forward_hook(lambda m, i, o: seen.setdefault("x", i[0]))
    depth = torch.tensor([[[0.0, 1.5], [2.0, 0.0]]])
    net(depth)
    assert torch.equal(seen["x"][0, 1], torch.tensor([[0.0, 1.0], [1.0, 0.0]]))


def test_bad_input():
    net = ImageCNN(3, channels=(4,), out_channels=6)
    with pytest.raises(
        ValueError, match=r"images must have shape \(B, 3, H, W\), got \(2, 1, 8, 8\)"
    ):
        net(torch.rand(2, 1, 8, 8))
    with pytest.raises(TypeError, match="floating-point"):
        net(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
