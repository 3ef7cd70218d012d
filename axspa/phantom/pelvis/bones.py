"""Bones: L5 with pedicles and transverse processes, the sacrum, the hemipelves and the femora."""

from __future__ import annotations

import numpy as np

from axspa.phantom import shapes
from axspa.phantom.pelvis.canvas import _Body, _Canvas, _mirror, _path
from axspa.phantom.pelvis.joints import _arc, _band


def _lumbar(cv: _Canvas, rng: np.random.Generator, b: _Body) -> None:
    """L4 and L5 as seen AP: waisted bodies (upright cylinders) with endplates seen slightly obliquely (two
    rims), pedicles end-on as cortical rings, transverse processes (L4 slender, L5 thick and sloping up
    toward the ala), laminae converging on a teardrop spinous process, articular processes and facet joints."""
    sc = b.sc
    levels = (("L4", -90 + rng.normal(0, 1.5), 30 + rng.normal(0, 1.5), 23.5 + rng.normal(0, 1), 1.2),
              ("L5", -47 + rng.normal(0, 1), 26 + rng.normal(0, 1), 25.5 + rng.normal(0, 1), 2.6))
    for name, y0, height, hw, tilt in levels:
        y1 = y0 + height
        body = _vertebral_body(rng, y0, y1, hw) * sc
        cv.solid(body, 0.27, 0.16, 1.6, profile="column", core_layer=cv.column)
        # Endplates: the rim nearer the film and the far rim separate when the disc is not parallel to the beam.
        for yy, sgn in ((y0, 1), (y1, -1)):
            e = tilt * rng.uniform(0.7, 1.3)
            cv.line(cv.cortex, _ellipse_half(0, yy + sgn * (0.8 + e), hw - 2, e, far=True) * sc, 0.8, 0.1)
            cv.line(cv.cortex, _ellipse_half(0, yy + sgn * (0.8 + e), hw - 2, e, far=False) * sc, 1.1, 0.14)
        yc = y0 + 0.38 * height
        for side in (-1, 1):
            _pedicle(cv, rng, side, np.array([hw - 8.5, yc]), sc)
            _transverse_process(cv, rng, side, name, hw, y0, yc, sc)
            # Lamina: from the pedicle down and in to the spinous process; articular processes at its ends.
            lam = _mirror(_path([(hw - 10, yc + 4), (hw - 14, y1 - 4), (5, y1 + 2)], 12, 0.1), side) * sc
            cv.solid(_band(lam, 6 * sc), 0.1, 0.1, 0.8)
            sup = _mirror(np.array([[hw - 6, y0 - 7], [hw - 3, y0 - 1], [hw - 9, y0 + 4], [hw - 12, y0 - 2]]), side)
            cv.solid(shapes.smooth_closed(sup, 24, 0.04) * sc, 0.08, 0.05, 0.8)
            inf = _mirror(np.array([[hw - 13, y1 - 2], [hw - 9, y1 + 1], [hw - 10, y1 + 10], [hw - 14, y1 + 7]]), side)
            cv.solid(shapes.smooth_closed(inf, 24, 0.04) * sc, 0.08, 0.05, 0.8)
            # Facet joint between this inferior process and the next superior one: an oblique lucent line.
            facet = _mirror(_path([(hw - 9.5, y1 + 1), (hw - 8, y1 + 6), (hw - 8.5, y1 + 11)], 10, 0.1), side) * sc
            cv.line(cv.jcarve, facet, 0.9, 0.35)
            cv.line(cv.jcortex, facet + np.array([side * 0.9 * sc, 0]), 0.7, 0.14)
        sp = np.array([rng.normal(0, 1.5), y1 - 1])
        tear = np.array([[0, -9], [3.5, -4], [4, 3], [1.5, 8], [-1.5, 8], [-4, 3], [-3.5, -4]])
        tear = tear @ np.array([[1, 0], [rng.uniform(-0.15, 0.15), 1]])  # spinous process leaning a little
        cv.solid(shapes.smooth_closed(tear * np.array([1, rng.uniform(0.9, 1.2)]) + sp, 40, 0.03) * sc, 0.12,
                 0.2, 1.0)


