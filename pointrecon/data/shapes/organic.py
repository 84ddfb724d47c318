"""Shape families beyond the man-made categories, so that a model learns geometry, not labels.

- ``blob``: a union of 2-7 randomly rotated ellipsoids (organic, often asymmetric);
- ``rock``: one sphere whose radius is deformed by a few low-frequency harmonics (non-convex);
- ``superquadric``: a superellipsoid with random exponents, tapering and bending;
- ``creature``: an articulated body (torso, head, 2-6 limbs of two capsule segments at random
  joint angles, optional tail), symmetric or not;
- ``assembly``: 3-9 random primitives (box, cylinder, cone, ellipsoid, torus, capsule), each
  placed against one placed before, optionally mirrored about a plane;
- ``frame``: thin structures: rods and plates (brackets, trusses, ladders, thin curved plates).

Each builder takes a numpy Generator and returns a :class:`ShapeBuilder`; shapes are
deterministic from the Generator's seed like every other category.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from pointrecon.data.shapes.parts import (
    ShapeBuilder,
    box,
    capsule,
    cylinder,
    ellipsoid,
    frustum,
    torus,
)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    m = np.eye(4)
    m[:3, :3] = Rotation.random(random_state=rng).as_matrix()
    return m


def _rotated(mesh: trimesh.Trimesh, rotation: np.ndarray, center) -> trimesh.Trimesh:
    """Rotate ``mesh`` about its own centre (the origin when built), then move it to ``center``."""
    mesh.apply_transform(rotation)
    mesh.apply_translation(np.asarray(center, dtype=np.float64))
    return mesh


def _segment(radius: float, a: np.ndarray, b: np.ndarray) -> trimesh.Trimesh:
    """A capsule from point ``a`` to point ``b``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = max(float(np.linalg.norm(d)), 1e-3)
    m = trimesh.creation.capsule(height=length, radius=radius, count=[10, 10])  # along z
    r = trimesh.geometry.align_vectors([0.0, 0.0, 1.0], d / length)
    m.apply_transform(r)
    m.apply_translation((a + b) / 2)
    return m


