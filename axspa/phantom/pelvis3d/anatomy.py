"""The bones of an adult pelvis as solids in the patient frame (axspa.phantom.projection): L4-L5, the sacrum
with its alae, foramina and canal, both ilia (the thick auricular part, the wing as a curved plate, the
pillar to the acetabulum), acetabula, ischia, pubic rami and symphysis, femoral heads, necks, trochanters
and shafts. Millimetres; z = 0 at the top of the sacroiliac joints, y = 0 about the sacral middle.

Everything is a list of scene operations ("fill" | "cut" | "add" | "set", sdf, lo, hi, values...) that
render.py applies, in order, to a coarse grid of the whole pelvis and to fine grids around the joints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from axspa.phantom import solids
from axspa.phantom.pelvis3d.joint import JointFindings, JointGeometry

MARROW = 0.010  # attenuation per mm above soft tissue
CORTEX = 0.030


@dataclass
class Build:
    """Per-case proportions."""

    sc: float
    female: bool
    inlet: float  # pelvic inlet and pubic arch wider in women
    head_r: float
    head_x: float
    head_z: float
    crest_z: float  # iliac crest height (negative: above the joints)
    wing_x: float  # lateral reach of the iliac wing
    wing_flare: float  # how far forward the wing turns (dy per mm laterally)
    symphysis_y: float


def sample_build(rng: np.random.Generator, sc: float, female: bool) -> Build:
    inlet = rng.uniform(1.05, 1.15) if female else rng.uniform(0.93, 1.02)
    return Build(sc=sc, female=female, inlet=inlet, head_r=rng.uniform(21, 26) * sc,
                 head_x=rng.uniform(90, 100) * sc * inlet ** 0.5, head_z=rng.uniform(122, 136) * sc,
                 crest_z=-rng.uniform(55, 75) * sc, wing_x=rng.uniform(118, 135) * sc * inlet ** 0.3,
                 wing_flare=rng.uniform(0.45, 0.8), symphysis_y=-rng.uniform(80, 100) * sc)


def _max(*arrays):
    """Intersection of solids: the largest signed distance, arrays broadcast together."""
    out = arrays[0]
    for a in arrays[1:]:
        out = np.maximum(out, a)
    return out


def _roughness(rng: np.random.Generator, amount: float):
    """Wander (mm) of the subchondral plate over the joint, a function of (tau, z/height)."""
    if amount <= 0:
        return lambda tau, zt: 0.0
    table = ndimage.gaussian_filter(rng.standard_normal((12, 40)), 1.0, mode="wrap")
    table = (amount * table / (table.std() + 1e-6)).astype(np.float32)

    def look(tau, zt):
        from scipy.ndimage import map_coordinates
        a, b = np.broadcast_arrays(np.clip(tau, 0, 1) * 11, np.clip(zt, 0, 1) * 39)
        return map_coordinates(table, np.stack([a.ravel(), b.ravel()]), order=1).reshape(a.shape)
    return look


def sacrum_and_ilia(rng: np.random.Generator, b: Build, joints: dict[int, JointGeometry],
                    findings: dict[int, JointFindings]) -> list:
    """The sacrum and the auricular parts of the ilia, sharing each joint's surface."""
    jr, jl = joints[-1], joints[1]
    rough = {s: _roughness(rng, findings[s].plate_irregularity) for s in (-1, 1)}
    half_w = {s: joints[s].width * findings[s].width_factor / 2 for s in (-1, 1)}
    depth = 1.7 * max(jr.height, jl.height)  # sacrum length (top to apex, as projected)

    def sacral_half_width(s, y, z):
        g = joints[s]
        inside_joint = g.surface(y, z) - half_w[s] / g.normal_factor(z) - rough[s](g.tau(y, z), z / g.height)
        tau = g.tau(y, z)
        # In front of the joint the ala turns medially; behind it the sacrum narrows (the ligament space).
        retreat = np.where(tau < 0, -tau * 30.0, 0) + np.where(tau > 1, (tau - 1) * 16.0 + 4.0, 0)
        below = np.clip((z - g.height) / (depth - g.height), 0, 1)
        joint_part = inside_joint - retreat
        return joint_part * (1 - below) + 12 * below

    def sacrum(x, y, z):
        g = jr
        c = g.sacrum_centre(z)
        th = g.sacrum_thickness(z) * np.clip(1 - np.clip(z - g.height, 0, None) / (1.4 * depth), 0.35, 1)
        d_y = np.abs(y - c) - th / 2
        d_x = np.where(x < 0, -x - sacral_half_width(-1, y, z), x - sacral_half_width(1, y, z))
        d_top = -8 - z + 0.002 * x * x  # the sacral base and alae
        d_bottom = z - depth
        return _max(d_x, d_y, d_top, d_bottom)

    ops = [("fill", sacrum, (-70, -60, -20), (70, 70, depth + 5), MARROW, CORTEX)]
    # Anterior sacral foramina (four pairs) and the sacral canal.
    for i, zf in enumerate(np.linspace(0.14, 0.8, 4) * depth * 0.72):
        for s in (-1, 1):
            hw = float(np.squeeze(sacral_half_width(s, jr.sacrum_centre(zf), zf)))
            c = np.array([s * 0.48 * hw, jr.sacrum_centre(zf), zf])
            r = (5.5 - i) * b.sc
            ops.append(("cut", *solids.capsule(c - [0, 30, 0], c + [0, 30, 0], r), 0.1))
    top = np.array([0, jr.sacrum_centre(0) + 8, -10])
    bottom = np.array([0, jr.sacrum_centre(0.7 * depth) + 4, 0.7 * depth])
    ops.append(("cut", *solids.capsule(top, bottom, 8 * b.sc, 4 * b.sc), 0.1))
    for s in (-1, 1):
        ops.append(("fill", _ilium_auricular(joints[s], half_w[s], rough[s]), *joints[s].box(pad=28), MARROW, CORTEX))
    return ops


