"""Completion quality on a folder of meshes the model never saw, next to the baselines.

For every mesh, ``views`` seeded partial scans are simulated (Open3D ray casting, ``n_partial``
points each) in the mesh's unit-sphere frame (the frame fitted on a ``n_complete``-point surface
sample: bounding-box centre at the origin, farthest point at radius 1). Each scan is completed in
its own frame, as a user's scan would be, and scored against the surface sample together with
four baselines:

- ``input``: the scan itself;
- ``mirror``: the scan united with its best mirror image;
- ``input_dense`` / ``mirror_dense``: those two densified without learning to ``n_complete``
  points (midpoints to each point's nearest neighbours), so that density alone cannot win F@1%.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from pointrecon.data.pairs import make_completion_pair
from pointrecon.errors import DataError
from pointrecon.io import MESH_EXTENSIONS, find_files, read_mesh
from pointrecon.train.baselines import densify, mirror_union
from pointrecon.train.evaluation import batch_metrics, summarize
from pointrecon.train.evaluator import safe_stem
from pointrecon.train.inference import complete_points
from pointrecon.train.report import rows_to_csv, write_tables
from pointrecon.utils.atomic import atomic_write_text

METHODS = ("model", "input", "mirror", "input_dense", "mirror_dense")


def mesh_files(folder: str | os.PathLike) -> list[Path]:
    """The mesh files under ``folder`` (sorted), or DataError naming the folder."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(root, "not a folder of meshes (no such directory)")
    files = find_files(root, MESH_EXTENSIONS)
    if not files:
        raise DataError(root, f"no mesh files ({', '.join(MESH_EXTENSIONS)}) in this folder")
    return files


def scan_seed(name: str, seed: int) -> int:
    """The simulation seed of mesh ``name`` under base ``seed`` (stable across runs)."""
    return (zlib.crc32(name.encode()) + 7919 * int(seed)) % 2**31


def baseline_clouds(partial: np.ndarray, num_points: int, seed: int) -> dict[str, np.ndarray]:
    """The four baselines of one scan, as float32 arrays."""
    gen = torch.Generator().manual_seed(int(seed))
    p = torch.from_numpy(np.ascontiguousarray(partial, dtype=np.float32))
    both = mirror_union(p, gen)
    return {
        "input": p.numpy(),
        "mirror": both.numpy(),
        "input_dense": densify(p, num_points, gen).numpy(),
        "mirror_dense": densify(both, num_points, gen).numpy(),
    }


@torch.no_grad()
def evaluate_meshes(
    model: torch.nn.Module,
    files: list[Path],
    out_dir: str | os.PathLike,
    *,
    num_input_points: int = 2048,
    views: int = 3,
    num_views: int = 1,
    n_complete: int = 16384,
    noise_std: float = 0.0,
    seed: int = 0,
    tau: float = 0.01,
    renders: bool = True,
    progress: bool = True,
    title: str = "",
) -> dict[str, Any]:
    """Score ``model`` and the baselines on simulated scans of ``files``; write the results.

    Every mesh is read before anything is computed, so an unreadable file stops the run with a
    :class:`DataError` naming it and nothing is written. Writes into ``out_dir`` (each file
    atomically): ``metrics.md/.csv/.json`` (one row per mesh, the mean over meshes last; one
    column per method), ``per_scan.csv`` and, with ``renders``, ``renders/<rank>_<mesh>.png``
    for the best, median and worst mesh by the model's CD-L1 (input | completion | truth, the
    completion coloured by its distance to the truth).

    Returns:
        ``{"tables": {method: {mesh: {metric: value}}}, "paths": {...}, "samples": {...}}``.
    """
    if views < 1 or num_views < 1:
        raise ValueError(f"views and num_views must be >= 1, got {views}, {num_views}")
    meshes = [(Path(f), read_mesh(f)) for f in files]
    records: dict[str, list[dict]] = {m: [] for m in METHODS}
    per_scan: list[dict] = []
    keep: dict[str, dict[str, np.ndarray]] = {}
    model.eval()
    bar = tqdm(total=len(meshes) * views, desc="eval-meshes", disable=not progress)
    for path, mesh in meshes:
        name = path.name
        for v in range(views):
            try:
                pair = make_completion_pair(
                    mesh, seed=scan_seed(name, seed), view=v, n_partial=num_input_points,
                    n_complete=n_complete, num_views=num_views, noise_std=noise_std,
                )  # fmt: skip
            except DataError as e:
                raise DataError(path, e.reason) from None
            partial, gt = pair["partial"], pair["complete"]
            clouds = {
                "model": complete_points(model, partial, num_input_points, seed, source=str(path))
            }
            clouds |= baseline_clouds(partial, n_complete, scan_seed(name, seed) + v)
            gt_t = torch.from_numpy(gt)[None]
            row: dict[str, Any] = {"mesh": name, "view": v}
            for m, pts in clouds.items():
                vals = {
                    k: vs[0]
                    for k, vs in batch_metrics(torch.from_numpy(pts)[None], gt_t, tau=tau).items()
                }
                records[m].append({"category": name} | vals)
                row |= {f"{m}_{k}": round(float(x), 6) for k, x in vals.items()}
            per_scan.append(row)
            if v == 0:
                keep[name] = {"partial": partial, "pred": clouds["model"], "gt": gt}
            bar.update(1)
    bar.close()
    tables = {m: summarize(records[m]) for m in METHODS}
    out = Path(out_dir)
    extra = {"num_meshes": len(meshes), "views": views, "num_views": num_views,
             "n_partial": num_input_points, "n_complete": n_complete, "noise_std": noise_std,
             "tau": tau, "seed": seed}  # fmt: skip
    paths = write_tables(out, tables, title=title, extra=extra)
    paths["per_scan"] = out / "per_scan.csv"
    atomic_write_text(paths["per_scan"], rows_to_csv(per_scan))
    if renders:
        paths |= _render_ranked(tables["model"], keep, out / "renders")
    return {"tables": tables, "paths": paths, "samples": keep}


def _render_ranked(
    table: dict[str, dict[str, float]], samples: dict[str, dict[str, np.ndarray]], folder: Path
) -> dict[str, Path]:
    from pointrecon.viz import render_comparison

    ranked = sorted((k for k in table if k != "mean"), key=lambda k: table[k]["cd_l1"])
    picks = {"best": ranked[0], "median": ranked[len(ranked) // 2], "worst": ranked[-1]}
    paths = {}
    for rank, name in picks.items():
        s = samples[name]
        paths[f"render_{rank}"] = folder / f"{rank}_{safe_stem(name)}.png"
        folder.mkdir(parents=True, exist_ok=True)
        render_comparison(
            s["partial"], s["pred"], s["gt"], paths[f"render_{rank}"],
            titles=("input scan", f"completion ({rank})", "ground truth"),
        )  # fmt: skip
    return paths
