"""Closed part meshes and the builder that assembles them into one procedural shape.

Every part is a closed, consistently wound triangle mesh. A shape is the concatenation of its parts
(no boolean union): the result is watertight edge-wise, but parts may overlap, so some part surface
lies inside another part. Convex parts record their bounding planes in the mesh metadata, so that
:func:`interior_mask` can drop surface samples that fall inside another part.

Frame: y is up, x is the object's front-back (length) axis, z its width axis; shapes stand on y=0.

Shapes:
    points: (N, 3) float
    planes: (F, 4) float64, rows (nx, ny, nz, d) with n . p <= d inside
"""

from __future__ import annotations

import numpy as np
import trimesh
from trimesh import transformations as tf

_Y_FROM_Z = tf.rotation_matrix(-np.pi / 2, [1.0, 0.0, 0.0])  # maps +z onto +y


def _place(mesh: trimesh.Trimesh, center, rotation: np.ndarray | None = None) -> trimesh.Trimesh:
    m = np.eye(4)
    if rotation is not None:
        m[:3, :3] = rotation[:3, :3]
    m[:3, 3] = np.asarray(center, dtype=np.float64)
    mesh.apply_transform(m)
    return mesh


def rot(axis: str | np.ndarray, angle: float) -> np.ndarray:
    """4x4 rotation about ``axis`` ('x', 'y', 'z' or a vector) by ``angle`` radians."""
    vec = {"x": [1, 0, 0], "y": [0, 1, 0], "z": [0, 0, 1]}[axis] if isinstance(axis, str) else axis
    return tf.rotation_matrix(angle, vec)


def box(extents, center, rotation: np.ndarray | None = None) -> trimesh.Trimesh:
    """Axis-aligned (then rotated) box with full side lengths ``extents`` centred at ``center``."""
    return _place(trimesh.creation.box(extents=np.asarray(extents, float)), center, rotation)


def cylinder(
    radius: float, height: float, center, axis: str = "y", sections: int = 20
) -> trimesh.Trimesh:
    """Cylinder of ``radius`` and ``height`` along ``axis`` centred at ``center``."""
    m = trimesh.creation.cylinder(radius=radius, height=height, sections=sections)
    r = {"z": np.eye(4), "y": _Y_FROM_Z, "x": rot("y", np.pi / 2)}[axis]
    return _place(m, center, r)


def frustum(
    r_bottom: float, r_top: float, height: float, center, sections: int = 20
) -> trimesh.Trimesh:
    """Truncated cone along y (``r_top`` may be 0 for a cone), centred at ``center``."""
    a = np.linspace(0, 2 * np.pi, sections, endpoint=False)
    ring = np.stack([np.cos(a), np.zeros_like(a), np.sin(a)], 1)
    pts = [ring * r_bottom + [0, -height / 2, 0]]
    pts.append(ring * r_top + [0, height / 2, 0] if r_top > 0 else np.array([[0, height / 2, 0]]))
    return hull(np.concatenate(pts) + np.asarray(center, float))


def ellipsoid(radii, center, subdivisions: int = 2) -> trimesh.Trimesh:
    """Ellipsoid with semi-axes ``radii`` centred at ``center``."""
    m = trimesh.creation.icosphere(subdivisions=subdivisions)
    m.apply_scale(np.asarray(radii, float))
    return _place(m, center)


def capsule(radius: float, length: float, center, axis: str = "y") -> trimesh.Trimesh:
    """Capsule (cylinder of ``length`` with hemispherical caps) along ``axis``."""
    m = trimesh.creation.capsule(height=length, radius=radius, count=[12, 12])
    r = {"z": np.eye(4), "y": _Y_FROM_Z, "x": rot("y", np.pi / 2)}[axis]
    return _place(m, center, r)


def hull(points: np.ndarray) -> trimesh.Trimesh:
    """Convex hull of ``points`` (N, 3), e.g. a trapezoid prism from its 8 corners."""
    return trimesh.convex.convex_hull(np.asarray(points, dtype=np.float64))


