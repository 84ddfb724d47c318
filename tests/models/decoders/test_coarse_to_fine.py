import torch

from pointrecon.models import CoarseToFine


def test_shapes_patch_layout_and_gradients(check_grads):
    torch.manual_seed(0)
    dec = CoarseToFine(8, num_coarse=5, grid_size=3, coarse_hidden=(16,), fold_hidden=(16,))
    code = torch.randn(2, 8)
    out = dec(code)
    assert out.coarse.shape == (2, 5, 3) and out.fine.shape == (2, 45, 3)
    # fine point i * G^2 + j = coarse_i + fold([grid_j, coarse_i, code])
    i, j = 3, 4
    x = torch.cat([dec.grid[j], out.coarse[1, i], code[1]])
    torch.testing.assert_close(out.fine[1, i * 9 + j], out.coarse[1, i] + dec.fold(x))
    (out.fine.square().sum() + out.coarse.square().sum()).backward()
    check_grads(dec)


def test_default_size_is_16384_points():
    dec = CoarseToFine(4, coarse_hidden=(8,), fold_hidden=(8,))
    assert dec.num_points == 16384
    assert dec(torch.randn(1, 4)).fine.shape == (1, 16384, 3)
