"""Household categories: lamp, mug, bottle, vase. Each builder takes a numpy Generator."""

from __future__ import annotations

import numpy as np

from pointrecon.data.shapes.parts import (
    ShapeBuilder,
    box,
    cylinder,
    ellipsoid,
    frustum,
    revolve_y,
    rot,
    torus,
)


def lamp(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    base_r, base_h = rng.uniform(0.1, 0.2), rng.uniform(0.02, 0.05)
    if rng.random() < 0.7:
        b.add(cylinder(base_r, base_h, (0, base_h / 2, 0), sections=24))
    else:
        b.add(box((2 * base_r, base_h, 2 * base_r), (0, base_h / 2, 0)))
    stem_r, stem_h = rng.uniform(0.01, 0.025), rng.uniform(0.3, 0.7)
    top = np.array([0.0, base_h + stem_h, 0.0])
    if rng.random() < 0.5:  # straight stem
        b.add(cylinder(stem_r, stem_h, (0, base_h + stem_h / 2, 0), sections=10))
    else:  # desk lamp: vertical segment then a tilted arm
        h1 = stem_h * rng.uniform(0.4, 0.7)
        b.add(cylinder(stem_r, h1, (0, base_h + h1 / 2, 0), sections=10))
        tilt = rng.uniform(0.4, 1.1)
        arm = stem_h - h1 + 0.15
        c = np.array([np.sin(tilt) * arm / 2, base_h + h1 + np.cos(tilt) * arm / 2, 0.0])
        seg = cylinder(stem_r, arm, (0, 0, 0), sections=10)
        seg.apply_transform(rot("z", -tilt))
        seg.apply_translation(c)
        b.add(seg)
        top = np.array([np.sin(tilt) * arm, base_h + h1 + np.cos(tilt) * arm, 0.0])
    shade = rng.choice(["cone", "drum", "globe"])
    sh = rng.uniform(0.12, 0.25)
    if shade == "globe":
        r = rng.uniform(0.08, 0.15)
        b.add(ellipsoid((r, r * rng.uniform(0.8, 1.2), r), top + [0, r * 0.8, 0]))
    elif shade == "drum":
        r = rng.uniform(0.1, 0.2)
        b.add(cylinder(r, sh, top + [0, sh * 0.3, 0], sections=24))
    else:
        r0, r1 = rng.uniform(0.12, 0.25), rng.uniform(0.04, 0.1)
        b.add(frustum(r0, r1, sh, top + [0, sh * 0.2, 0], sections=24))
    return b


def _cup_profile(r: float, h: float, wall: float, bottom: float, flare: float) -> np.ndarray:
    """(radius, y) profile of an open-topped cup with a cavity, both ends on the axis."""
    return np.array(
        [
            [0.0, 0.0],
            [r, 0.0],
            [r * flare, h],
            [r * flare - wall, h],
            [r - wall, bottom],
            [0.0, bottom],
        ]
    )


def mug(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    r, h = rng.uniform(0.035, 0.055), rng.uniform(0.08, 0.13)
    wall, flare = rng.uniform(0.004, 0.008), rng.uniform(0.95, 1.2)
    b.add(revolve_y(_cup_profile(r, h, wall, wall * 1.5, flare), sections=28), convex=False)
    style = rng.choice(["round", "square"])
    hy = h * rng.uniform(0.45, 0.6)
    if style == "round":
        major = h * rng.uniform(0.25, 0.35)
        minor = rng.uniform(0.005, 0.009)
        b.add(
            torus(major, minor, (r * (1 + flare) / 2 + major * 0.6, hy, 0), rot("x", np.pi / 2)),
            False,
        )
    else:
        reach, span, t = rng.uniform(0.025, 0.04), h * rng.uniform(0.45, 0.65), 0.008
        x0 = r * (1 + flare) / 2 - wall / 2
        b.add(box((t, span, t), (x0 + reach, hy, 0)))
        for s in (-1, 1):
            b.add(box((reach + t / 2, t, t), (x0 + reach / 2, hy + s * (span / 2 - t / 2), 0)))
    return b


def bottle(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    r, h = rng.uniform(0.03, 0.06), rng.uniform(0.15, 0.3)
    neck_r = r * rng.uniform(0.25, 0.45)
    shoulder = h * rng.uniform(0.55, 0.75)
    neck_h = h * rng.uniform(0.12, 0.25)
    if rng.random() < 0.25:  # square body with a round neck
        b.add(box((2 * r, shoulder, 2 * r), (0, shoulder / 2, 0)))
        b.add(frustum(r, neck_r, h - shoulder - neck_h, (0, (shoulder + h - neck_h) / 2, 0)))
        b.add(cylinder(neck_r, neck_h + 1e-3, (0, h - neck_h / 2, 0), sections=16))
    else:
        waist = r * rng.uniform(0.8, 1.0)
        prof = [
            [0.0, 0.0],
            [r * 0.9, 0.0],
            [r, r * 0.15],
            [waist, shoulder * 0.5],
            [r, shoulder],
            [neck_r, h - neck_h],
            [neck_r, h],
            [0.0, h],
        ]
        b.add(revolve_y(np.array(prof), sections=24), convex=False)
    if rng.random() < 0.7:  # cap
        ch = rng.uniform(0.01, 0.025)
        b.add(cylinder(neck_r * 1.15, ch, (0, h + ch / 2 - 0.003, 0), sections=16))
    return b


def vase(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    h = rng.uniform(0.2, 0.45)
    k = int(rng.integers(3, 6))
    ys = np.linspace(0, h, k + 2)
    rs = rng.uniform(0.04, 0.12, size=k + 2)
    rs[0] = rng.uniform(0.04, 0.08)
    wall = 0.006
    outer = np.column_stack([rs, ys])
    inner = np.column_stack([np.maximum(rs[::-1] - wall, 0.01), ys[::-1]])[:-1]
    inner[-1, 1] = max(inner[-1, 1], 0.02)
    prof = np.concatenate([[[0.0, 0.0]], outer, inner, [[0.0, inner[-1, 1]]]])
    b.add(revolve_y(prof, sections=28), convex=False)
    if rng.random() < 0.4:  # foot ring
        b.add(cylinder(rs[0] * 1.1, 0.015, (0, 0.0075, 0), sections=28))
    return b
