"""Furniture categories: chair, table, sofa, shelf. Each builder takes a numpy Generator."""

from __future__ import annotations

import numpy as np

from pointrecon.data.shapes.parts import ShapeBuilder, box, cylinder, rot


def _legs(
    b: ShapeBuilder, rng, xs: float, zs: float, height: float, thick: float, round_: bool
) -> None:
    """Four legs under a rectangle of half sizes (xs, zs), from y=0 up to ``height``."""
    for sx in (-1, 1):
        for sz in (-1, 1):
            c = (sx * (xs - thick), height / 2, sz * (zs - thick))
            if round_:
                b.add(cylinder(thick * 0.6, height, c, sections=12))
            else:
                b.add(box((thick, height, thick), c))


def chair(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    w, d = rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)
    seat_h, seat_t = rng.uniform(0.38, 0.5), rng.uniform(0.03, 0.08)
    b.add(box((d, seat_t, w), (0, seat_h + seat_t / 2, 0)))
    leg_style = rng.choice(["square", "round", "pedestal"])
    t = rng.uniform(0.03, 0.06)
    if leg_style == "pedestal":
        b.add(cylinder(t * 0.8, seat_h - 0.05, (0, (seat_h + 0.05) / 2, 0), sections=12))
        n_feet = int(rng.integers(4, 6))
        for k in range(n_feet):
            a = 2 * np.pi * k / n_feet
            foot = box((0.3, 0.04, 0.05), (0, 0.05, 0), rot("y", a))
            foot.apply_translation((0.15 * np.cos(a), 0, -0.15 * np.sin(a)))
            b.add(foot)
    else:
        _legs(b, rng, d / 2, w / 2, seat_h, t, leg_style == "round")
    back_h, back_t = rng.uniform(0.35, 0.6), rng.uniform(0.03, 0.06)
    top = seat_h + seat_t
    x_back = -d / 2 + back_t / 2
    if rng.random() < 0.5:  # solid back
        b.add(box((back_t, back_h, w), (x_back, top + back_h / 2, 0)))
    else:  # slats with a top rail
        n = int(rng.integers(2, 6))
        rail = rng.uniform(0.05, 0.1)
        b.add(box((back_t, rail, w), (x_back, top + back_h - rail / 2, 0)))
        for z in np.linspace(-w / 2 + 0.03, w / 2 - 0.03, n):
            b.add(box((back_t * 0.8, back_h - rail, 0.04), (x_back, top + (back_h - rail) / 2, z)))
    if rng.random() < 0.4:  # armrests
        arm_h = rng.uniform(0.15, 0.25)
        for s in (-1, 1):
            b.add(box((d * 0.9, 0.04, 0.05), (0, top + arm_h, s * (w / 2 - 0.025))))
            b.add(box((0.04, arm_h, 0.04), (d / 2 - 0.05, top + arm_h / 2, s * (w / 2 - 0.025))))
    return b


def table(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    h, t = rng.uniform(0.5, 0.8), rng.uniform(0.03, 0.07)
    round_top = rng.random() < 0.35
    if round_top:
        r = rng.uniform(0.35, 0.6)
        b.add(cylinder(r, t, (0, h - t / 2, 0), sections=32))
        xs = zs = r * 0.7
    else:
        xs, zs = rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.5)
        b.add(box((2 * xs, t, 2 * zs), (0, h - t / 2, 0)))
    style = rng.choice(["legs", "pedestal"]) if round_top else rng.choice(["legs", "trestle"])
    leg_t = rng.uniform(0.03, 0.07)
    if style == "pedestal":
        b.add(cylinder(leg_t, h - t, (0, (h - t) / 2, 0), sections=12))
        b.add(cylinder(rng.uniform(0.15, 0.3), 0.04, (0, 0.02, 0), sections=24))
    elif style == "trestle":
        for s in (-1, 1):
            x = s * (xs - 0.1)
            b.add(box((leg_t, h - t, 0.06), (x, (h - t) / 2, 0)))
            b.add(box((0.08, 0.05, 2 * zs * 0.9), (x, 0.025, 0)))
        b.add(box((2 * xs - 0.2, 0.05, 0.05), (0, (h - t) * 0.3, 0)))
    else:
        _legs(b, rng, xs, zs, h - t, leg_t, rng.random() < 0.5)
        if rng.random() < 0.4:  # lower shelf
            b.add(box((2 * xs - 0.05, 0.03, 2 * zs - 0.05), (0, h * 0.25, 0)))
    return b


def sofa(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    L, D = rng.uniform(1.2, 2.2), rng.uniform(0.7, 0.95)
    base_h, leg_h = rng.uniform(0.2, 0.3), rng.uniform(0.0, 0.12)
    arm_w = rng.uniform(0.08, 0.2)
    y0 = leg_h
    b.add(box((D, base_h, L), (0, y0 + base_h / 2, 0)))
    back_t, back_h = rng.uniform(0.15, 0.25), rng.uniform(0.35, 0.55)
    b.add(box((back_t, base_h + back_h, L), (-D / 2 + back_t / 2, y0 + (base_h + back_h) / 2, 0)))
    arm_h = rng.uniform(0.15, 0.3)
    for s in (-1, 1):
        b.add(box((D, base_h + arm_h, arm_w), (0, y0 + (base_h + arm_h) / 2, s * (L - arm_w) / 2)))
    n_cushions = int(rng.integers(1, 4))
    inner = L - 2 * arm_w
    cw, ch = inner / n_cushions, rng.uniform(0.08, 0.15)
    for k in range(n_cushions):
        z = -inner / 2 + cw * (k + 0.5)
        b.add(box((D - back_t - 0.02, ch, cw - 0.02), (back_t / 2, y0 + base_h + ch / 2, z)))
    if leg_h > 0.02:
        _legs(b, rng, D / 2, L / 2, leg_h, 0.05, rng.random() < 0.5)
    return b


def shelf(rng: np.random.Generator) -> ShapeBuilder:
    b = ShapeBuilder()
    W, H, D = rng.uniform(0.5, 1.2), rng.uniform(0.8, 2.0), rng.uniform(0.25, 0.4)
    t = rng.uniform(0.02, 0.04)
    for s in (-1, 1):
        b.add(box((D, H, t), (0, H / 2, s * (W / 2 - t / 2))))
    n = int(rng.integers(3, 7))
    for y in np.linspace(t / 2, H - t / 2, n):
        b.add(box((D, t, W - 2 * t), (0, y, 0)))
    if rng.random() < 0.6:  # back panel
        b.add(box((t / 2, H, W - 2 * t), (-D / 2 + t / 4, H / 2, 0)))
    if rng.random() < 0.3:  # a divider in the middle
        b.add(box((D, H - t, t), (0, H / 2, rng.uniform(-W / 4, W / 4))))
    return b
