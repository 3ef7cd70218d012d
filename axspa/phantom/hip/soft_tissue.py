"""Soft tissue: body outline, muscles and fascial planes, pelvic organs and vessels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from axspa.phantom.hip.canvas import Box, _Canvas
from axspa.phantom.hip.config import URINE
from axspa.phantom.hip.geometry import _HipSide
from axspa.phantom.hip.profiles import Warp, _extruded, _line_table, _polygon_table, _smooth_path
from axspa.phantom.hip.sdf import Sdf, _capsule, _chain, _ellipsoid, _rotation, _rough, _Shape, _v


@dataclass
class _Tissue:
    """Per-case tissue signal: fat (a full-grid field, brighter toward the edges of the field of
    view), muscle, yellow and red marrow."""

    fat: np.ndarray
    muscle: float
    yellow: float
    red: float
    young: bool  # red-marrow islands in the pelvis
    marrow_gain: Optional[np.ndarray] = None  # generator 3: fatty-marrow signal multiplier (failed fat-sat)


def _body_sdf(ax: float, ay: float, thigh_r: float, thigh_x: float) -> Sdf:
    """Trunk (elliptic, narrowing to the waist above the iliac crests) smoothly joined to the thighs."""
    ax32, ay32, tr32, tx32 = (np.float32(v) for v in (ax, ay, thigh_r, thigh_x))

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        waist = ax32 * (np.float32(1.0) - np.float32(0.14) * np.clip((z - np.float32(90.0)) / np.float32(90.0),
                                                                     0.0, 1.0))
        trunk = (np.sqrt((x / waist) ** 2 + (y / ay32) ** 2) - 1.0) * ay32
        trunk = np.maximum(trunk, np.float32(-90.0) - z)
        thighs = np.minimum(np.sqrt((x - tx32) ** 2 + y * y), np.sqrt((x + tx32) ** 2 + y * y)) - tr32
        thighs = np.maximum(thighs, z - np.float32(20.0))
        k = np.float32(40.0)  # smooth union: the buttocks blend into the thighs
        h = np.clip(0.5 + 0.5 * (thighs - trunk) / k, 0.0, 1.0)
        return thighs + (trunk - thighs) * h - k * h * (1.0 - h)

    return sdf


def _muscle_value(cv: _Canvas, base: float) -> Callable[[Box, list, np.ndarray], np.ndarray]:
    """Skeletal muscle: one homogeneous intermediate grey, with faint fibre striation and a gentle
    drift in signal (no muscle-shaped patches: real muscle bellies differ by a few percent at most)."""
    def value(box: Box, xyz: list, sd: np.ndarray) -> np.ndarray:
        return np.float32(base) * (1.0 + np.float32(0.04) * cv.striation[box] + np.float32(0.025) * cv.fine[box]
                                   + np.float32(0.035) * cv.coarse[box])
    return value


@dataclass
class _Frame:
    """One hip's landmarks in its coronal frame: u (mm) lateral from the head centre, z (mm) up from it."""

    h: _HipSide
    ilium: np.ndarray  # outline of the hemipelvis plate (u, z), closed
    crest: np.ndarray  # (u, z) of the iliac crest's inner lip
    inner_wing: np.ndarray  # (u, z) points down the iliac fossa to the pelvic brim
    wall: float  # u of the obturator internus' pelvic surface (the side wall of the true pelvis)
    iliacus: float  # thickness of the iliacus on the wing (mm)
    shear: float  # lateral shift of the wing per mm anterior (the wing runs obliquely in axial section)
    trochanter: np.ndarray  # (u, z) of the greater trochanter's tip
    shaft_top: np.ndarray  # (u, z) of the shaft's axis below the lesser trochanter

    def x(self, uz: np.ndarray) -> np.ndarray:
        """(u, z) -> patient (x, z)."""
        uz = np.asarray(uz, dtype=float)
        return np.column_stack([self.h.centre[0] + self.h.s * uz[..., 0], self.h.centre[2] + uz[..., 1]])

    def wing_weight(self, z: np.ndarray) -> np.ndarray:
        """0 at and below the acetabular roof, 1 on the iliac wing."""
        return np.clip((z - np.float32(self.h.centre[2] + 40.0)) / np.float32(50.0), 0.0, 1.0)


