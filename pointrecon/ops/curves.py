"""Space-filling-curve codes of integer 3D grid coordinates (Morton / Z-order and Hilbert).

Both work elementwise on int64 tensors of any leading shape, in vectorised torch, on any device.
Hilbert follows J. Skilling, "Programming the Hilbert curve" (AIP Conf. Proc. 707, 2004): the
axes are transformed in place into the "transposed" Hilbert index, whose bits are then interleaved
like a Morton code. Consecutive Hilbert codes are face-adjacent grid cells; Morton codes are not.
"""

from __future__ import annotations

import torch
from torch import Tensor

MAX_BITS = 20  # 3 * 20 = 60 bits of code, leaving room for the batch index


def _check(grid: Tensor, bits: int) -> None:
    if not isinstance(grid, Tensor) or grid.shape[-1:] != (3,):
        raise ValueError(f"grid must be an integer tensor of shape (..., 3), got {grid!r:.100}")
    if grid.dtype != torch.int64:
        raise TypeError(f"grid must be int64, got {grid.dtype}")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be an int in [1, {MAX_BITS}], got {bits!r}")
    if grid.numel() and (int(grid.min()) < 0 or int(grid.max()) >= (1 << bits)):
        raise ValueError(
            f"grid coordinates must lie in [0, 2**bits) = [0, {1 << bits}), "
            f"got min {int(grid.min())} and max {int(grid.max())}"
        )


def _interleave(a: Tensor, b: Tensor, c: Tensor, bits: int) -> Tensor:
    """Bit i of a, b, c goes to code bits 3i+2, 3i+1, 3i (a most significant in each triple)."""
    code = torch.zeros_like(a)
    for i in range(bits):
        code |= ((a >> i) & 1) << (3 * i + 2)
        code |= ((b >> i) & 1) << (3 * i + 1)
        code |= ((c >> i) & 1) << (3 * i)
    return code


def morton_encode(grid: Tensor, bits: int) -> Tensor:
    """Morton (Z-order) code: interleaved bits, x most significant in each triple.

    Shapes:
        grid: (..., 3) int64 in [0, 2**bits)
        returns: (...) int64 in [0, 2**(3*bits))
    """
    _check(grid, bits)
    return _interleave(grid[..., 0], grid[..., 1], grid[..., 2], bits)


def hilbert_encode(grid: Tensor, bits: int) -> Tensor:
    """Hilbert code (Skilling's transform, then bit interleaving).

    Shapes:
        grid: (..., 3) int64 in [0, 2**bits)
        returns: (...) int64 in [0, 2**(3*bits))
    """
    _check(grid, bits)
    x = [grid[..., 0].clone(), grid[..., 1].clone(), grid[..., 2].clone()]
    q = 1 << (bits - 1)
    while q > 1:  # inverse undo
        p = q - 1
        for i in range(3):
            on = (x[i] & q) != 0
            t = (x[0] ^ x[i]) & p
            x0_inv = x[0] ^ p
            x0_exc = x[0] ^ t
            xi_exc = x[i] ^ t
            if i == 0:
                x[0] = torch.where(on, x0_inv, x[0])
            else:
                x[0], x[i] = torch.where(on, x0_inv, x0_exc), torch.where(on, x[i], xi_exc)
        q >>= 1
    x[1] = x[1] ^ x[0]  # Gray encode
    x[2] = x[2] ^ x[1]
    t = torch.zeros_like(x[0])
    q = 1 << (bits - 1)
    while q > 1:
        t = torch.where((x[2] & q) != 0, t ^ (q - 1), t)
        q >>= 1
    return _interleave(x[0] ^ t, x[1] ^ t, x[2] ^ t, bits)


def morton_encode_naive(x: int, y: int, z: int, bits: int) -> int:
    """Reference twin of :func:`morton_encode` for one cell, in plain Python integers.

    Shapes:
        x, y, z: ints in [0, 2**bits); returns: int
    """
    code = 0
    for i in range(bits):
        code |= (
            ((x >> i) & 1) << (3 * i + 2)
            | ((y >> i) & 1) << (3 * i + 1)
            | ((z >> i) & 1) << (3 * i)
        )
    return code


def hilbert_encode_naive(x: int, y: int, z: int, bits: int) -> int:
    """Reference twin of :func:`hilbert_encode` for one cell: Skilling's scalar loops.

    Shapes:
        x, y, z: ints in [0, 2**bits); returns: int
    """
    X = [x, y, z]
    q = 1 << (bits - 1)
    while q > 1:
        p = q - 1
        for i in range(3):
            if X[i] & q:
                X[0] ^= p
            else:
                t = (X[0] ^ X[i]) & p
                X[0] ^= t
                X[i] ^= t
        q >>= 1
    for i in range(1, 3):
        X[i] ^= X[i - 1]
    t = 0
    q = 1 << (bits - 1)
    while q > 1:
        if X[2] & q:
            t ^= q - 1
        q >>= 1
    X = [v ^ t for v in X]
    return morton_encode_naive(X[0], X[1], X[2], bits)