def _vertebral_body(rng: np.random.Generator, y0: float, y1: float, hw: float) -> np.ndarray:
    """Outline (mm) of a lumbar body seen AP: concave lateral walls (the waist), endplates slightly concave,
    corners rounded with a little lipping of the ring apophyses."""
    waist = rng.uniform(1.8, 3.0)
    t = np.linspace(0, 1, 20)
    right = np.stack([hw - waist * np.sin(np.pi * t) ** 1.5 + 0.6 * np.exp(-((t - 0.02) / 0.06) ** 2)
                      + 0.6 * np.exp(-((t - 0.98) / 0.06) ** 2), y0 + 1.5 + (y1 - y0 - 3) * t], axis=1)
    xs = np.linspace(hw - 1.5, -(hw - 1.5), 24)
    dip = rng.uniform(0.4, 1.2)
    top = np.stack([xs, y0 + dip * (1 - (xs / hw) ** 2)], axis=1)
    bottom = np.stack([xs[::-1], y1 - dip * (1 - (xs / hw) ** 2)], axis=1)
    left = right[::-1] * np.array([-1, 1])
    return shapes.smooth_closed(np.vstack([top[::-1], right, bottom[::-1], left]), 120, 0.006)


def _ellipse_half(cx: float, cy: float, rx: float, ry: float, far: bool) -> np.ndarray:
    """Upper (``far``) or lower half of a flat ellipse: one rim of an obliquely seen endplate."""
    return _arc((0, 0), 1.0, 180, 360, 24) * np.array([rx, ry * (1 if far else -1)]) + np.array([cx, cy])


def _pedicle(cv: _Canvas, rng: np.random.Generator, side: int, c: np.ndarray, sc: float) -> None:
    """A pedicle seen end-on: an oval cortical ring (the 'eye'), its lateral wall thicker."""
    rx, ry = rng.uniform(3.8, 5.0), rng.uniform(6.0, 7.5)
    ring = shapes.ellipse_points(_mirror(c, side), (rx, ry), side * rng.uniform(0, 10), 40)
    cv.solid(ring * sc, 0.1, 0.0)
    cv.line(cv.cortex, ring * sc, 1.3, 0.15, closed=True)
    outer = _mirror(_path([c + (rx * 0.6, -ry * 0.8), c + (rx + 0.3, 0), c + (rx * 0.6, ry * 0.8)], 12, 0.1), side)
    cv.line(cv.cortex, outer * sc, 1.0, 0.12)


def _transverse_process(cv: _Canvas, rng: np.random.Generator, side: int, name: str, hw: float, y0: float,
                        yc: float, sc: float) -> None:
    """L4: a slender rod tapering laterally, slightly upturned. L5: short, thick and pyramidal, its tip
    sloping up and back toward the sacral ala (a round bone seen along its length, not a flat plate)."""
    if name == "L4":
        length, base, tip, rise = rng.uniform(18, 24), rng.uniform(9, 11), rng.uniform(3.5, 5), rng.uniform(2, 5)
    else:
        length, base, tip, rise = rng.uniform(15, 20), rng.uniform(15, 18), rng.uniform(7, 9), rng.uniform(10, 14)
    x0, x1 = hw - 6, hw + length
    t = np.linspace(0, 1, 14)
    mid = yc - rise * t ** 1.5
    half = base / 2 + (tip / 2 - base / 2) * t ** 0.7
    upper = np.stack([x0 + (x1 - x0) * t, mid - half - 0.8 * np.sin(np.pi * t)], axis=1)
    lower = np.stack([x0 + (x1 - x0) * t, mid + half + 1.2 * np.sin(np.pi * t) * (name == "L5")], axis=1)
    cap = _arc((x1, mid[-1]), tip / 2, -90, 90, 8)
    outline = np.vstack([upper, cap[1:-1], lower[::-1]])
    cv.solid(_mirror(shapes.smooth_closed(outline, 60, 0.01), side) * sc, 0.2, 0.14, 1.0, profile="round")