def prism(profile_xy: np.ndarray, z0: float, z1: float) -> trimesh.Trimesh:
    """Convex prism: the convex 2D ``profile_xy`` (K, 2) in the x-y plane, extruded over [z0, z1]."""
    p = np.asarray(profile_xy, float)
    lo = np.column_stack([p, np.full(len(p), z0)])
    hi = np.column_stack([p, np.full(len(p), z1)])
    return hull(np.concatenate([lo, hi]))


def revolve_y(profile_ry: np.ndarray, sections: int = 24) -> trimesh.Trimesh:
    """Solid of revolution about the y axis of a (radius, y) profile that starts and ends on it."""
    m = trimesh.creation.revolve(np.asarray(profile_ry, float), sections=sections)
    m.apply_transform(_Y_FROM_Z)
    if m.volume < 0:
        m.invert()
    return m


def torus(major: float, minor: float, center, rotation: np.ndarray | None = None):
    """Torus in the x-z plane (axis y) with radii ``major``/``minor``, then rotated and moved."""
    m = trimesh.creation.torus(major, minor, major_sections=20, minor_sections=10)
    m.apply_transform(_Y_FROM_Z)
    return _place(m, center, rotation)


class ShapeBuilder:
    """Collects closed parts and concatenates them into one labelled :class:`trimesh.Trimesh`."""

    def __init__(self) -> None:
        self.parts: list[trimesh.Trimesh] = []
        self.convex: list[bool] = []

    def add(self, mesh: trimesh.Trimesh, convex: bool = True) -> None:
        """Add a closed part; ``convex`` parts take part in :func:`interior_mask`."""
        self.parts.append(mesh)
        self.convex.append(convex)

    def build(self, category: str, seed: int) -> trimesh.Trimesh:
        """Concatenate the parts, moved so that the shape stands on y = 0."""
        lift = -min(float(p.bounds[0][1]) for p in self.parts)
        for p in self.parts:
            p.apply_translation((0.0, lift, 0.0))
        mesh = trimesh.util.concatenate(self.parts)
        planes, bounds = [], []
        for part, convex in zip(self.parts, self.convex):
            if convex:
                n = part.face_normals
                d = np.einsum("ij,ij->i", n, part.triangles[:, 0])
                planes.append(np.unique(np.round(np.column_stack([n, d]), 9), axis=0))
                bounds.append(np.asarray(part.bounds, dtype=np.float64))
        mesh.metadata.update(
            category=category,
            seed=int(seed),
            num_parts=len(self.parts),
            convex_planes=planes,
            convex_bounds=bounds,
        )
        return mesh


def interior_mask(mesh: trimesh.Trimesh, points: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """True where a point lies inside one of the shape's convex parts by more than ``eps``.

    Surface samples for which this is True belong to part surface hidden inside another part and
    are not on the outer surface of the object. Meshes without part metadata give all False.

    Shapes:
        points: (N, 3) -> (N,) bool
    """
    pts = np.asarray(points, dtype=np.float32)
    inside = np.zeros(len(pts), dtype=bool)
    scale = eps * max(float(mesh.scale), 1e-12)
    planes_list = mesh.metadata.get("convex_planes", ())
    bounds_list = mesh.metadata.get("convex_bounds", [None] * len(planes_list))
    for planes, bounds in zip(planes_list, bounds_list):
        cand = np.arange(len(pts))
        if bounds is not None:  # only points strictly inside the part's box can be inside it
            box_in = np.all((pts > bounds[0] + scale) & (pts < bounds[1] - scale), axis=1)
            cand = np.flatnonzero(box_in)
        if len(cand):
            p32 = planes.astype(np.float32)
            signed = pts[cand] @ p32[:, :3].T - p32[:, 3]
            inside[cand[signed.max(axis=1) < -scale]] = True
    return inside