def _rod(radius: float, a: np.ndarray, b: np.ndarray, sections: int = 8) -> trimesh.Trimesh:
    """A thin cylinder from point ``a`` to point ``b``."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = max(float(np.linalg.norm(d)), 1e-3)
    m = trimesh.creation.cylinder(radius=radius, height=length, sections=sections)
    m.apply_transform(trimesh.geometry.align_vectors([0.0, 0.0, 1.0], d / length))
    m.apply_translation((a + b) / 2)
    return m


def blob(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    n = int(rng.integers(2, 8))
    centers = [np.zeros(3)]
    for _ in range(n):
        radii = rng.uniform(0.12, 0.5, size=3)
        if len(centers) > 1 or rng.random() < 0.5:
            c = centers[int(rng.integers(len(centers)))] + rng.normal(0, 0.25, size=3)
        else:
            c = centers[0]
        centers.append(c)
        b.add(_rotated(ellipsoid(radii, (0, 0, 0), subdivisions=3), _random_rotation(rng), c))
    return b


def rock(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    m = trimesh.creation.icosphere(subdivisions=int(rng.integers(3, 5)))
    v = m.vertices.copy()
    r = np.ones(len(v))
    for _ in range(int(rng.integers(2, 6))):  # low-frequency bumps and dents
        d = rng.normal(size=3)
        d /= np.linalg.norm(d)
        freq = rng.uniform(1.0, 3.5)
        r += rng.uniform(-0.25, 0.25) * np.cos(freq * np.arccos(np.clip(v @ d, -1, 1)))
    r = np.clip(r, 0.35, None)
    m.vertices = v * r[:, None] * rng.uniform(0.4, 1.0, size=3)
    b.add(_rotated(m, _random_rotation(rng), (0, 0, 0)), convex=False)
    return b


def _superellipsoid(rng: np.random.Generator) -> trimesh.Trimesh:
    """A superellipsoid as a star-shaped deformation of an icosphere (always closed): each unit
    direction d moves to t d where the inside-outside function F(t d) = 1, t = F(d)^(-e1/2)."""
    e1, e2 = rng.uniform(0.25, 1.8), rng.uniform(0.25, 1.8)
    a = rng.uniform(0.3, 1.0, size=3)
    m = trimesh.creation.icosphere(subdivisions=int(rng.integers(3, 5)))
    d = np.abs(m.vertices) / a + 1e-9
    f = (d[:, 0] ** (2 / e2) + d[:, 1] ** (2 / e2)) ** (e2 / e1) + d[:, 2] ** (2 / e1)
    v = m.vertices * f[:, None] ** (-e1 / 2)
    if rng.random() < 0.5:  # taper along z
        v[:, :2] *= 1 + rng.uniform(-0.6, 0.6) * v[:, 2:3] / a[2]
    if rng.random() < 0.4:  # bend about y
        v[:, 0] += rng.uniform(0.2, 1.2) * v[:, 2] ** 2 / 2
    m.vertices = v
    return m


def superquadric(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    b.add(_rotated(_superellipsoid(rng), _random_rotation(rng), (0, 0, 0)), convex=False)
    return b


def creature(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    L, R = rng.uniform(0.5, 1.2), rng.uniform(0.12, 0.3)
    y0 = rng.uniform(0.3, 0.8)
    b.add(ellipsoid((L / 2, R, R * rng.uniform(0.7, 1.2)), (0, y0, 0), subdivisions=3))
    hr = R * rng.uniform(0.5, 1.1)
    neck = np.array([L / 2 + hr * 0.6, y0 + R * rng.uniform(0.0, 1.5), 0.0])
    b.add(_segment(R * 0.35, [L / 2 - R * 0.3, y0, 0], neck))
    b.add(ellipsoid((hr * rng.uniform(1.0, 1.6), hr, hr), neck, subdivisions=2))
    pairs = int(rng.integers(1, 4))
    symmetric = rng.random() < 0.7
    leg_r = R * rng.uniform(0.15, 0.35)
    for k in range(pairs):
        x = (k / max(pairs - 1, 1) - 0.5) * L * 0.8 if pairs > 1 else 0.0
        base_angles = rng.uniform(-0.6, 0.6, size=2)
        for s in (-1, 1):
            ang = base_angles if symmetric else rng.uniform(-0.8, 0.8, size=2)
            hip = np.array([x, y0 - R * 0.5, s * R * 0.7])
            knee = hip + np.array([np.sin(ang[0]), -np.cos(ang[0]), s * 0.2]) * y0 * 0.55
            foot = knee + np.array([np.sin(ang[1]), -np.cos(ang[1]), 0.0]) * y0 * 0.55
            b.add(_segment(leg_r, hip, knee))
            b.add(_segment(leg_r * 0.8, knee, foot))
    if rng.random() < 0.6:
        tail = np.array([-L / 2 - rng.uniform(0.2, 0.6), y0 + rng.uniform(-0.2, 0.5), 0.0])
        b.add(_segment(R * 0.15, [-L / 2 + R * 0.2, y0, 0], tail))
    return b


def _primitive(rng: np.random.Generator, size: float) -> tuple[trimesh.Trimesh, bool]:
    kind = rng.choice(["box", "cylinder", "cone", "ellipsoid", "torus", "capsule"])
    s = size * rng.uniform(0.4, 1.0, size=3)
    if kind == "box":
        return box(s, (0, 0, 0)), True
    if kind == "cylinder":
        return cylinder(s[0] / 2, s[1], (0, 0, 0), sections=20), True
    if kind == "cone":
        return frustum(s[0] / 2, s[0] / 2 * rng.uniform(0.0, 0.8), s[1], (0, 0, 0)), True
    if kind == "ellipsoid":
        return ellipsoid(s / 2, (0, 0, 0)), True
    if kind == "torus":
        major = s[0] / 2
        return torus(major, major * rng.uniform(0.15, 0.4), (0, 0, 0)), False
    return capsule(s[0] / 4, s[1], (0, 0, 0)), False


def assembly(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    n = int(rng.integers(3, 10))
    axis_aligned = rng.random() < 0.6
    placed: list[trimesh.Trimesh] = []
    mirror = rng.random() < 0.5
    for i in range(n):
        part, convex = _primitive(rng, rng.uniform(0.2, 0.8))
        if axis_aligned:
            quarter = np.eye(4)
            quarter[:3, :3] = Rotation.from_euler(
                "xyz", rng.integers(0, 4, size=3) * np.pi / 2
            ).as_matrix()
            rotation = quarter
        else:
            rotation = _random_rotation(rng)
        part.apply_transform(rotation)
        if placed:  # against a face of an earlier part
            ref = placed[int(rng.integers(len(placed)))]
            lo, hi = ref.bounds
            ext = part.extents
            axis = int(rng.integers(3))
            side = rng.choice([-1, 1])
            c = rng.uniform(lo, hi)
            c[axis] = (
                (hi[axis] + ext[axis] / 2 * 0.8) if side > 0 else (lo[axis] - ext[axis] / 2 * 0.8)
            )
            part.apply_translation(c - part.bounds.mean(axis=0))
        placed.append(part)
        b.add(part, convex=convex)
        if mirror and i > 0:
            twin = part.copy()
            twin.apply_scale([1.0, 1.0, -1.0])  # trimesh re-winds faces under a reflection
            b.add(twin, convex=convex)
    return b


def frame(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    kind = rng.choice(["truss", "bracket", "ladder", "shell"])
    t = rng.uniform(0.01, 0.03)
    if kind == "truss":
        w, h, d = rng.uniform(0.4, 1.2, size=3)
        corners = np.array([[x, y, z] for x in (0, w) for y in (0, h) for z in (0, d)])
        edges = [(i, j) for i in range(8) for j in range(i + 1, 8) if bin(i ^ j).count("1") == 1]
        diag = [(i, 7 - i) for i in range(4)]
        for i, j in edges + [e for e in diag if rng.random() < 0.5]:
            b.add(_rod(t, corners[i], corners[j]))
    elif kind == "bracket":
        w, h, d = rng.uniform(0.3, 1.0, size=3)
        b.add(box((w, t * 2, d), (w / 2, t, d / 2)))
        b.add(box((t * 2, h, d), (t, h / 2, d / 2)))
        if rng.random() < 0.6:
            b.add(box((t * 2, h * 0.7, d), (w - t, h * 0.35, d / 2)))
        for k in range(int(rng.integers(0, 3))):
            z = d * (k + 1) / 3
            b.add(_rod(t, [t, h * 0.8, z], [w * 0.8, t, z]))
    elif kind == "ladder":
        h, w = rng.uniform(0.8, 1.6), rng.uniform(0.25, 0.5)
        lean = rng.uniform(0, 0.3)
        for z in (0.0, w):
            b.add(_rod(t * 1.5, [0, 0, z], [lean, h, z]))
        n = int(rng.integers(3, 9))
        for k in range(n):
            f = (k + 0.5) / n
            b.add(_rod(t, [lean * f, h * f, 0], [lean * f, h * f, w]))
    else:  # a thin curved plate (closed: a flattened, bent ellipsoid)
        m = trimesh.creation.icosphere(subdivisions=3)
        v = m.vertices * [rng.uniform(0.3, 0.7), t, rng.uniform(0.3, 0.7)]
        v[:, 1] += rng.uniform(-1.0, 1.0) * v[:, 0] ** 2 + rng.uniform(-1.0, 1.0) * v[:, 2] ** 2
        m.vertices = v
        b.add(m, convex=False)
    return b
