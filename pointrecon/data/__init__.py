"""Data: procedural shapes, simulated depth scans, completion data sets, transforms, collate.

Names are imported lazily (PEP 562), so ``import pointrecon.data`` stays light: Open3D, trimesh
and the data-set modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module under pointrecon.data
_EXPORTS: dict[str, str] = {
    "CATEGORIES": "shapes",
    "make_shape": "shapes",
    "category_label": "shapes",
    "Camera": "camera",
    "Scan": "scan",
    "simulate_scan": "scan",
    "resample_points": "resample",
    "make_completion_pair": "pairs",
    "collate_completion": "collate",
    "CompletionData": "module",
    "SampleCache": "cache",
    "SyntheticCompletion": "synthetic",
    "MeshFolderCompletion": "mesh_folder",
    "SparseSliceCompletion": "sparse_slices",
    "kfold_indices": "folds",
    # file-based public data sets
    "PCN": "pcn",
    "ShapeNet55": "shapenet55",
    "ModelNet": "modelnet",
    "PointCloudFolder": "pointcloud_folder",
    "KITTI": "kitti",
    "BoxFrame": "box_frame",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pointrecon.data' has no attribute {name!r}")
    mod = importlib.import_module(f"pointrecon.data.{module}")
    value = getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