def _sacrum(cv: _Canvas, rng: np.random.Generator, b: _Body, lines: dict) -> None:
    """A broad inverted triangle between the joints: S1 body and alae, arcuate lines over the four pairs of
    anterior foramina, fused segment lines, the median crest; the coccyx below its apex."""
    sc, T = b.sc, b.tilt
    halves = []
    for side in (-1, 1):
        lat = lines[side][0]
        ala = np.array([side * 25 * sc, -14 * sc])
        ala_top = lat[0] + np.array([side * 1.5, -7]) * sc
        taper = _mirror(np.array([[27, 92 * T], [19, 108 * T], [10, 119 * T], [4, 125 * T]]) * sc, side)
        halves.append(np.vstack([ala, shapes.bezier(ala, (ala + ala_top) / 2 + [0, -3 * sc], ala_top, 6)[1:],
                                 lat, taper]))
    outline = np.vstack([halves[1], [[0, 127 * T * sc]], halves[0][::-1]])
    cv.solid(shapes.smooth_closed(outline, 160, 0.003), 0.3, 0.12, 1.2)
    # S1 body: an upright cylinder like the lumbar bodies; its upper endplate seen very obliquely (lordosis).
    cv.solid(_vertebral_body(rng, -14, 12, 23.5) * sc, 0.14, 0.1, 1.2, profile="column", core_layer=cv.column)
    e = rng.uniform(2.5, 4.0)
    cv.line(cv.cortex, _ellipse_half(0, -13 + e, 21.5, e, far=True) * sc, 0.8, 0.1)
    cv.line(cv.cortex, _ellipse_half(0, -13 + e, 21.5, e, far=False) * sc, 1.1, 0.14)
    for k in range(4):
        y = (22 + 21 * k) * T * sc
        disc = np.array([[(-16 + 2 * k) * sc, y - 9 * T * sc], [(16 - 2 * k) * sc, y - 9 * T * sc]])
        cv.line(cv.carve, disc, 1.2, 0.08)  # the fused discs between sacral segments
        for side in (-1, 1):
            c = np.array([side * (25 - 3.2 * k) * sc * b.inlet ** 0.3, y])
            rx, ry = (6.5 - 0.9 * k) * sc, (5 - 0.6 * k) * sc
            cv.ellipse(cv.carve, c, (rx, ry), 0, 0.32 - 0.04 * k)
            # Arcuate line: the upper margin of the foramen, sweeping laterally.
            arc = c + _mirror(_arc([0, 0], 1.0, 185, 345, 16) * np.array([rx * 1.35, ry * 1.3]), side)
            cv.line(cv.cortex, arc, 1.0, 0.28)
    crest_x = rng.normal(0, 1.0)
    cv.line(cv.bone, np.array([[crest_x, -4], [crest_x, 95 * T]]) * sc, 4.5, 0.06)
    for k in range(3):
        cv.ellipse(cv.bone, np.array([crest_x, (8 + 26 * k) * T]) * sc, (3 * sc, 5 * sc), 0, 0.06)
    dev = rng.normal(0, 4)
    for k in range(int(rng.integers(3, 5))):
        c = np.array([dev * k / 3, (133 + 9.5 * k) * T]) * sc
        seg = shapes.rounded_quad(c + np.array([[-9 + 2 * k, -3.8], [9 - 2 * k, -3.8], [7 - 2 * k, 3.8],
                                                [-7 + 2 * k, 3.8]]) * sc, 1.5 * sc)
        cv.solid(seg, 0.14, 0.12, 0.8)


