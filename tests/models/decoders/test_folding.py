import pytest
import torch

from pointrecon.models import FoldingDecoder
from pointrecon.models.decoders._grid import grid_shape, make_grid


@pytest.mark.parametrize(
    ("n", "shape"), [(2025, (45, 45)), (64, (8, 8)), (50, (5, 10)), (7, (1, 7))]
)
def test_grid_shape(n, shape):
    assert grid_shape(n) == shape


def test_make_grid_is_regular_and_row_major():
    g = make_grid(2, 3, 1.0)
    expected = torch.tensor([[-1.0, -1.0], [-1.0, 0.0], [-1.0, 1.0], [1, -1], [1, 0], [1, 1]])
    torch.testing.assert_close(g, expected)


def test_shapes_two_folds_and_gradients(check_grads):
    torch.manual_seed(0)
    dec = FoldingDecoder(8, num_points=50, hidden=16)
    code = torch.randn(2, 8)
    out = dec(code)
    assert out.fine.shape == (2, 50, 3) and out.coarse is out.fine
    # point j of sample b is fold2([code_b, fold1([code_b, grid_j])])
    j = 13
    p1 = dec.fold1(torch.cat([code[1], dec.grid[j]]))
    torch.testing.assert_close(out.fine[1, j], dec.fold2(torch.cat([code[1], p1])))
    out.fine.square().sum().backward()
    check_grads(dec)
    with pytest.raises(ValueError, match="num_points"):
        FoldingDecoder(8, num_points=0)
