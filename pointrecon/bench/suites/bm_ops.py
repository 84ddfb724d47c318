"""Point-op benchmarks: knn, fps, serialize, chamfer, emd against naive twins and peers.

Run with the suite (``pointrecon bench bench=ops``) or alone: ``python -m pointrecon.bench.suites.bm_ops
[hydra overrides]``. Sizes come from ``pointrecon/conf/bench/sizes/<preset>.yaml`` (key ``ops``).

Peers, each timed where it runs (CPU peers with the CPU clock on a GPU run): scipy ``cKDTree``,
Open3D ``KDTreeFlann`` (one Python call per query point) and ``core.nns.NearestNeighborSearch``,
``fpsample``, ``torch_cluster`` (what PyG's ``knn``/``fps`` call). A peer that is not installed
is recorded as skipped with the reason. Chamfer's reference is the naive ``torch.cdist`` form
(the full B x N x M matrix, kept for backward); ``pointrecon`` is ``backend="auto"`` (the fused
Triton kernels on CUDA when triton imports, the kd-tree on CPU) and ``pointrecon-chunked`` the
chunked brute-force path (``backend="brute"``).

Roofline (knn, chamfer): FLOPs and bytes per case come from :mod:`pointrecon.bench.roofline`:
8 FLOPs per point pair per direction; compulsory bytes = both clouds read once per direction plus
the distances and indices written; the backward adds 15 FLOPs and its gathers and scatters per
query point (per neighbour for knn).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np
import torch

from pointrecon.bench.case import Case, failed_case
from pointrecon.bench.inputs import grid, missing, random_numpy_points, random_points
from pointrecon.bench.roofline import nearest_backward_cost, pair_bytes, pair_flops

SUITE = "ops"
CPU = "cpu"


def _too_big(pairs: float, limit: float | None, what: str) -> str | None:
    if limit is not None and pairs > float(limit):
        return f"{what}: {pairs:.3g} point pairs above the limit {float(limit):.3g}"
    return None


# ---------------------------------------------------------------- peers (numpy / Open3D / PyG)
def _scipy_knn(x: np.ndarray, y: np.ndarray, k: int) -> list:
    from scipy.spatial import cKDTree

    return [cKDTree(y[b]).query(x[b], k=k, workers=-1) for b in range(x.shape[0])]


def _o3d_nns_knn(x: np.ndarray, y: np.ndarray, k: int) -> list:
    import open3d as o3d

    out = []
    for b in range(x.shape[0]):
        nns = o3d.core.nns.NearestNeighborSearch(o3d.core.Tensor(y[b]))
        nns.knn_index()
        out.append(nns.knn_search(o3d.core.Tensor(x[b]), k))
    return out


def _o3d_flann_knn(x: np.ndarray, y: np.ndarray, k: int) -> list:
    import open3d as o3d

    out = []
    for b in range(x.shape[0]):
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(y[b].astype(np.float64)))
        tree = o3d.geometry.KDTreeFlann(cloud)
        out.append([tree.search_knn_vector_3d(q, k) for q in x[b].astype(np.float64)])
    return out


def _torch_cluster_knn(x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    import torch_cluster

    B, N, _ = x.shape
    M = y.shape[1]
    bx = torch.arange(B, device=x.device).repeat_interleave(N)
    by = torch.arange(B, device=y.device).repeat_interleave(M)
    return torch_cluster.knn(y.reshape(-1, 3), x.reshape(-1, 3), k, by, bx)


def _torch_cluster_fps(points: torch.Tensor, k: int) -> torch.Tensor:
    import torch_cluster

    B, N, _ = points.shape
    batch = torch.arange(B, device=points.device).repeat_interleave(N)
    return torch_cluster.fps(points.reshape(-1, 3), batch, ratio=k / N, random_start=False)


def _fpsample(points: np.ndarray, k: int) -> list:
    import fpsample

    return [fpsample.bucket_fps_kdline_sampling(p, k, h=7, start_idx=0) for p in points]


# ---------------------------------------------------------------- chamfer references
def chamfer_cdist(x: torch.Tensor, y: torch.Tensor, kind: str) -> torch.Tensor:
    """Naive Chamfer through ``torch.cdist``: holds the (B, N, M) matrix for backward.

    Shapes:
        x: (B, N, 3)
        y: (B, M, 3)
        returns: (B,)
    """
    d = torch.cdist(x, y)
    if kind == "l2":
        d = d * d
        return d.min(2).values.mean(1) + d.min(1).values.mean(1)
    return 0.5 * (d.min(2).values.mean(1) + d.min(1).values.mean(1))


def _scipy_chamfer(x: np.ndarray, y: np.ndarray, kind: str) -> np.ndarray:
    from scipy.spatial import cKDTree

    out = []
    for b in range(x.shape[0]):
        dxy = cKDTree(y[b]).query(x[b], k=1, workers=-1)[0]
        dyx = cKDTree(x[b]).query(y[b], k=1, workers=-1)[0]
        if kind == "l2":
            out.append((dxy**2).mean() + (dyx**2).mean())
        else:
            out.append(0.5 * (dxy.mean() + dyx.mean()))
    return np.asarray(out)


# ---------------------------------------------------------------- case factories
def knn_cases(spec: Any, device: torch.device, limits: dict) -> list[Case]:
    from pointrecon.ops import knn, knn_naive

    has_backend = "backend" in inspect.signature(knn).parameters
    cases = []
    for p in grid(spec, {"B": 2, "N": 1024, "M": None, "K": [1, 8, 16]}):
        p.setdefault("M", p["N"])
        B, N, M, K = p["B"], p["N"], p["M"], p["K"]
        flops = pair_flops(B, N, M, 1)
        bflops, bbytes = nearest_backward_cost(B, N, M, 1)
        cost = dict(
            flops=flops,
            bytes=pair_bytes(B, N, M, 1, k=K),
            backward_flops=K * bflops,
            backward_bytes=K * bbytes,
        )
        pair = lambda s, B=B, N=N, M=M: (  # noqa: E731
            random_points(2 * s, B, N, device),
            random_points(2 * s + 1, B, M, device),
        )
        npair = lambda s, B=B, N=N, M=M: (  # noqa: E731
            random_numpy_points(2 * s, B, N),
            random_numpy_points(2 * s + 1, B, M),
        )
        common = dict(suite=SUITE, group="knn", params=p, grad_args=(0, 1), **cost)
        cases.append(
            Case(
                impl="pointrecon",
                make_inputs=pair,
                fn=lambda x, y, K=K: knn(x, y, K).dists,
                **common,
            )
        )
        if has_backend:
            cases.append(
                Case(
                    impl="pointrecon-brute",
                    make_inputs=pair,
                    fn=lambda x, y, K=K: knn(x, y, K, backend="brute").dists,
                    **common,
                )
            )
        cases.append(
            Case(
                impl="naive",
                make_inputs=pair,
                fn=lambda x, y, K=K: knn_naive(x, y, K).dists,
                reference=True,
                skip=_too_big(B * N * M, limits.get("naive_max_pairs"), "naive"),
                **common,
            )
        )
        peer = dict(common, backward=False, device=CPU, make_inputs=npair)
        cases.append(
            Case(
                impl="scipy-ckdtree",
                fn=lambda x, y, K=K: _scipy_knn(x, y, K),
                skip=missing("scipy"),
                **peer,
            )
        )
        cases.append(
            Case(
                impl="open3d-nns",
                fn=lambda x, y, K=K: _o3d_nns_knn(x, y, K),
                skip=missing("open3d"),
                **peer,
            )
        )
        loop_skip = missing("open3d") or _too_big(
            B * N, limits.get("loop_max_queries"), "python loop"
        )
        cases.append(
            Case(
                impl="open3d-kdtreeflann",
                fn=lambda x, y, K=K: _o3d_flann_knn(x, y, K),
                skip=loop_skip,
                **peer,
            )
        )
        cases.append(
            Case(
                impl="torch_cluster",
                make_inputs=pair,
                fn=lambda x, y, K=K: _torch_cluster_knn(x, y, K),
                skip=missing("torch_cluster"),
                **dict(common, backward=False),
            )
        )
    return cases


def fps_cases(spec: Any, device: torch.device, limits: dict) -> list[Case]:
    from pointrecon.ops import fps, fps_naive

    cases = []
    for p in grid(spec, {"B": 2, "N": 4096, "K": 512}):
        B, N, K = p["B"], p["N"], p["K"]
        pts = lambda s, B=B, N=N: (random_points(s, B, N, device),)  # noqa: E731
        common = dict(suite=SUITE, group="fps", params=p, backward=False)
        cases.append(
            Case(impl="pointrecon", make_inputs=pts, fn=lambda x, K=K: fps(x, K), **common)
        )
        cases.append(
            Case(
                impl="naive",
                make_inputs=pts,
                fn=lambda x, K=K: fps_naive(x, K),
                reference=True,
                skip=_too_big(B * N * K, limits.get("fps_naive_max_work"), "naive (B*N*K)"),
                **common,
            )
        )
        cases.append(
            Case(
                impl="fpsample",
                make_inputs=lambda s, B=B, N=N: (random_numpy_points(s, B, N),),
                fn=lambda x, K=K: _fpsample(x, K),
                skip=missing("fpsample"),
                device=CPU,
                **common,
            )
        )
        cases.append(
            Case(
                impl="torch_cluster",
                make_inputs=pts,
                fn=lambda x, K=K: _torch_cluster_fps(x, K),
                skip=missing("torch_cluster"),
                **common,
            )
        )
    return cases


def serialize_cases(spec: Any, device: torch.device, limits: dict) -> list[Case]:
    from pointrecon.ops import serialize, serialize_naive

    cases = []
    for p in grid(spec, {"B": 2, "N": 8192, "order": ["morton", "hilbert"]}):
        B, N, order = p["B"], p["N"], p["order"]
        pts = lambda s, B=B, N=N: (random_points(s, B, N, device),)  # noqa: E731
        common = dict(suite=SUITE, group="serialize", params=p, backward=False, make_inputs=pts)
        cases.append(Case(impl="pointrecon", fn=lambda x, o=order: serialize(x, o), **common))
        cases.append(
            Case(
                impl="naive",
                fn=lambda x, o=order: serialize_naive(x, o),
                reference=True,
                skip=_too_big(B * N, limits.get("naive_max_points"), "naive"),
                **common,
            )
        )
    return cases


def chamfer_cases(spec: Any, device: torch.device, limits: dict) -> list[Case]:
    from pointrecon import metrics

    cases = []
    for p in grid(spec, {"B": 4, "N": 8192, "M": None, "kind": ["l1", "l2"]}):
        p.setdefault("M", p["N"])
        B, N, M, kind = p["B"], p["N"], p["M"], p["kind"]
        fast = getattr(metrics, f"chamfer_{kind}")
        naive = getattr(metrics, f"chamfer_{kind}_naive", None)
        pair = lambda s, B=B, N=N, M=M: (  # noqa: E731
            random_points(2 * s, B, N, device),
            random_points(2 * s + 1, B, M, device),
        )
        common = dict(suite=SUITE, group=f"chamfer_{kind}", params=p, grad_args=(0, 1))
        bflops, bbytes = nearest_backward_cost(B, N, M, 2)
        common.update(
            flops=pair_flops(B, N, M, 2),
            bytes=pair_bytes(B, N, M, 2),
            backward_flops=bflops,
            backward_bytes=bbytes,
        )
        too_big = _too_big(B * N * M, limits.get("naive_max_pairs"), "naive")
        cases.append(Case(impl="pointrecon", make_inputs=pair, fn=fast, **common))
        if "backend" in inspect.signature(fast).parameters:
            cases.append(
                Case(
                    impl="pointrecon-chunked",
                    make_inputs=pair,
                    fn=lambda x, y, fast=fast: fast(x, y, backend="brute"),
                    **common,
                )
            )
        cases.append(
            Case(
                impl="cdist",
                make_inputs=pair,
                fn=lambda x, y, kind=kind: chamfer_cdist(x, y, kind),
                reference=True,
                skip=too_big,
                **common,
            )
        )
        if naive is not None:
            cases.append(Case(impl="naive", make_inputs=pair, fn=naive, skip=too_big, **common))
        cases.append(
            Case(
                impl="scipy-ckdtree",
                make_inputs=lambda s, B=B, N=N, M=M: (
                    random_numpy_points(2 * s, B, N),
                    random_numpy_points(2 * s + 1, B, M),
                ),
                fn=lambda x, y, kind=kind: _scipy_chamfer(x, y, kind),
                skip=missing("scipy"),
                device=CPU,
                **dict(common, backward=False),
            )
        )
    return cases


def emd_cases(spec: Any, device: torch.device, limits: dict) -> list[Case]:
    from pointrecon.metrics import emd, emd_exact

    cases = []
    for p in grid(spec, {"B": 2, "N": 256}):
        B, N = p["B"], p["N"]
        pair = lambda s, B=B, N=N: (  # noqa: E731
            random_points(2 * s, B, N, device),
            random_points(2 * s + 1, B, N, device),
        )
        common = dict(suite=SUITE, group="emd", params=p, grad_args=(0,), make_inputs=pair)
        cases.append(Case(impl="pointrecon-approx", fn=emd, **common))
        cases.append(
            Case(
                impl="exact-lsa",
                fn=emd_exact,
                reference=True,
                backward=False,
                skip=_too_big(B * N * N, limits.get("exact_emd_max_pairs"), "exact"),
                **common,
            )
        )
    return cases


FACTORIES = {
    "knn": knn_cases,
    "fps": fps_cases,
    "serialize": serialize_cases,
    "chamfer": chamfer_cases,
    "emd": emd_cases,
}


def cases(sizes: dict[str, Any], device: torch.device) -> list[Case]:
    """Every op case for the ``ops`` section of a size preset.

    ``sizes`` maps an op name (``knn``, ``fps``, ``serialize``, ``chamfer``, ``emd``) to its size
    grid, plus ``limits`` (``naive_max_pairs``, ``naive_max_points``, ``fps_naive_max_work``,
    ``loop_max_queries``, ``exact_emd_max_pairs``) that skip the quadratic references where they would not fit.
    An op whose section is missing is not run.
    """
    limits = dict(sizes.get("limits") or {})
    out: list[Case] = []
    for name, factory in FACTORIES.items():
        if sizes.get(name) is not None:
            try:
                out += factory(sizes[name], device, limits)
            except Exception as exc:  # e.g. the op is not importable: record, go on
                out.append(failed_case(SUITE, name, exc))
    return out


if __name__ == "__main__":
    from pointrecon.cli.bench import main

    sys.argv = [sys.argv[0], f"bench={SUITE}", *sys.argv[1:]]
    sys.exit(main())
