"""Procedural shape categories: the embedded default data, which needs no download.

Each category builds an object from several closed parts whose proportions and kinds are drawn at
random (a chair has square, round or pedestal legs, a solid or slatted back, optional arms; a car is
a sedan, hatchback or van; ...). A shape is deterministic from ``(category, seed)``.

Closedness: a shape is the concatenation of closed, consistently wound part meshes (no boolean
union), so every edge belongs to exactly two faces and ``mesh.is_watertight`` holds; parts may
overlap. ``mesh.metadata`` carries ``category``, ``label``, ``seed``, ``num_parts`` and the planes
of the convex parts, which :func:`interior_mask` uses to drop surface samples hidden inside other
parts. Frame: y up, objects stand on y = 0, units are roughly metres.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
import trimesh

from pointrecon.data.shapes.furniture import chair, shelf, sofa, table
from pointrecon.data.shapes.household import bottle, lamp, mug, vase
from pointrecon.data.shapes.organic import assembly, blob, creature, frame, rock, superquadric
from pointrecon.data.shapes.parts import ShapeBuilder, interior_mask
from pointrecon.data.shapes.vehicles import airplane, car

_BUILDERS: dict[str, Callable[[np.random.Generator], ShapeBuilder]] = {
    "airplane": airplane,
    "bottle": bottle,
    "car": car,
    "chair": chair,
    "lamp": lamp,
    "mug": mug,
    "shelf": shelf,
    "sofa": sofa,
    "table": table,
    "vase": vase,
    # beyond man-made categories: organic, articulated, random assemblies, thin structures
    "blob": blob,
    "rock": rock,
    "superquadric": superquadric,
    "creature": creature,
    "assembly": assembly,
    "frame": frame,
}

CATEGORIES: tuple[str, ...] = tuple(_BUILDERS)
"""The procedural categories; a shape's integer label is its index here."""

OBJECT_CATEGORIES: tuple[str, ...] = CATEGORIES[:10]
"""The man-made object categories (airplane ... vase), without the generic shape families."""


def category_label(category: str) -> int:
    """The integer label of ``category`` (its index in :data:`CATEGORIES`)."""
    if category not in _BUILDERS:
        raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
    return CATEGORIES.index(category)


def make_shape(category: str, seed: int) -> trimesh.Trimesh:
    """Build the procedural shape of ``category`` drawn with ``seed``.

    Args:
        category: one of :data:`CATEGORIES`.
        seed: a non-negative integer; the same ``(category, seed)`` always gives the same mesh.

    Returns:
        A watertight (edge-closed) ``trimesh.Trimesh`` of concatenated closed parts, y up, with
        ``metadata`` keys ``category``, ``label``, ``seed``, ``num_parts``, ``convex_planes``.

    Shapes:
        vertices (V, 3) float64, faces (F, 3) int64
    """
    label = category_label(category)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([zlib.crc32(category.encode()), int(seed)])
    mesh = _BUILDERS[category](rng).build(category, int(seed))
    mesh.metadata["label"] = label
    return mesh


__all__ = ["CATEGORIES", "category_label", "interior_mask", "make_shape"]
