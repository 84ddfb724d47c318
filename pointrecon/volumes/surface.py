"""Marching-cubes surfaces of volumes, mapped to world coordinates: ``extract_surface``."""

from __future__ import annotations

import numpy as np
import trimesh

from pointrecon.errors import DataError
from pointrecon.io.volume import VolumeData

CHUNK_VOXELS = 1 << 24  # volumes above this many voxels are processed in slabs (with progress)


def _largest_component(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3, 3), bool))
    if n <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def surface_mask(
    volume: VolumeData,
    level: float | None = None,
    label: int | None = None,
    largest_component: bool = False,
) -> tuple[np.ndarray, float]:
    """The scalar field and iso-level marching cubes runs on.

    With ``label``: the indicator of ``data == label`` (a segmentation), level 0.5. Otherwise the
    data itself at ``level`` (default: Otsu's threshold), the object being where data > level.
    With ``largest_component``: everything outside the largest 26-connected component of the
    object (grown by one voxel, so its boundary interpolation is untouched) is pushed below the
    level.

    Shapes:
        returns field (I, J, K) float32, level
    """
    data = volume.data
    if label is not None:
        field = (data == float(label)).astype(np.float32)
        if not field.any():
            present = np.unique(data)[:20]
            raise DataError(
                volume.source, f"label {label} is not in the volume (labels: {present})"
            )
        level = 0.5
    else:
        if level is None:
            from skimage.filters import threshold_otsu

            level = float(threshold_otsu(data))
        level = float(level)
        if not data.min() < level < data.max():
            raise DataError(
                volume.source,
                f"level {level:g} is outside the value range ({data.min():g}, {data.max():g}); "
                "no surface",
            )
        field = data
    if largest_component:
        from scipy import ndimage

        keep = ndimage.binary_dilation(_largest_component(field > level), iterations=1)
        field = np.where(keep, field, np.minimum(field, level - 1.0)).astype(np.float32)
    return field, float(level)


def extract_surface(
    volume: VolumeData,
    level: float | None = None,
    *,
    label: int | None = None,
    largest_component: bool = False,
    step_size: int = 1,
    progress: bool = False,
) -> trimesh.Trimesh:
    """Marching cubes (scikit-image, Lewiner) at ``level`` or on ``label``, in world millimetres.

    The mesh is computed in voxel coordinates and mapped through ``volume.affine``; faces are
    wound so that normals point out of the object (where the field is below the level) whatever
    the affine's handedness. Volumes larger than :data:`CHUNK_VOXELS` are processed in slabs along
    the first axis (with a progress bar when ``progress``), and the slab seams are merged.

    Args:
        volume: the volume.
        level: iso-value (default Otsu's threshold); ignored with ``label``.
        label: extract the surface of the voxels equal to this label.
        largest_component: keep only the largest connected object.
        step_size: marching-cubes step in voxels (>1 is faster and coarser).
        progress: show a progress bar on large volumes.

    Raises:
        DataError: no surface at this level / label.

    Shapes:
        returns mesh.vertices (V, 3) float64 world mm, mesh.faces (F, 3)
    """
    from skimage.measure import marching_cubes

    if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
        raise ValueError(f"step_size: expected a positive int, got {step_size!r}")
    field, level = surface_mask(volume, level, label, largest_component)
    # pad by one voxel below the level, so that objects touching the border are closed
    low = min(float(field.min()), level) - 1.0
    field = np.pad(field, 1, constant_values=low)
    n0 = field.shape[0]
    chunk = max(2, CHUNK_VOXELS // max(1, field.shape[1] * field.shape[2]))
    starts = list(range(0, n0 - 1, chunk))
    verts_all, faces_all, offset = [], [], 0
    from tqdm.auto import tqdm

    show = progress and len(starts) > 1
    for s in tqdm(starts, desc="marching cubes", unit="slab", disable=not show):
        block = field[s : min(n0, s + chunk + 1)]
        if block.shape[0] < 2 or not (block.min() < level < block.max()):
            continue
        v, f, _, _ = marching_cubes(block, level=level, step_size=step_size, allow_degenerate=False)
        v[:, 0] += s
        verts_all.append(v)
        faces_all.append(f + offset)
        offset += len(v)
    if not verts_all:
        raise DataError(volume.source, f"no surface at level {level:g}")
    verts = np.concatenate(verts_all) - 1.0  # undo the padding
    faces = np.concatenate(faces_all)
    world = verts @ volume.affine[:3, :3].T + volume.affine[:3, 3]
    # skimage winds faces so that, in voxel coordinates, they are clockwise seen from where the
    # field is low (outside): reverse them for outward normals, unless the affine mirrors space
    if np.linalg.det(volume.affine[:3, :3]) > 0:
        faces = faces[:, ::-1]
    mesh = trimesh.Trimesh(world, faces, process=False)
    if len(starts) > 1:
        mesh.merge_vertices()
    mesh.remove_unreferenced_vertices()
    return mesh