def _ilium_auricular(g: JointGeometry, half_w: float, rough):
    """The thick ilium around the joint: lateral of the surface, reaching back behind the sacrum (the
    iliac tuberosity), up to the wing and down toward the sciatic notch."""
    def sdf(x, y, z):
        tau = g.tau(y, z)
        e = g.lateral(x, y, z) - half_w - rough(tau, z / g.height)
        out = np.clip(e, 0, None)  # distance lateral of the joint: the block thins into the wing
        lateral_in = -e
        lateral_out = e - 30
        front = g.y_anterior(z) - 1.5 + 0.6 * out - y
        back = y - (g.y_posterior(z) + 24 - 0.55 * out)
        # rounded above and below: an ellipse in (distance from the joint, z)
        zc, zr = 0.5 * g.height, 0.5 * g.height + 12
        ends = (np.sqrt(((z - zc) / zr) ** 2 + ((out - 6) / 40.0) ** 2) - 1) * 20
        return _max(lateral_in, lateral_out, front, back, ends)
    return sdf


def hemipelvis(rng: np.random.Generator, b: Build, g: JointGeometry) -> list:
    """Wing, pillar, acetabulum, ischium and pubic rami of one side, and the femur."""
    s = g.side
    ops = []
    yj = g.sacrum_centre(0)
    # The wing: a curved plate from the joint up to the crest and out to the anterior spines.
    outline = np.array([[g.x_top - 6, -8], [g.x_top - 4, b.crest_z + 15], [0.55 * b.wing_x, b.crest_z - 6],
                        [0.85 * b.wing_x, b.crest_z + 2], [b.wing_x, b.crest_z + 28], [b.wing_x - 4, 5],
                        [b.wing_x - 16, 28], [b.head_x + 8, b.head_z - 45], [g.x_bottom + 30, g.height],
                        [g.x_bottom + 8, g.height - 8]]) * [s, 1]
    poly = solids.polygon_sdf(outline, 1.5)

    def mid(x, z):
        return yj + 14 - b.wing_flare * np.clip(s * x - g.x_top, 0, None) + 0.1 * np.clip(-z, 0, None)

    def half_t(x, z):
        rim = np.clip(1 - (-poly(x, z)) / 9, 0, 1)  # thick at the crest and borders, thin in the middle
        return 1.6 + 4.5 * rim + 5.5 * np.clip(1 - (s * x - g.x_top) / 45, 0, 1)
    xs = outline[:, 0]
    lo = (xs.min() - 5, yj - 0.8 * b.wing_x - 20, b.crest_z - 12)
    hi = (xs.max() + 5, yj + 45, g.height + 10)
    ops.append(("fill", *solids.sheet(poly, mid, half_t, lo, hi), MARROW, CORTEX))
    head = np.array([s * b.head_x, yj - 22 * b.sc, b.head_z])
    # The pillar (arcuate line region) from the joint down to the acetabulum.
    ops.append(("fill", *solids.capsule([s * (g.x_bottom + 14), yj - 4, g.height * 0.8], head + [0, 0, -b.head_r],
                                         17 * b.sc, 20 * b.sc), MARROW, CORTEX))
    ops.append(("fill", *solids.ellipsoid(head + [s * 4, 4, -4], (b.head_r + 12, b.head_r + 14, b.head_r + 12)),
                MARROW, CORTEX))
    tuber = np.array([s * 0.72 * b.head_x, yj + 5, b.head_z + 62 * b.sc])
    ops.append(("fill", *solids.capsule(head + [-s * 6, 10, 10], tuber, 13 * b.sc, 17 * b.sc), MARROW, CORTEX))
    sym_x = s * 2.5
    ops.append(("fill", *solids.capsule(head + [-s * 14, -18, 4], [sym_x + s * 4, b.symphysis_y, b.head_z + 18],
                                         10 * b.sc, 9 * b.sc), MARROW, CORTEX))
    ops.append(("fill", *solids.capsule([sym_x + s * 6, b.symphysis_y + 4, b.head_z + 38],
                                         tuber + [-s * 6, -10, 6], 7 * b.sc, 8 * b.sc), MARROW, CORTEX))
    ops.append(("fill", *solids.ellipsoid([sym_x + s * 7, b.symphysis_y, b.head_z + 26], (8, 9, 22)), MARROW, CORTEX))
    ops.append(("cut", *solids.ellipsoid([sym_x, b.symphysis_y, b.head_z + 26], (1.5 if s > 0 else 1.5, 12, 24)),
                0.0))
    # The acetabular cup, then the femur sitting in it.
    ops.append(("cut", *solids.sphere(head, b.head_r + 1.8), 0.0))
    ops += femur(rng, b, head, s)
    return ops