def _hemipelvis(cv: _Canvas, rng: np.random.Generator, b: _Body, side: int, lines: tuple, head: np.ndarray,
                r_head: float) -> None:
    """One os coxae: iliac wing (thin fan, dense crest), iliac body, pelvic brim, ilioischial line,
    acetabular roof and rims, teardrop, pubic rami around the obturator foramen, ischial tuberosity."""
    sc, T, w = b.sc, b.tilt, b.inlet
    hx, hy = abs(head[0]), head[1]
    med = lines[1]
    crest = np.array([[148, -15], [141, -48], [118, -66], [86, -71], [60, -60], [45, -40], [40, -18]]) * sc
    lateral = np.array([[hx + 25 * sc, hy - 22 * sc], [128 * sc, 72 * sc], [125 * sc, 55 * sc], [140 * sc, 22 * sc]])
    inner = np.array([[36 * sc, 92 * T * sc], [50 * sc, 112 * sc], [hx - 26 * sc, hy - 10 * sc],
                      [hx - 12 * sc, hy - r_head - 4 * sc]])
    wing = np.vstack([np.abs(med), inner, lateral, crest])
    wing_s = _mirror(shapes.smooth_closed(wing, 180, 0.006), side)
    cv.solid(wing_s, 0.12, 0.28, 1.8, profile="flat")
    cv.line(cv.cortex, _mirror(_path(crest[:-1], 30, 0.05), side), 3.5, 0.14)  # iliac crest
    buttress = _mirror(_path([(44, 10), (58, 60), (80, 100), (hx - 4, hy - 18)], 24, 0.1) * sc, side)
    cv.solid(_band(buttress, 34 * sc), 0.16, 0.0)
    # Pelvic brim (iliopectineal line) from the SI joint to the pubis; ilioischial line; teardrop.
    brim = _path(np.vstack([np.abs(med[-4]), np.array([[50 * w, 82], [62 * w, 100], [62 * w, 120], [48 * w, 145],
                                                        [22, 162 * T]]) * sc]), 40, 0.08)
    cv.line(cv.cortex, _mirror(brim, side), 1.6, 0.35)
    cv.line(cv.cortex, _mirror(_path(np.array([[52, 98], [60, 130], [66, 170 * T]]) * sc, 20, 0.1), side), 1.4,
            0.22)
    tx = hx - r_head - 5 * sc
    tear = _path(np.array([[tx - 4, hy + 2], [tx - 4, hy + 20], [tx, hy + 26], [tx + 4, hy + 20], [tx + 4, hy + 4]]),
                 20, 0.08)
    cv.line(cv.cortex, _mirror(tear, side), 1.6, 0.3)
    # Acetabulum: the sclerotic roof (sourcil) over the head, anterior (medial) and posterior (lateral) walls.
    hc = np.array([hx, hy])
    cv.line(cv.cortex, _mirror(_arc(hc, r_head + 2.2 * sc, 200, 335, 28), side), 2.6 * sc, 0.42)
    cv.solid(_mirror(np.vstack([_arc(hc, r_head + 3.2 * sc, 205, 330, 20), _arc(hc, r_head + 9 * sc, 320, 215, 20)]),
                     side), 0.14, 0.0)
    post = shapes.bezier(hc + r_head * np.array([0.92, -0.45]), hc + r_head * np.array([0.75, 0.55]),
                         hc + r_head * np.array([0.2, 1.1]), 20)
    ant = shapes.bezier(hc + r_head * np.array([-0.15, -1.0]), hc + r_head * np.array([-0.6, 0.0]),
                        hc + r_head * np.array([-0.95, 0.75]), 20)
    cv.line(cv.cortex, _mirror(post, side), 1.3, 0.22)
    cv.line(cv.cortex, _mirror(ant, side), 1.2, 0.16)
    # Pubis and ischium around the obturator foramen (larger and more triangular in a female pelvis).
    ys = 180 * T * sc
    outer = np.array([[hx - 22 * sc, hy - 14 * sc], [hx + 4 * sc, hy + 12 * sc], [hx + 8 * sc, hy + 45 * sc],
                      [hx - 2 * sc, ys + 30 * sc], [hx - 20 * sc, ys + 40 * sc], [hx - 38 * sc, ys + 36 * sc],
                      [40 * w * sc, ys + 20 * sc], [16 * w * sc, ys + 14 * sc], [2.5, ys + 10 * sc],
                      [2.5, ys - 18 * sc],
                      [16 * sc, ys - 22 * sc], [40 * sc, ys - 32 * sc], [hx - 35 * sc, hy - 8 * sc]])
    obt_c = np.array([(hx - 40 * sc) * (1 + 0.05 * b.female), ys + 2 * sc])
    obt = shapes.ellipse_points(obt_c, ((26 if b.female else 23) * sc, (16 if b.female else 18) * sc), -32, 40)
    cv.solid(_mirror(shapes.smooth_closed(outer, 120, 0.006), side), 0.26, 0.32, 1.4, holes=[_mirror(obt, side)])
    tuber = shapes.ellipse_points((hx - 22 * sc, ys + 30 * sc), (17 * sc, 11 * sc), 15, 32)
    cv.solid(_mirror(tuber, side), 0.14, 0.1, 1.0)
    pubis = shapes.ellipse_points((13 * w * sc, ys - 2 * sc), (10 * sc, 17 * sc), 0, 32)
    cv.solid(_mirror(pubis, side), 0.12, 0.12, 1.0)