def _to_uz(h: _HipSide, p: np.ndarray) -> np.ndarray:
    return np.array([h.s * (p[0] - h.centre[0]), p[2] - h.centre[2]])


def _frames(sides: list[_HipSide], rng: np.random.Generator) -> list[_Frame]:
    """Per hip: the coronal outline of the hemipelvis and the landmarks the soft tissue hangs on."""
    frames = []
    for h in sides:
        r_out = h.radius + h.gap + h.cup_thickness
        a_u, a_z = h.s * h.cup_axis[0], h.cup_axis[2]
        ce = np.clip(np.deg2rad(h.cup_half_angle) - np.arctan2(-a_u, a_z), np.deg2rad(28), np.deg2rad(48))
        rim = (r_out - 1.5) * np.array([np.sin(ce), np.cos(ce)])
        crest = np.array([rng.uniform(48.0, 72.0), rng.uniform(110.0, 138.0)])
        tw = rng.uniform(7.0, 11.0)  # wing thickness in coronal section
        brim = np.array([-r_out - rng.uniform(2.0, 7.0), rng.uniform(32.0, 44.0)])
        o3 = np.array([rim[0] + 0.22 * (crest[0] - rim[0]) + rng.uniform(-3, 3), 72.0])
        o4 = np.array([rim[0] + 0.6 * (crest[0] - rim[0]), 0.5 * (72.0 + crest[1]) + 8.0])
        outer = [rim, rim + (2.0, 9.0), (rim[0] - rng.uniform(0.0, 3.0), 45.0), o3, o4,
                 crest + (3.0, -4.0), crest + (-3.0, 3.0)]
        inner = [crest + (-tw - 3.0, -2.0), o4 + (-1.3 * tw, 1.0), o3 + (-1.6 * tw - 3.0, -3.0),
                 (0.5 * (o3[0] - 1.6 * tw) + 0.5 * brim[0], 0.5 * (69.0 + brim[1]) + 4.0), brim]
        teardrop = [(-r_out - 2.0, 15.0), (-r_out - 1.0, -10.0), (-r_out + 3.0, -25.0), (-r_out + 11.0, -30.0)]
        outline = _smooth_path(np.vstack([outer, inner, teardrop, [(0.0, 0.0)]]), closed=True, rounds=2)
        base = h.centre + h.neck_dir * h.neck_len
        frames.append(_Frame(h, outline, np.asarray(inner[0]), np.asarray(inner[1:]),
                             -r_out - 2.0 - rng.uniform(9.0, 14.0), rng.uniform(11.0, 17.0),
                             rng.uniform(0.25, 0.45), _to_uz(h, base + _v(h.s * 20, 0, 30)),
                             _to_uz(h, base + h.shaft_dir * 45.0)))
    return frames


def _cavity(frames: list[_Frame], top_x: float, rng: np.random.Generator) -> _Shape:
    """The abdominopelvic cavity's fat and contents in coronal section: between the iliaci on the iliac
    wings above the brim, between the obturator internus muscles lining the side walls of the true
    pelvis, and below the levator ani down to the perineum (the ischioanal fossae)."""
    halves = []
    for f in frames:
        h = f.h
        d = abs(h.centre[0])
        pts = [(top_x - d, 260.0), (f.crest[0] - 0.5 * f.iliacus, f.crest[1] + 14.0)]
        wing = np.vstack([f.crest, f.inner_wing])
        normal = np.gradient(wing, axis=0) @ np.array([[0.0, -1.0], [1.0, 0.0]])  # toward the pelvis
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        pts += list(wing[1:] + f.iliacus * normal[1:] * np.linspace(1.0, 0.6, len(wing) - 1)[:, None])
        w = f.wall
        pts += [(w, 16.0), (w + 3.0, -12.0), (w + 8.0, -32.0), (w + 4.0, -72.0),
                (-d + rng.uniform(15.0, 25.0), -rng.uniform(92.0, 102.0))]
        halves.append(f.x(_smooth_path(pts, rounds=2)))
    right, left = (halves[0], halves[1]) if frames[0].h.s > 0 else (halves[1], halves[0])
    table = _polygon_table([np.vstack([right, left[::-1]])])
    return _extruded(table, -12.0, 62.0, _wing_warp(frames), reach=30.0)