def femur(rng: np.random.Generator, b: Build, head: np.ndarray, s: int) -> list:
    ops = [("fill", *solids.sphere(head, b.head_r), MARROW, CORTEX)]
    troch = head + [s * 48 * b.sc, 12, 26 * b.sc]
    ops.append(("fill", *solids.capsule(head, troch - [s * 8, 0, 4], 15 * b.sc, 17 * b.sc), MARROW, CORTEX))
    ops.append(("fill", *solids.ellipsoid(troch, (13 * b.sc, 17 * b.sc, 20 * b.sc)), MARROW, CORTEX))
    ops.append(("fill", *solids.ellipsoid(troch + [-s * 24, -6, 34], (8, 9, 10)), MARROW, CORTEX))
    shaft_top = troch + [-s * 8, 0, 16]
    shaft_bottom = shaft_top + [-s * 14, 6, 260]
    ops.append(("fill", *solids.capsule(shaft_top, shaft_bottom, 15 * b.sc, 13 * b.sc), MARROW, CORTEX * 1.6,
                4.5))
    return ops


def lumbar(rng: np.random.Generator, b: Build, yj: float) -> list:
    """L4 and L5 above the sacrum: bodies, pedicles, transverse and spinous processes."""
    ops = []
    z_top = -8 - rng.uniform(9, 12)  # the L5-S1 disc
    for level in range(2):
        h = rng.uniform(26, 30) * b.sc
        z1 = z_top
        z0 = z1 - h
        cy = yj - 22 * b.sc
        ops.append(("fill", *solids.elliptic_cylinder((0, cy, 0), 25 * b.sc, 17 * b.sc, z0, z1), MARROW, CORTEX))
        zm = 0.5 * (z0 + z1) - 3
        for s in (-1, 1):
            ped = np.array([s * 14 * b.sc, cy + 18, zm])
            ops.append(("fill", *solids.capsule(ped - [0, 8, 0], ped + [0, 10, 0], 5), MARROW, CORTEX))
            reach = (52 if level == 0 else 42) * b.sc
            ops.append(("fill", *solids.capsule(ped + [0, 8, 0], [s * reach, cy + 24, zm + 2], 6, 4), MARROW, CORTEX))
            ops.append(("fill", *solids.capsule(ped + [0, 10, 6], [s * 9, cy + 38, zm + 14], 5), MARROW, CORTEX))
        ops.append(("fill", *solids.capsule([0, cy + 34, zm], [0, cy + 58, zm + 10], 5, 4), MARROW, CORTEX))
        z_top = z0 - rng.uniform(8, 12)
    return ops