def _femur(cv: _Canvas, rng: np.random.Generator, b: _Body, side: int, head: np.ndarray, r: float) -> None:
    """Femoral head (ball) with the fovea, a waisted neck (concave borders, narrower than the head) at a
    neck-shaft angle of 120-140 degrees, greater and lesser trochanters, and the shaft (a tube: bright
    cortical walls around the medullary canal); the calcar and the compressive and tensile trabecular
    groups inside the neck."""
    sc = b.sc
    h = np.array([abs(head[0]), head[1]])
    cv.solid(_mirror(shapes.ellipse_points(h, (r, r), 0, 64), side), 0.45, 0.0)
    cv.ellipse(cv.carve, _mirror([h + np.array([-0.9 * r, 0.15 * r])], side)[0], (3 * sc, 2.2 * sc), 0, 0.35)
    phi = np.deg2rad(180 - rng.uniform(122, 138))  # neck axis below the horizontal
    ax, nrm = np.array([np.cos(phi), np.sin(phi)]), np.array([np.sin(phi), -np.cos(phi)])  # nrm: superior side
    waist = rng.uniform(0.64, 0.72) * r  # half-width of the neck at its narrowest

    def neck(u: float, v: float) -> np.ndarray:
        return u * r * ax + v * nrm

    ja = np.arctan2(*(neck(0.63, 0.78 * r))[::-1])
    jb = np.arctan2(*(neck(0.63, -0.78 * r))[::-1])
    ball = _arc((0, 0), r, np.rad2deg(ja), np.rad2deg(jb) - 360, 36)  # over the top of the head
    R = r / 24  # trochanters and shaft scale with the head
    medial = np.array([[15.5, 44], [17, 58], [10, 65], [11, 72], [19, 78], [20.5, 90]]) * R  # lesser trochanter
    lateral = np.array([[54, 74], [59, 46], [61, 24], [59, 9], [54, 1], [46, -1], [41, 3]]) * R  # greater troch.
    outline = np.vstack([ball, [neck(1.2, -waist)], medial, [[22 * R, 300], [50 * R, 300]], lateral,
                         [[40 * R, 5 * R]], [neck(1.2, waist)]])
    rot = np.deg2rad(rng.normal(0, 3))
    c, s_ = np.cos(rot), np.sin(rot)
    m = np.array([[c, s_], [-s_, c]])
    prox = shapes.smooth_closed(outline, 200, 0.003) @ m
    cv.solid(_mirror(h + prox, side), 0.5, 0.6, 2.2)
    # Greater trochanter: overlapping cancellous bone behind the neck base; its apex near the head centre level.
    gt = shapes.ellipse_points(np.array([50, 12]) * R, (10 * R, 16 * R), -10, 32) @ m
    cv.solid(_mirror(h + gt, side), 0.1, 0.05, 1.0)
    # Calcar (thick inferomedial neck cortex), compressive group (calcar to the dome), tensile arc.
    calcar = _path(np.vstack([neck(0.9, -waist * 0.95), neck(1.3, -waist * 1.02), [16 * R, 50 * R]]), 16, 0.1)
    cv.line(cv.cortex, _mirror(h + calcar @ m, side), 2.4 * R, 0.18)
    comp = _path(np.vstack([[17 * R, 52 * R], neck(1.1, -0.3 * r), [-0.1 * r, -0.65 * r]]), 20, 0.15)
    cv.line(cv.bone, _mirror(h + comp @ m, side), 9 * R, 0.08)
    tens = _path(np.vstack([[56 * R, 30 * R], neck(1.45, 0.45 * r), neck(0.55, 0.2 * r), [-0.3 * r, 0.6 * r]]), 24,
                 0.15)
    cv.line(cv.bone, _mirror(h + tens @ m, side), 5 * R, 0.05)
    scar = _path(np.vstack([neck(0.5, 0.8 * r), neck(0.42, 0), neck(0.5, -0.8 * r)]), 12, 0.1)
    cv.line(cv.cortex, _mirror(h + scar @ m, side), 0.8, 0.05)  # physeal scar
    cv.line(cv.cortex, _mirror(h + np.array([[46, 4], [20, 66]]) * R @ m, side), 2.0, 0.06)  # intertrochanteric
