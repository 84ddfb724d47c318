"""The fused Triton kernels compile for a GPU (NVIDIA sm_90) on a machine without one: Triton's
ahead-of-time compiler lowers them to PTX, which catches what the interpreter does not check
(types of loop-carried values, unsupported ops)."""

from __future__ import annotations

import inspect

import pytest

triton = pytest.importorskip("triton")


def _jit(kernel, monkeypatch):
    # Under TRITON_INTERPRET=1 the kernels are interpreter functions: re-jit the Python source.
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    fn = getattr(kernel, "fn", kernel)
    return triton.jit(fn)


def _compile(kernel, signature, constexprs, **options):
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    src = ASTSource(fn=kernel, signature=signature, constexprs=constexprs)
    try:
        compiled = triton.compile(src, target=GPUTarget("cuda", 90, 32), options=options)
    except RuntimeError as exc:  # no CUDA toolchain in this triton build
        if "ptxas" in str(exc).lower():
            pytest.skip(f"no ptxas for the CUDA target: {exc}")
        raise
    return compiled.asm["ptx"]


@pytest.mark.parametrize("k,dtype", [(1, "fp32"), (16, "bf16")])
def test_knn_kernel_compiles_for_cuda(monkeypatch, k, dtype):
    from pointrecon.ops import _triton_kernels as kernels

    kernel = _jit(kernels._knn_fwd_kernel, monkeypatch)
    assert list(inspect.signature(kernel.fn).parameters)[:2] == ["x_ptr", "y_ptr"]
    sig = {"x_ptr": f"*{dtype}", "y_ptr": f"*{dtype}", "xl_ptr": "*i64", "yl_ptr": "*i64",
           "dist_ptr": "*fp32", "idx_ptr": "*i64", "N": "i32", "M": "i32", "K": "constexpr",
           "KP": "constexpr", "BLOCK_N": "constexpr", "BLOCK_M": "constexpr"}  # fmt: skip
    consts = {"K": k, "KP": max(2, triton.next_power_of_2(k)), "BLOCK_N": 64, "BLOCK_M": 128}
    ptx = _compile(kernel, sig, consts, num_warps=4, num_stages=2)
    assert ".entry _knn_fwd_kernel" in ptx


def test_nearest_backward_kernel_compiles_for_cuda(monkeypatch):
    from pointrecon.ops import _triton_kernels as kernels

    kernel = _jit(kernels._nearest_bwd_kernel, monkeypatch)
    sig = {"x_ptr": "*fp32", "y_ptr": "*fp32", "idx_ptr": "*i64", "g_ptr": "*fp32",
           "gx_ptr": "*fp32", "gy_ptr": "*fp32", "N": "i32", "M": "i32", "BLOCK": "constexpr"}  # fmt: skip
    ptx = _compile(kernel, sig, {"BLOCK": 256})
    assert "atom.global" in ptx or "red.global" in ptx  # the scatter into grad_y
