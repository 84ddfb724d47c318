"""Vehicle categories: airplane, car. Each builder takes a numpy Generator."""

from __future__ import annotations

import numpy as np

from pointrecon.data.shapes.parts import ShapeBuilder, box, capsule, cylinder, ellipsoid, prism


def _wing(span: float, root: float, tip: float, sweep: float, t: float, x: float, y: float):
    """One pair of trapezoid wings (both sides) as two convex prisms along z."""
    parts = []
    for s in (-1, 1):
        # profile in the x-z plane: root chord at z=0, tip chord at z=s*span
        p = np.array(
            [
                [x + root / 2, y - t / 2, 0.0],
                [x - root / 2, y - t / 2, 0.0],
                [x + root / 2 - sweep, y - t / 2, s * span],
                [x + root / 2 - sweep - tip, y - t / 2, s * span],
            ]
        )
        q = p + [0, t, 0]
        from pointrecon.data.shapes.parts import hull

        parts.append(hull(np.concatenate([p, q])))
    return parts


def airplane(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    L, R = rng.uniform(1.5, 2.5), rng.uniform(0.08, 0.15)
    y = R + 0.05
    if rng.random() < 0.5:
        b.add(capsule(R, L - 2 * R, (0, y, 0), axis="x"))
    else:
        b.add(ellipsoid((L / 2, R, R), (0, y, 0)))
    span, root = rng.uniform(0.6, 1.3), rng.uniform(0.25, 0.5)
    tip, sweep = root * rng.uniform(0.3, 0.7), rng.uniform(0.0, 0.4)
    wing_y = y + rng.uniform(-0.6, 0.6) * R
    wing_x = rng.uniform(-0.1, 0.15) * L
    for w in _wing(span, root, tip, sweep, 0.03, wing_x, wing_y):
        b.add(w)
    tail_x = -L / 2 + 0.12
    for w in _wing(span * 0.3, root * 0.5, root * 0.25, 0.1, 0.02, tail_x, y):
        b.add(w)
    fin_h = rng.uniform(0.15, 0.35)
    fin = np.array(
        [
            [tail_x + 0.12, y],
            [tail_x - 0.12, y],
            [tail_x - 0.12, y + R + fin_h],
            [tail_x - 0.02, y + R + fin_h],
        ]
    )
    b.add(prism(fin, -0.012, 0.012))
    n_eng = int(rng.choice([0, 2, 4]))
    for k in range(n_eng // 2):
        z = span * (0.3 + 0.3 * k)
        for s in (-1, 1):
            b.add(cylinder(0.05, 0.3, (wing_x + 0.1 - 0.0 * k, wing_y - 0.07, s * z), axis="x"))
    return b


def car(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    L, W = rng.uniform(1.6, 2.4), rng.uniform(0.7, 0.95)
    wheel_r = rng.uniform(0.14, 0.2)
    clear = wheel_r * rng.uniform(0.5, 0.8)
    body_h = rng.uniform(0.25, 0.4)
    b.add(box((L, body_h, W), (0, clear + body_h / 2, 0)))
    style = rng.choice(["sedan", "hatch", "van"])
    top = clear + body_h
    cab_h = rng.uniform(0.2, 0.35) * (1.4 if style == "van" else 1.0)
    if style == "sedan":
        xs = [L * 0.3, -L * 0.25, -L * 0.12, L * 0.15]
    elif style == "hatch":
        xs = [L * 0.3, -L * 0.48, -L * 0.45, L * 0.1]
    else:
        xs = [L * 0.42, -L * 0.48, -L * 0.48, L * 0.32]
    cab = np.array([[xs[0], top], [xs[1], top], [xs[2], top + cab_h], [xs[3], top + cab_h]])
    b.add(prism(cab, -W * 0.45, W * 0.45))
    wx = L / 2 - wheel_r * rng.uniform(1.2, 1.8)
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.add(cylinder(wheel_r, 0.12, (sx * wx, wheel_r, sz * (W / 2 - 0.04)), axis="z"))
    if rng.random() < 0.3:  # rear spoiler
        b.add(box((0.12, 0.03, W * 0.9), (-L / 2 + 0.08, top + 0.1, 0)))
        for s in (-1, 1):
            b.add(box((0.04, 0.1, 0.03), (-L / 2 + 0.08, top + 0.05, s * W * 0.35)))
    return b