def _wing_warp(frames: list[_Frame]) -> Warp:
    """x at which to read a coronal outline of the pelvis: the iliac wings run obliquely (anteriorly
    they are lateral, posteriorly they meet the sacrum), so the wing's outline moves laterally
    slice by slice toward the front; the acetabulum does not move."""
    params = [(np.float32(f.h.s), np.float32(f.shear), np.float32(f.h.centre[1]), f) for f in frames]

    def warp(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        out = x
        for s, shear, y0, f in params:
            side = (x * s > 0).astype(np.float32)
            out = out - side * s * shear * (y - y0) * f.wing_weight(z)
        return out

    return warp


def _levator(frames: list[_Frame], rng: np.random.Generator) -> _Shape:
    """The levator ani: a thin muscular funnel from the obturator internus fascia down to the
    anorectal junction (a V in coronal section), the floor of the pelvic fat."""
    halves = []
    for f in frames:
        d, w = abs(f.h.centre[0]), f.wall
        low = rng.uniform(70.0, 80.0)
        halves.append(f.x(_smooth_path([(w + 6.0, -26.0), (w + 16.0, -50.0), (-d + 20.0, -low + 6.0),
                                        (-d + 5.0, -low)], rounds=3)))
    right, left = (halves[0], halves[1]) if frames[0].h.s > 0 else (halves[1], halves[0])
    table = _line_table([np.vstack([right, left[::-1]])])
    return _extruded(table, -20.0, 45.0, thickness=rng.uniform(4.0, 6.0))


def _fascial_planes(f: _Frame, rng: np.random.Generator) -> list[tuple[list[np.ndarray], float, float, float]]:
    """Intermuscular septa of one hip as coronal polylines (u, z), grouped by the slab of slices they
    run through: (lines, y offset from the head centre, half extent in y, thickness in mm)."""
    h = f.h
    r_out = h.radius + h.gap + h.cup_thickness
    tu, tz = f.trochanter
    su, sz = f.shaft_top
    dn = -h.shaft_dir[0] * h.s / max(-h.shaft_dir[2], 0.5)  # shaft drift in u per mm down (medial: < 0)

    def j(points: Sequence[Sequence[float]], mm: float = 3.0) -> np.ndarray:
        p = np.asarray(points, dtype=float)
        p = p + rng.normal(0.0, mm, p.shape)
        return _smooth_path(p, rounds=3)

    def along_shaft(offset: float, z_top: float) -> list[tuple[float, float]]:
        return [(su + offset + dn * (z - sz), z) for z in (z_top, z_top - 60.0, z_top - 140.0, z_top - 260.0)]

    outer = f.ilium[: len(f.ilium) // 3]  # gluteus minimus under medius: along the outer iliac surface
    glut = [(p[0] + rng.uniform(12.0, 17.0), p[1]) for p in outer[::4] if p[1] > 20.0][:6]
    central = [
        j([(tu + 4.0, tz + 8.0)] + glut, 1.5),  # gluteus minimus / medius
        j(along_shaft(rng.uniform(20.0, 28.0), tz - 25.0)),  # vastus lateralis / intermedius
        j([(-r_out - 14.0, -50.0), (-10.0, -47.0), (22.0, -38.0), (su - 4.0, tz - 30.0)], 2.0),  # obturator externus
        j([(-r_out - 25.0, -52.0), (-r_out - 8.0, -110.0), (su - 28.0 + dn * 150.0, -180.0),
           (su - 18.0 + dn * 250.0, -270.0)]),  # adductor longus / brevis
        j([(-r_out - 45.0, -60.0), (-r_out - 28.0, -130.0), (su - 40.0 + dn * 220.0, -240.0)]),  # brevis / magnus
        j([(-r_out - 66.0, -62.0), (-r_out - 60.0, -160.0), (-r_out - 50.0, -270.0)]),  # gracilis
    ]
    anterior = [
        j([(-r_out - 6.0, 60.0), (-r_out + 4.0, 20.0), (-22.0, -25.0), (su - 18.0, sz - 5.0)]),  # iliopsoas medial
        j([(6.0, 80.0), (10.0, 35.0), (r_out - 4.0, -10.0)]),  # iliopsoas / gluteus minimus, rectus femoris
        j([(r_out + 18.0, 70.0), (tu + 14.0, 0.0), (tu + 16.0, -90.0), (su + 30.0 + dn * 230.0, -250.0)]),  # TFL
        j(along_shaft(-rng.uniform(4.0, 10.0), sz - 20.0)),  # vastus intermedius / medialis
        j([(-r_out - 30.0, -40.0), (-r_out - 15.0, -100.0), (su - 30.0 + dn * 200.0, -220.0)]),  # pectineus
    ]
    posterior = [
        j([(-45.0, 110.0), (0.0, 60.0), (tu + 5.0, 5.0), (tu + 14.0, -60.0), (tu + 12.0, -110.0)]),  # glut. max.
        j([(-r_out - 20.0, -42.0), (tu - 10.0, tz - 32.0)], 1.5),  # quadratus femoris, upper border
        j([(-r_out - 20.0, -64.0), (tu - 8.0, tz - 55.0)], 1.5),  # quadratus femoris, lower border
        j([(-r_out - 20.0, -15.0), (tu - 10.0, tz - 8.0)], 1.5),  # gemelli / obturator internus tendon
        j([(-r_out - 25.0, -80.0), (-r_out - 15.0, -160.0), (-r_out - 5.0, -260.0)]),  # hamstrings
    ]
    fascicles = [j([(-60.0 + 18.0 * i, 120.0 - 8.0 * i), (-10.0 + 14.0 * i, 40.0 - 10.0 * i),
                    (tu + 10.0 + 6.0 * i, -40.0 - 20.0 * i)], 2.0) for i in range(1, 5)]  # gluteus maximus septa
    return [(central, -5.0, 38.0, rng.uniform(1.0, 1.6)), (anterior, 26.0, 24.0, rng.uniform(1.0, 1.5)),
            (posterior, -40.0, 28.0, rng.uniform(1.0, 1.6)), (fascicles, -48.0, 24.0, 0.7)]


def _paint_soft_tissue(cv: _Canvas, rng: np.random.Generator, distance: float, sides: list[_HipSide],
                       tissue: _Tissue, frames: list[_Frame]) -> tuple[float, float]:
    """Skin, subcutaneous fat, one continuous mass of muscle divided by thin fat-containing septa,
    the pelvic cavity with its side walls and floor, bowel, bladder and vessels."""
    ax, ay = rng.uniform(165.0, 200.0), rng.uniform(105.0, 135.0)
    fat = rng.uniform(8.0, 35.0)
    thigh_r, thigh_x = rng.uniform(85.0, 105.0), distance / 2 + rng.uniform(-5.0, 15.0)
    body = _rough(_Shape(_v(-ax - 40, -ay - 40, -400), _v(ax + 40, ay + 40, 400),
                         _body_sdf(ax, ay, thigh_r, thigh_x)), rng, 5.0)
    depth = np.float32(fat) * (1.0 + np.float32(0.35) * cv.medium)  # subcutaneous fat of varying depth
    muscle = _muscle_value(cv, tissue.muscle)
    cv.paint(body, [(0.0, 0.24), (1.5, tissue.fat), (depth, muscle)])

    for f in frames:
        for lines, dy, half_y, thick in _fascial_planes(f, rng):
            for line in lines:  # one small table per septum: its bounding box is all that is evaluated
                plane = _extruded(_line_table([f.x(line)], margin=4.0), f.h.centre[1] + dy, half_y, thickness=thick)
                cv.paint(_rough(plane, rng, 0.4), [(0.0, tissue.fat)])
    cv.paint(_rough(_cavity(frames, ax * 0.86 - fat - 18.0, rng), rng, 3.0), [(0.0, tissue.fat)])
    cv.paint(_rough(_levator(frames, rng), rng, 1.0), [(0.0, muscle)])
    for f in frames:  # psoas in its fat plane, over the pelvic brim into the iliopsoas
        h = f.h
        p = [h.centre + _v(-h.s * du, y, dz) + rng.normal(0.0, 2.0, 3)
             for du, y, dz in ((abs(h.centre[0]) - 30.0, -25, 240), (abs(h.centre[0]) - 38.0, -15, 140),
                               (-f.wall - 10.0, 2, 80), (-f.wall - 20.0, 14, 42))]
        for rod in _chain(p, rng.uniform(20.0, 25.0), rng.uniform(15.0, 19.0)):
            cv.paint(_rough(rod, rng, 1.5), [(0.0, tissue.fat), (1.3, muscle)])
    _paint_pelvic_organs(cv, rng, distance, tissue, frames)
    _paint_vessels(cv, rng, sides)
    return ax, ay


def _paint_pelvic_organs(cv: _Canvas, rng: np.random.Generator, distance: float, tissue: _Tissue,
                         frames: list[_Frame]) -> None:
    """Bladder (bright urine) on the pelvic floor, rectum and anal canal in the posterior midline,
    bowel loops (wall plus fluid, faeces or gas) above the pelvic brim."""
    inner = min(abs(f.h.centre[0]) + f.wall for f in frames)  # half width of the true pelvis
    # The false pelvis and lower abdomen are packed with bowel: loops with intermediate walls and
    # fluid, faeces or gas inside, in little dark mesenteric fat.
    lim = _v(inner + 25.0, 60.0, 260.0)
    for _ in range(int(rng.integers(16, 24))):
        start = _v(rng.uniform(-0.9, 0.9) * (inner + 15.0), rng.uniform(-35, 50), rng.uniform(45, 220))
        points = [start]
        for _ in range(int(rng.integers(2, 4))):
            points.append(np.clip(points[-1] + rng.normal(0.0, 22.0, 3), -lim, lim))
        radius = rng.uniform(9.0, 17.0)
        content = rng.choice(["fluid", "faeces", "gas", "collapsed"], p=[0.35, 0.25, 0.1, 0.3])
        value = {"fluid": rng.uniform(0.55, 0.9), "faeces": rng.uniform(0.2, 0.4), "gas": 0.01,
                 "collapsed": rng.uniform(0.28, 0.4)}[content]
        for rod in _chain(points, radius, radius):
            cv.paint(_rough(rod, rng, 2.0), [(0.0, rng.uniform(0.2, 0.28)),
                                             (2.2, lambda box, xyz, sd, v=value: np.float32(v)
                                              * (1.0 + np.float32(0.25) * cv.fine[box]))])
    anus = _capsule(_v(rng.uniform(-3, 3), -45, -100), _v(rng.uniform(-4, 4), -50, -70), 11.0, 12.0)
    cv.paint(_rough(anus, rng, 1.5), [(0.0, tissue.muscle * 1.05), (7.0, tissue.muscle * 0.7)])
    rectum = _chain([_v(rng.uniform(-4, 4), -50, -70), _v(rng.uniform(-8, 8), -62, -20),
                     _v(rng.uniform(-10, 10), -64, 30), _v(rng.uniform(-25, 25), -55, 75)],
                    rng.uniform(13, 19), rng.uniform(12, 16))
    for rod in rectum:
        cv.paint(_rough(rod, rng, 3.0), [(0.0, 0.22), (2.5, lambda box, xyz, sd: np.float32(0.25)
                                                        * (1.0 + np.float32(0.4) * cv.fine[box]))])
    for f in frames:  # internal iliac branches running along the pelvic side wall
        side_x = f.h.centre[0] + f.h.s * (f.wall + 4.0)
        for _ in range(int(rng.integers(4, 8))):
            a = _v(side_x - f.h.s * rng.uniform(0, 12), rng.uniform(-50, 20), rng.uniform(-40, 40))
            b = a + _v(-f.h.s * rng.uniform(0, 10), rng.normal(0, 15), rng.uniform(-35, 35))
            cv.paint(_capsule(a, b, rng.uniform(1.0, 3.0)), [(0.0, rng.uniform(0.45, 0.8))])
    # Uterus or prostate and seminal vesicles: intermediate signal behind and above the bladder.
    organ = _ellipsoid(_v(rng.uniform(-8, 8), rng.uniform(-35, -15), rng.uniform(-15, 25)),
                       (rng.uniform(18, 30), rng.uniform(14, 22), rng.uniform(18, 30)), _rotation(rng, 15.0))
    wall, inside = rng.uniform(0.3, 0.45), np.float32(rng.uniform(0.4, 0.6))
    cv.paint(_rough(organ, rng, 2.5), [(0.0, wall), (4.0, lambda box, xyz, sd: inside
                                                     * (1.0 + np.float32(0.15) * cv.medium[box]))])
    rx, ry, rz = min(rng.uniform(35, 55), inner - 8.0), rng.uniform(25, 40), rng.uniform(20, 34)
    bladder = _ellipsoid(_v(rng.uniform(-6, 6), rng.uniform(12, 28), -42.0 + rz + rng.uniform(0, 8)),
                         (rx, ry, rz), _rotation(rng, 8.0))
    cv.paint(_rough(bladder, rng, 3.0), [(0.0, 0.14), (2.5, URINE * rng.uniform(0.9, 1.0))])


def _paint_vessels(cv: _Canvas, rng: np.random.Generator, sides: list[_HipSide]) -> None:
    """Iliac-femoral vessels along the pelvic brim and in front of the hip (vein bright from slow
    flow, artery often a flow void), pelvic veins, and small vessels in the fascial planes."""
    for h in sides:
        s, hx = h.s, h.centre[0]
        for offset, radius, value in ((-6.0, rng.uniform(4.5, 6.0), rng.uniform(0.5, 0.75)),  # vein, medial
                                      (5.0, rng.uniform(3.5, 4.5), rng.choice([0.06, rng.uniform(0.3, 0.5)]))):
            x = hx - s * (30 - offset)
            path = [_v(s * 45 + s * offset, 10, 130), _v(x - s * 8, 32, 40), _v(x, 38, -10), _v(x + s * 10, 30, -220)]
            for rod in _chain([q + rng.normal(0, 2, 3) for q in path], radius, radius * 0.9):
                cv.paint(rod, [(0.0, value)])
    for _ in range(int(rng.integers(10, 20))):  # pelvic venous plexus and small branches
        a = _v(rng.uniform(-60, 60), rng.uniform(-60, 30), rng.uniform(-40, 80))
        cv.paint(_capsule(a, a + rng.normal(0, 18, 3), rng.uniform(1.0, 2.8)), [(0.0, rng.uniform(0.35, 0.75))])
    for _ in range(int(rng.integers(16, 30))):  # intramuscular and subcutaneous vessels: thin bright lines
        h = sides[int(rng.integers(0, 2))]
        a = h.centre + _v(h.s * rng.uniform(-60, 90), rng.uniform(-80, 60), rng.uniform(-230, 100))
        b = a + _v(rng.normal(0, 8), rng.normal(0, 8), rng.uniform(25, 70) * rng.choice([-1, 1]))
        cv.paint(_capsule(a, b, rng.uniform(0.5, 1.2)), [(0.0, rng.uniform(0.3, 0.6))])
