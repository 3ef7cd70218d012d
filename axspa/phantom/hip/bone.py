"""Bone: ilium and pelvic ring, lumbar spine, femur with its head, physis and marrow."""

from __future__ import annotations

from typing import Callable

import numpy as np

from axspa.phantom.hip.canvas import Box, _Canvas
from axspa.phantom.hip.config import CORTEX
from axspa.phantom.hip.geometry import _HipSide
from axspa.phantom.hip.lesions import _frame
from axspa.phantom.hip.profiles import Warp, _polygon_table
from axspa.phantom.hip.sdf import _capsule, _cup, _ellipsoid, _rotation, _rough, _Shape, _sphere, _union, _unit, _v
from axspa.phantom.hip.soft_tissue import _Frame, _Tissue, _wing_warp


def _ilium(f: _Frame, warp: Warp, rng: np.random.Generator) -> _Shape:
    """The hemipelvis plate: one coronal outline (supra-acetabular body, iliac wing flaring
    superolaterally to the crest, the quadrilateral plate and teardrop medial to the cup) with the
    joint carved out as a sphere, extruded through the acetabulum's depth and, higher up, through the
    wing's much greater front-to-back extent."""
    h = f.h
    table = _polygon_table([f.x(f.ilium)])
    c32, y0 = h.centre.astype(np.float32), np.float32(h.centre[1] - 4.0)
    carve = np.float32(h.radius + h.gap + 0.4)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        w = f.wing_weight(z)
        plate = table(warp(x, y, z), z)
        depth = np.abs(y - (y0 - np.float32(15.0) * w)) - (np.float32(32.0) + np.float32(30.0) * w)
        joint = carve - np.sqrt((x - c32[0]) ** 2 + (y - c32[1]) ** 2 + (z - c32[2]) ** 2)
        return np.maximum(np.maximum(plate, depth), joint)

    def damp(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:  # the joint surface stays exact
        dist = np.sqrt((x - c32[0]) ** 2 + (y - c32[1]) ** 2 + (z - c32[2]) ** 2)
        return np.clip((dist - carve - np.float32(1.0)) / np.float32(8.0), 0.0, 1.0)

    lo, hi = table.lo.copy(), table.hi.copy()
    lo[0], hi[0] = lo[0] - 30.0, hi[0] + 30.0
    lo[1], hi[1] = h.centre[1] - 70.0, h.centre[1] + 60.0
    return _rough(_Shape(lo, hi, sdf, damp=damp), rng, 1.8)


def _pelvic_bones(sides: list[_HipSide], frames: list[_Frame], rng: np.random.Generator
                  ) -> tuple[list[_Shape], list[_Shape]]:
    """(bones, cups): ilium, ischium, pubic rami, sacrum; the acetabular cups are separate because
    they are the 'acetabulum' segments."""
    bones, cups = [], []
    warp = _wing_warp(frames)
    for h, f in zip(sides, frames):
        c, s, r = h.centre, h.s, h.radius
        r_in = r + h.gap
        cups.append(_cup(c, r_in, r_in + h.cup_thickness, h.cup_axis, h.cup_half_angle))
        bones.append(_ilium(f, warp, rng))
        bones.append(_rough(_capsule(c + _v(-s * 8, -48, 55), _v(s * 42, -78, c[2] + 75), 14.0, 12.0),
                            rng, 1.5))  # posterior ilium to the sacroiliac joint
        bones.append(_rough(_capsule(c + _v(-s * 14, -14, -0.55 * r), c + _v(-s * 28, -30, -r - 45),
                                     rng.uniform(12, 14), rng.uniform(9, 11)), rng, 1.5))  # ischium
        symphysis = _v(s * rng.uniform(5, 8), 38, c[2] - rng.uniform(35, 45))
        bones.append(_rough(_capsule(c + _v(-s * 18, 12, -0.35 * r), symphysis, 9.0, 8.0), rng, 1.0))
        bones.append(_rough(_capsule(symphysis + _v(0, 0, -12), c + _v(-s * 30, -25, -r - 40), 7.0, 8.0),
                            rng, 1.0))  # inferior pubic ramus
    bones.append(_rough(_ellipsoid(_v(0, -80, 70), (45, 22, 65), _rotation(rng, 6.0)), rng, 2.0))  # sacrum
    return bones, cups


def _spine(cv: _Canvas, rng: np.random.Generator) -> None:
    """L4 and L5 bodies with their discs at the top of the posterior slices (lordotic)."""
    z = rng.uniform(125.0, 140.0)
    for level in range(2):
        y = -45.0 + 6.0 * level
        body = _rough(_ellipsoid(_v(0, y, z + 14.0), (rng.uniform(22, 26), 17, 13)), rng, 1.0)
        cv.paint(body, [(0.0, CORTEX), (1.5, rng.uniform(0.12, 0.2))])
        disc = _ellipsoid(_v(0, y - 2, z - 3.0), (rng.uniform(21, 24), 16, 4.5))
        cv.paint(disc, [(0.0, 0.14), (1.8, rng.uniform(0.3, 0.55))])
        z += 35.0


def _femur(h: _HipSide, rng: np.random.Generator) -> tuple[_Shape, _Shape, _Shape]:
    """(femur, shaft, head): the proximal femur as one smooth union of head (with its fovea), neck,
    greater and lesser trochanter and shaft, so the neck flares into the trochanters."""
    c, s, n, d = h.centre, h.s, h.neck_dir, h.shaft_dir
    base = c + n * h.neck_len
    head = _head(h)
    neck = _capsule(c + n * 0.3 * h.radius, base, h.neck_radius, h.neck_radius * 1.3)
    # The greater trochanter: a separate bulge rising lateral to the neck base to about the level of the
    # head centre, with the trochanteric fossa as a notch between it and the neck.
    trochanter = _ellipsoid(base + _v(s * 13, -5, 13), _v(11, 15, 19) * rng.uniform(0.9, 1.1, 3),
                            _rotation(rng, 8) @ _frame(_unit(_v(s * 0.25, 0.0, 1.0)))[:, [0, 1, 2]])
    shaft_top = base + _v(s * 2, -2, -6)
    shaft_r = rng.uniform(13.0, 16.0)
    shaft = _capsule(shaft_top, shaft_top + d * 320, shaft_r + 6, shaft_r)
    lesser = _ellipsoid(shaft_top + _v(-s * 15, -10, -30), (9, 8, 12))
    femur = _union([head, _union([_union([neck, shaft, lesser], 9.0), trochanter], 3.5)], 5.0)
    c32, r32 = c.astype(np.float32), np.float32(h.radius + 1.0)

    def damp(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:  # no roughness on the head
        dist = np.sqrt((x - c32[0]) ** 2 + (y - c32[1]) ** 2 + (z - c32[2]) ** 2)
        return np.clip((dist - r32) / np.float32(8.0), 0.0, 1.0)

    femur = _rough(_Shape(femur.lo, femur.hi, femur.sdf, damp=damp), rng, 1.2)
    return femur, shaft, head


def _fovea(h: _HipSide) -> tuple[np.ndarray, float]:
    """Centre and radius of the sphere carved out of the head for the fovea capitis (a 3 mm pit on
    the medial, slightly inferior and posterior head surface, where the ligamentum teres attaches)."""
    u = _unit(_v(-h.s, -0.15, -0.45))
    return h.centre + u * (h.radius + 2.5), 5.5


def _head(h: _HipSide) -> _Shape:
    """The femoral head sphere minus the fovea."""
    sphere = _sphere(h.centre, h.radius)
    fc, fr = _fovea(h)
    fc32, fr32 = fc.astype(np.float32), np.float32(fr)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        pit = fr32 - np.sqrt((x - fc32[0]) ** 2 + (y - fc32[1]) ** 2 + (z - fc32[2]) ** 2)
        return np.maximum(sphere.sdf(x, y, z), pit)

    return _Shape(sphere.lo, sphere.hi, sdf)


def _head_region(h: _HipSide) -> _Shape:
    """The femoral head segment: the head (with its fovea) up to the head-neck junction plane."""
    c32, n32 = h.centre.astype(np.float32), h.neck_dir.astype(np.float32)
    cut = np.float32(np.sqrt(max(h.radius**2 - h.neck_radius**2, 0.0)))
    head = _head(h)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        along = (x - c32[0]) * n32[0] + (y - c32[1]) * n32[1] + (z - c32[2]) * n32[2]
        return np.maximum(head.sdf(x, y, z), along - cut)

    return _Shape(head.lo, head.hi, sdf)


def _physis(h: _HipSide, half_thickness: float = 0.7) -> _Shape:
    """The physeal scar: a thin cap-shaped plate across the head-neck junction, convex toward the head
    centre (part of a sphere centred down the neck axis), limited to the head and neck."""
    q = (h.centre + h.neck_dir * 1.3 * h.radius).astype(np.float32)
    big = np.float32(0.95 * h.radius)
    c32, n32, lim = h.centre.astype(np.float32), h.neck_dir.astype(np.float32), np.float32(0.95 * h.radius)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        shell = np.abs(np.sqrt((x - q[0]) ** 2 + (y - q[1]) ** 2 + (z - q[2]) ** 2) - big) - np.float32(half_thickness)
        along = (x - c32[0]) * n32[0] + (y - c32[1]) * n32[1] + (z - c32[2]) * n32[2]
        return np.maximum(shell, along - lim)

    return _Shape(h.centre - h.radius, h.centre + h.radius, sdf)


def _marrow(cv: _Canvas, tissue: _Tissue, red: bool) -> Callable[[Box, list, np.ndarray], np.ndarray]:
    """Marrow signal: fatty marrow dark and slightly heterogeneous; in young patients' pelvic bones,
    islands of red (haematopoietic) marrow a little brighter."""
    y = np.float32(tissue.yellow)

    def value(box: Box, xyz: list, sd: np.ndarray) -> np.ndarray:
        out = y * (1.0 + np.float32(0.18) * cv.fine[box] + np.float32(0.1) * cv.coarse[box])
        if red and tissue.young:
            islands = np.clip((cv.medium[box] - np.float32(0.7)) / np.float32(0.6), 0.0, 1.0)
            out = out + np.float32(tissue.red - tissue.yellow) * islands
        if tissue.marrow_gain is not None:  # generator 3: fat suppression failing in patches
            out = out * tissue.marrow_gain[box]
        return out

    return value
