"""Synthetic coronal hip STIR MRI with exact ground truth (femoral heads, acetabula, BME, effusion).

Anatomy is built from signed distance functions (SDFs) in a patient frame in millimetres:
x = patient right (RAS x), y = anterior, z = superior, origin midway between the femoral head
centres. Every voxel centre of the acquisition grid is mapped into that frame (through the case's
IJK-to-RAS, oblique or not, and a table offset) and tissues are painted in order with an
anti-aliased edge. The truth masks are the same SDFs thresholded at the voxel centre, so truth and
image agree exactly. Shapes are evaluated only inside their bounding box, which keeps a
512 x 512 x 30 volume to a few seconds.

STIR contrast (fluid = 1): fat and fatty marrow are suppressed (dark), muscle is low-intermediate,
fluid, urine, edema and effusion are bright, cortex is black.

Array layout [k, j, i]: i runs to the patient's left (patient right on the left of the screen, the
radiological convention), j from superior to inferior, k from anterior to posterior (i x j), the
slice order DICOM readers stack back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from axspa.phantom import mri
from axspa.segments import HIP_SEGMENTS, SEGMENT_BY_NAME, segment

SIDES = {"right": 1.0, "left": -1.0}  # patient side -> sign of its x in the patient frame
GENERATOR = "axspa.phantom.hip/1"

# STIR tissue values relative to free fluid.
FAT = 0.06
CORTEX = 0.02
CARTILAGE = 0.33
URINE = 0.97


@dataclass
class HipPhantomConfig:
    """Lesion prevalences are per hip (each side drawn independently)."""

    bme_prevalence: float = 0.4
    acetabular_bme_prevalence: float = 0.3
    effusion_prevalence: float = 0.35
    oblique_probability: float = 0.3
    size: str = "full"  # "full": 256-512 matrix, 0.6-1.0 mm; "small": 128-160 matrix for tests/training

    def __post_init__(self) -> None:
        if self.size not in ("full", "small"):
            raise ValueError(f"size must be 'full' or 'small', got {self.size!r}")
        for name in ("bme_prevalence", "acetabular_bme_prevalence", "effusion_prevalence",
                     "oblique_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")


# --------------------------------------------------------------------------------------------
# Signed distance shapes


@dataclass
class _Shape:
    lo: np.ndarray  # bounding box in the patient frame (mm)
    hi: np.ndarray
    sdf: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _v(*xyz: float) -> np.ndarray:
    return np.asarray(xyz, dtype=float)


def _sphere(c: np.ndarray, r: float) -> _Shape:
    c32 = c.astype(np.float32)
    return _Shape(c - r, c + r, lambda x, y, z: np.sqrt((x - c32[0]) ** 2 + (y - c32[1]) ** 2
                                                        + (z - c32[2]) ** 2) - np.float32(r))


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    """A random rotation of at most about ``max_deg`` degrees about each axis."""
    ax, ay, az = np.deg2rad(rng.uniform(-max_deg, max_deg, size=3))
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _ellipsoid(c: np.ndarray, radii: Sequence[float], rot: Optional[np.ndarray] = None,
               wobble: Optional[np.ndarray] = None) -> _Shape:
    """Ellipsoid (approximate SDF, exact sign). ``wobble`` (3 rows of kx, ky, kz, phase, amp) adds a
    smooth irregular boundary, as real lesions and organs have."""
    radii = np.asarray(radii, dtype=float)
    rot = np.eye(3) if rot is None else rot
    r32, c32, rad32 = rot.T.astype(np.float32), c.astype(np.float32), radii.astype(np.float32)
    extent = np.abs(rot) @ radii + (0.0 if wobble is None else float(np.abs(wobble[:, 4]).sum()))

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dx, dy, dz = x - c32[0], y - c32[1], z - c32[2]
        u = (r32[0, 0] * dx + r32[0, 1] * dy + r32[0, 2] * dz) / rad32[0]
        v = (r32[1, 0] * dx + r32[1, 1] * dy + r32[1, 2] * dz) / rad32[1]
        w = (r32[2, 0] * dx + r32[2, 1] * dy + r32[2, 2] * dz) / rad32[2]
        d = (np.sqrt(u * u + v * v + w * w) - 1.0) * np.float32(radii.min())
        if wobble is not None:
            for kx, ky, kz, phase, amp in wobble.astype(np.float32):
                d = d + amp * np.sin(kx * dx + ky * dy + kz * dz + phase)
        return d

    return _Shape(c - extent, c + extent, sdf)


def _capsule(a: np.ndarray, b: np.ndarray, r0: float, r1: Optional[float] = None) -> _Shape:
    """Segment a-b swept by a radius going linearly from r0 to r1 (a tapered rod)."""
    r1 = r0 if r1 is None else r1
    a32, ab32 = a.astype(np.float32), (b - a).astype(np.float32)
    ab2 = np.float32(max(float(np.dot(b - a, b - a)), 1e-6))
    rmax = max(r0, r1)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        px, py, pz = x - a32[0], y - a32[1], z - a32[2]
        t = np.clip((px * ab32[0] + py * ab32[1] + pz * ab32[2]) / ab2, 0.0, 1.0)
        d = np.sqrt((px - t * ab32[0]) ** 2 + (py - t * ab32[1]) ** 2 + (pz - t * ab32[2]) ** 2)
        return d - (np.float32(r0) + t * np.float32(r1 - r0))

    return _Shape(np.minimum(a, b) - rmax, np.maximum(a, b) + rmax, sdf)


def _slab_capsule(a_xz: np.ndarray, b_xz: np.ndarray, r0: float, r1: float, y0: float, half_y: float) -> _Shape:
    """A tapered capsule in the coronal (x, z) plane extruded over y0 +- half_y: the iliac wing."""
    a = _v(a_xz[0], y0, a_xz[1])
    b = _v(b_xz[0], y0, b_xz[1])
    inner = _capsule(a, b, r0, r1)
    y32 = np.float32(y0)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        flat = inner.sdf(x, y32, z)  # distance within the coronal plane only
        return np.maximum(flat, np.abs(y - y32) - np.float32(half_y))

    lo, hi = inner.lo.copy(), inner.hi.copy()
    lo[1], hi[1] = y0 - half_y, y0 + half_y
    return _Shape(lo, hi, sdf)


def _cup(c: np.ndarray, r_in: float, r_out: float, axis: np.ndarray, half_angle_deg: float) -> _Shape:
    """Acetabular cup: a spherical shell r_in..r_out around c within a cone about ``axis``."""
    c32, a32 = c.astype(np.float32), (axis / np.linalg.norm(axis)).astype(np.float32)
    mid, half = np.float32((r_in + r_out) / 2), np.float32((r_out - r_in) / 2)
    cos_half = np.float32(np.cos(np.deg2rad(half_angle_deg)))

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dx, dy, dz = x - c32[0], y - c32[1], z - c32[2]
        r = np.sqrt(dx * dx + dy * dy + dz * dz) + np.float32(1e-6)
        along = (dx * a32[0] + dy * a32[1] + dz * a32[2]) / r
        return np.maximum(np.abs(r - mid) - half, (cos_half - along) * r)

    return _Shape(c - r_out, c + r_out, sdf)


# --------------------------------------------------------------------------------------------
# Canvas: the acquisition grid, painting and masks


class _Canvas:
    def __init__(self, shape: tuple[int, int, int], ijk_to_patient: np.ndarray, edge_mm: float) -> None:
        self.shape = shape
        self.m = ijk_to_patient
        self.inv = np.linalg.inv(ijk_to_patient)
        self.edge = np.float32(edge_mm)  # width of the anti-aliased edge: one in-plane pixel
        self.image = np.zeros(shape, dtype=np.float32)

    def evaluate(self, shape: _Shape) -> Optional[tuple[tuple[slice, ...], np.ndarray, list[np.ndarray]]]:
        """(index box, SDF in the box, [x, y, z] in the box) or None when the shape misses the grid."""
        corners = np.array(np.meshgrid(*zip(shape.lo, shape.hi), indexing="ij")).reshape(3, -1)
        ijk = self.inv[:3, :3] @ corners + self.inv[:3, 3:4]
        lo = np.floor(ijk.min(axis=1)).astype(int)
        hi = np.ceil(ijk.max(axis=1)).astype(int) + 1
        n_i, n_j, n_k = self.shape[2], self.shape[1], self.shape[0]
        i0, j0, k0 = max(lo[0], 0), max(lo[1], 0), max(lo[2], 0)
        i1, j1, k1 = min(hi[0], n_i), min(hi[1], n_j), min(hi[2], n_k)
        if i1 <= i0 or j1 <= j0 or k1 <= k0:
            return None
        sub = self.m.copy()
        sub[:3, 3] = self.m[:3, :3] @ np.array([i0, j0, k0]) + self.m[:3, 3]
        xyz = mri.voxel_coordinates((k1 - k0, j1 - j0, i1 - i0), sub)
        full = np.broadcast_shapes(*(c.shape for c in xyz))
        xyz = [np.broadcast_to(c, full) for c in xyz]
        return (slice(k0, k1), slice(j0, j1), slice(i0, i1)), shape.sdf(*xyz), xyz

    def paint(self, shape: _Shape, value: float | Callable, inset: float = 0.0,
              where: Optional[Callable] = None) -> None:
        """Blend ``value`` where SDF < -inset, with a one-pixel soft edge. ``value`` may be a function
        of (x, y, z, sd) for graded intensity; ``where`` a function (box, sd, xyz) -> 0/1 weight."""
        found = self.evaluate(shape)
        if found is None:
            return
        box, raw, xyz = found
        sd = raw + np.float32(inset)
        alpha = np.clip(np.float32(0.5) - sd / self.edge, 0.0, 1.0)
        if where is not None:
            alpha = alpha * where(box, raw, xyz)
        if not alpha.any():
            return
        target = self.image[box]
        val = value(*xyz, sd) if callable(value) else np.float32(value)
        target += alpha * (val - target)

    def mask(self, shape: _Shape, inset: float = 0.0) -> np.ndarray:
        """Voxels whose centre lies inside the shape (SDF < -inset), as a full-grid bool array."""
        out = np.zeros(self.shape, dtype=bool)
        found = self.evaluate(shape)
        if found is not None:
            box, sd, _ = found
            out[box] = sd < -inset
        return out


# --------------------------------------------------------------------------------------------
# Case parameters


@dataclass
class _HipSide:
    name: str  # 'right' / 'left'
    s: float  # +1 patient right, -1 patient left
    centre: np.ndarray
    radius: float
    neck_dir: np.ndarray  # unit vector from the head centre along the neck, laterally and down
    neck_len: float
    neck_radius: float
    gap: float  # joint space incl. both cartilage layers
    cup_thickness: float
    cup_axis: np.ndarray
    cup_half_angle: float
    lesions: dict = field(default_factory=dict)


@dataclass
class _Geometry:
    shape: tuple[int, int, int]  # (k, j, i)
    spacing: tuple[float, float, float]  # (i, j, k) mm
    ijk_to_ras: np.ndarray
    ijk_to_patient: np.ndarray
    oblique: dict


def _sample_sides(rng: np.random.Generator) -> tuple[float, list[_HipSide]]:
    """Femoral heads 45-55 mm across, 165-200 mm apart (centre to centre), neck-shaft angle
    125-140 degrees, anteversion 5-20 degrees; the two hips differ a little."""
    distance = rng.uniform(165.0, 200.0)
    radius = rng.uniform(22.5, 27.0)
    sides = []
    for name, s in SIDES.items():
        r = radius * rng.uniform(0.97, 1.03)
        centre = _v(s * distance / 2, rng.uniform(-3, 3), rng.uniform(-3, 3))
        beta = np.deg2rad(180.0 - rng.uniform(125.0, 140.0))  # neck angle from straight down
        gamma = np.deg2rad(rng.uniform(5.0, 20.0))  # anteversion: the neck base lies posterior
        neck = _v(s * np.sin(beta) * np.cos(gamma), -np.sin(gamma), -np.cos(beta) * np.cos(gamma))
        cup_axis = _v(-s * rng.uniform(0.45, 0.65), -rng.uniform(0.1, 0.25), 0.85)
        sides.append(_HipSide(name, s, centre, r, neck / np.linalg.norm(neck), r * rng.uniform(1.8, 2.1),
                              r * rng.uniform(0.6, 0.68), rng.uniform(3.0, 4.5), rng.uniform(9.0, 15.0),
                              cup_axis / np.linalg.norm(cup_axis), rng.uniform(70.0, 82.0)))
    return distance, sides


def _sample_geometry(rng: np.random.Generator, config: HipPhantomConfig) -> _Geometry:
    """Clinical coronal hip STIR: 15-30 slices of 3-5 mm; 256-512 matrix of 0.6-1.0 mm pixels
    (small: 128-160 matrix over the same field of view); sometimes oblique."""
    fov = rng.uniform(330.0, 400.0)
    if config.size == "full":
        pixel = rng.uniform(0.6, 1.0)
        cols = int(np.clip(2 * round(fov / pixel / 2), 256, 512))
        rows = int(np.clip(2 * round(cols * rng.uniform(0.8, 1.0) / 2), 256, 512))
    else:
        cols = int(rng.integers(128, 161))
        rows = int(np.clip(round(cols * rng.uniform(0.85, 1.0)), 128, 160))
        pixel = fov / cols
    n_slices = int(rng.integers(15, 31))
    thickness = float(rng.uniform(3.0, 5.0))
    centre = _v(rng.uniform(-10, 10), rng.uniform(-6, 6), rng.uniform(-15, 25))
    # i to the patient's left, j inferior, k posterior (= i x j), in RAS.
    axes = np.column_stack([_v(-1, 0, 0), _v(0, 0, -1), _v(0, -1, 0)])
    oblique = {"axis": None, "degrees": 0.0}
    if rng.random() < config.oblique_probability:
        about = str(rng.choice(["S-I", "L-R"]))
        deg = float(rng.uniform(3.0, 12.0) * rng.choice([-1.0, 1.0]))
        t = np.deg2rad(deg)
        if about == "S-I":  # turns the slice plane toward axial-free oblique coronal
            rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
        else:  # tilts the slice plane about the left-right axis
            rot = np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])
        axes = rot @ axes
        oblique = {"axis": about, "degrees": round(deg, 3)}
    spacing = (pixel, pixel, thickness)
    shape = (n_slices, rows, cols)
    lin = axes * np.array(spacing)
    half = (np.array([cols, rows, n_slices]) - 1) / 2.0
    to_patient = np.eye(4)
    to_patient[:3, :3] = lin
    to_patient[:3, 3] = centre - lin @ half
    table = _v(rng.uniform(-15, 15), rng.uniform(-20, 20), rng.uniform(-120, -40))  # scanner position
    ijk_to_ras = to_patient.copy()
    ijk_to_ras[:3, 3] += table
    return _Geometry(shape, spacing, ijk_to_ras, to_patient, oblique)


# --------------------------------------------------------------------------------------------
# Anatomy


def _paint_body(cv: _Canvas, rng: np.random.Generator, distance: float) -> tuple[float, float]:
    """Skin, subcutaneous fat, muscle groups with fat planes, pelvic fat, bowel, bladder, vessels."""
    ax, ay = rng.uniform(165.0, 200.0), rng.uniform(105.0, 135.0)
    fat = rng.uniform(8.0, 35.0)
    thigh_r, thigh_x = rng.uniform(85.0, 105.0), distance / 2 + rng.uniform(-5.0, 15.0)
    muscle = rng.uniform(0.17, 0.24)

    def body_sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        pelvis = (np.sqrt((x / np.float32(ax)) ** 2 + (y / np.float32(ay)) ** 2) - 1.0) * np.float32(ay)
        pelvis = np.maximum(pelvis, np.float32(-90.0) - z)
        thighs = np.minimum(np.sqrt((x - np.float32(thigh_x)) ** 2 + y * y),
                            np.sqrt((x + np.float32(thigh_x)) ** 2 + y * y)) - np.float32(thigh_r)
        thighs = np.maximum(thighs, z - np.float32(20.0))
        k = np.float32(40.0)  # smooth union: the buttocks blend into the thighs
        h = np.clip(0.5 + 0.5 * (thighs - pelvis) / k, 0.0, 1.0)
        return thighs + (pelvis - thighs) * h - k * h * (1.0 - h)

    body = _Shape(_v(-ax - 40, -ay - 40, -400), _v(ax + 40, ay + 40, 400), body_sdf)
    cv.paint(body, 0.26)  # skin
    cv.paint(body, FAT, inset=1.5)
    cv.paint(body, muscle, inset=fat)
    for s in (1.0, -1.0):
        hx = s * distance / 2
        groups = [  # (centre, radii) of muscle bellies, each wrapped in a thin fat plane
            (_v(hx + s * 40, -30, 75), (32, 55, 65)),  # gluteus medius/minimus
            (_v(hx + s * 5, -85, -5), (65, 35, 85)),  # gluteus maximus
            (_v(hx - s * 38, -5, -10), (12, 35, 30)),  # obturator internus
            (_v(hx - s * 30, 5, -150), (38, 45, 95)),  # adductors
            (_v(hx + s * 48, 5, -150), (26, 40, 110)),  # vastus lateralis
            (_v(hx + s * 45, 45, -40), (14, 18, 60)),  # tensor fasciae latae
        ]
        for c, radii in groups:
            rot = _rotation(rng, 8.0)
            shape = _ellipsoid(c + rng.uniform(-6, 6, 3), np.asarray(radii) * rng.uniform(0.85, 1.15, 3), rot)
            cv.paint(shape, FAT)
            cv.paint(shape, muscle * rng.uniform(0.85, 1.2), inset=1.3)
        psoas = _capsule(_v(hx - s * 22, 30, -45), _v(hx - s * 50, 5, 150), 20.0, 24.0)
        cv.paint(psoas, FAT)
        cv.paint(psoas, muscle * rng.uniform(0.9, 1.15), inset=1.3)
        # Femoral vessels, anterior and medial to the hip: bright from slow flow on STIR.
        vessel = _capsule(_v(hx - s * 25, 40, 80), _v(hx - s * 12, 38, -200), rng.uniform(3.5, 5.0))
        cv.paint(vessel, rng.uniform(0.45, 0.7))
    cavity = _ellipsoid(_v(0, 0, 50), (distance / 2 - 40, 60, 80))
    cv.paint(cavity, FAT * 1.5)
    for _ in range(int(rng.integers(10, 18))):  # bowel loops: wall, then content of varied signal
        c = _v(rng.uniform(-60, 60), rng.uniform(-40, 45), rng.uniform(20, 120))
        loop = _ellipsoid(c, rng.uniform(10, 22, 3), _rotation(rng, 40.0))
        cv.paint(loop, rng.uniform(0.18, 0.26))
        cv.paint(loop, rng.uniform(0.2, 0.6), inset=2.5)
    bladder = _ellipsoid(_v(rng.uniform(-8, 8), rng.uniform(15, 30), rng.uniform(-5, 15)),
                         (rng.uniform(35, 55), rng.uniform(25, 40), rng.uniform(25, 40)))
    cv.paint(bladder, 0.15)  # wall
    cv.paint(bladder, URINE * rng.uniform(0.9, 1.0), inset=2.5)
    return ax, ay


def _pelvic_bones(sides: list[_HipSide], rng: np.random.Generator) -> tuple[list[_Shape], list[_Shape]]:
    """(bones, cups): ilium, ischium, pubic rami and sacrum; the acetabular cups are separate
    because they are the 'acetabulum' segments."""
    bones, cups = [], []
    for h in sides:
        c, s, r = h.centre, h.s, h.radius
        r_in = r + h.gap
        cups.append(_cup(c, r_in, r_in + h.cup_thickness, h.cup_axis, h.cup_half_angle))
        roof = c + h.cup_axis * (r_in + 0.4 * h.cup_thickness)
        crest = _v(c[0] + s * rng.uniform(35, 60), c[2] + rng.uniform(110, 140))
        bones.append(_slab_capsule(_v(roof[0], roof[2]), crest, rng.uniform(20, 26), rng.uniform(8, 11),
                                   c[1] - rng.uniform(10, 20), rng.uniform(40, 55)))
        bones.append(_capsule(c + _v(-s * 14, -14, -0.55 * r), c + _v(-s * 28, -30, -r - 45),
                              rng.uniform(12, 14), rng.uniform(9, 11)))  # ischium to its tuberosity
        symphysis = _v(s * rng.uniform(5, 8), 38, c[2] - rng.uniform(35, 45))
        bones.append(_capsule(c + _v(-s * 18, 12, -0.35 * r), symphysis, 9.0, 8.0))  # superior pubic ramus
        bones.append(_capsule(symphysis + _v(0, 0, -12), c + _v(-s * 30, -25, -r - 40), 7.0, 8.0))
    bones.append(_ellipsoid(_v(0, -80, 70), (45, 22, 65), _rotation(rng, 6.0)))  # sacrum
    return bones, cups


def _femur(h: _HipSide, rng: np.random.Generator) -> tuple[list[_Shape], _Shape]:
    """(parts, shaft) of one proximal femur: head, neck, greater and lesser trochanter, shaft."""
    c, s, n = h.centre, h.s, h.neck_dir
    base = c + n * h.neck_len
    head = _sphere(c, h.radius)
    neck = _capsule(c + n * 0.3 * h.radius, base, h.neck_radius, h.neck_radius * 1.25)
    trochanter = _ellipsoid(base + _v(s * 12, -6, 12), (15, 20, 24) * rng.uniform(0.9, 1.1, 3))
    shaft_top = base + _v(-s * 4, 0, -12)
    shaft_r = rng.uniform(13.0, 16.0)
    shaft = _capsule(shaft_top, shaft_top + _v(-s * 25, 6, -300), shaft_r + 4, shaft_r)
    lesser = _ellipsoid(shaft_top + _v(-s * 15, -10, -28), (9, 8, 12))
    return [head, neck, trochanter, shaft, lesser], shaft


def _head_region(h: _HipSide) -> _Shape:
    """The femoral head segment: the head sphere up to the head-neck junction plane."""
    c32, n32 = h.centre.astype(np.float32), h.neck_dir.astype(np.float32)
    cut = np.float32(np.sqrt(max(h.radius**2 - h.neck_radius**2, 0.0)))
    sphere = _sphere(h.centre, h.radius)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        along = (x - c32[0]) * n32[0] + (y - c32[1]) * n32[1] + (z - c32[2]) * n32[2]
        return np.maximum(sphere.sdf(x, y, z), along - cut)

    return _Shape(sphere.lo, sphere.hi, sdf)


# --------------------------------------------------------------------------------------------
# Lesions


def _wobble(rng: np.random.Generator, amplitude: float, n: int = 3) -> np.ndarray:
    k = rng.normal(0.0, 0.25, size=(n, 3))
    return np.column_stack([k, rng.uniform(0, 2 * np.pi, n), np.full(n, amplitude / n)])


def _shows(geo: _Geometry, point: np.ndarray) -> bool:
    """Whether a point lies at least half a slice inside the first and last slices."""
    inv = np.linalg.inv(geo.ijk_to_patient)
    k = float(inv[2, :3] @ point + inv[2, 3])
    return 0.5 <= k <= geo.shape[0] - 1.5


def _femoral_bme(h: _HipSide, rng: np.random.Generator, geo: _Geometry) -> list[_Shape]:
    """1-2 edema blobs in the head, most often in the weight-bearing superolateral part; each
    centred in the head's marrow on a slice that is acquired, so a drawn lesion always shows."""
    blobs = []
    for _ in range(int(rng.integers(1, 3))):
        c = h.centre
        for _ in range(100):  # rejection sampling: most candidates are acquired
            dy = rng.uniform(-0.45, 0.45) * h.radius
            reach = np.sqrt(max((0.62 * h.radius) ** 2 - dy**2, 1.0))
            angle = rng.normal(np.deg2rad(20.0), np.deg2rad(45.0))  # from vertical, toward lateral
            rho = reach * rng.uniform(0.2, 1.0)
            candidate = h.centre + _v(h.s * rho * np.sin(angle), dy, rho * np.cos(angle))
            if _shows(geo, candidate):
                c = candidate
                break
        radii = rng.uniform(4.5, 14.0, 3) * h.radius / 25.0
        blobs.append(_ellipsoid(c, radii, _rotation(rng, 45.0), _wobble(rng, 0.15 * radii.min())))
    return blobs


def _acetabular_bme(h: _HipSide, rng: np.random.Generator, geo: _Geometry) -> list[_Shape]:
    """An edema blob in the acetabular roof, centred in the cup's marrow on an acquired slice."""
    r_mid = h.radius + h.gap + h.cup_thickness / 2
    cos_max = np.cos(np.deg2rad(h.cup_half_angle - 18.0))
    c = h.centre + r_mid * h.cup_axis
    for _ in range(200):
        v = h.cup_axis + rng.normal(0.0, 0.6, 3)
        v /= np.linalg.norm(v)
        candidate = h.centre + r_mid * v
        if v @ h.cup_axis > cos_max and _shows(geo, candidate):
            c = candidate
            break
    radii = rng.uniform(4.0, 10.0, 3)
    return [_ellipsoid(c, radii, _rotation(rng, 45.0), _wobble(rng, 0.15 * radii.min()))]


def _effusion(h: _HipSide, rng: np.random.Generator) -> list[_Shape]:
    """Joint fluid or synovitis distending the capsule around the neck and the head-neck junction."""
    thick = rng.uniform(3.0, 9.0)
    n = h.neck_dir
    sleeve = _capsule(h.centre + n * 0.35 * h.radius, h.centre + n * 0.95 * h.neck_len,
                      h.neck_radius + thick, h.neck_radius * 1.2 + thick * rng.uniform(0.6, 1.0))
    recess = _ellipsoid(h.centre + n * 0.7 * h.neck_len + _v(0, 0, -h.neck_radius * 0.8),
                        (thick + 6, thick + 10, thick + 4), _rotation(rng, 20.0))  # inferior recess
    return [sleeve, recess]


def _sample_lesions(sides: list[_HipSide], rng: np.random.Generator, config: HipPhantomConfig) -> None:
    for h in sides:
        h.lesions = {
            "femoral_bme": bool(rng.random() < config.bme_prevalence),
            "acetabular_bme": bool(rng.random() < config.acetabular_bme_prevalence),
            "effusion": bool(rng.random() < config.effusion_prevalence),
            "bme_strength": float(rng.uniform(0.3, 0.85)),
            "acetabular_strength": float(rng.uniform(0.3, 0.8)),
            "effusion_kind": "synovitis" if rng.random() < 0.3 else "effusion",
        }
        h.lesions["effusion_value"] = float(rng.uniform(0.45, 0.7) if h.lesions["effusion_kind"] == "synovitis"
                                            else rng.uniform(0.75, 1.0))


# --------------------------------------------------------------------------------------------
# Rendering


@dataclass
class _Render:
    stir: np.ndarray  # uint16 [k, j, i], the stored values
    masks: dict[str, np.ndarray]
    geometry: _Geometry
    sides: list[_HipSide]
    acquisition: dict


def _render(rng: np.random.Generator, config: HipPhantomConfig) -> _Render:
    geo = _sample_geometry(rng, config)
    distance, sides = _sample_sides(rng)
    _sample_lesions(sides, rng, config)
    cv = _Canvas(geo.shape, geo.ijk_to_patient, geo.spacing[0])
    ax, ay = _paint_body(cv, rng, distance)
    masks: dict[str, np.ndarray] = {s.name: np.zeros(geo.shape, dtype=bool) for s in HIP_SEGMENTS}

    # Pelvic bone: every cortex first, then every marrow, so joined bones show no inner cortex line.
    bones, cups = _pelvic_bones(sides, rng)
    pelvic_marrow = rng.uniform(0.09, 0.14)
    for shape in bones + cups:
        cv.paint(shape, CORTEX)
    for h in sides:  # cartilage lining the cup
        cv.paint(_cup(h.centre, h.radius + h.gap - 2.0, h.radius + h.gap, h.cup_axis, h.cup_half_angle),
                 CARTILAGE)
    for shape in bones + cups:
        cv.paint(shape, pelvic_marrow, inset=1.6)
    bone_any = np.zeros(geo.shape, dtype=bool)
    for shape in bones:
        bone_any |= cv.mask(shape)

    for h, cup in zip(sides, cups):
        cup_mask = cv.mask(cup)
        masks[segment(h.name, "acetabulum").name] = cup_mask
        bone_any |= cup_mask
        femur_parts, shaft = _femur(h, rng)
        cv.paint(_sphere(h.centre, h.radius + 1.8), CARTILAGE)
        yellow = rng.uniform(0.07, 0.11)  # fatty marrow: suppressed on STIR
        for part in femur_parts:
            cv.paint(part, CORTEX)
        for part in femur_parts:
            cv.paint(part, yellow, inset=1.2)
        top_z = np.float32(h.centre[2] + h.neck_dir[2] * h.neck_len - 30.0)
        # The diaphysis has a thick cortex: repaint the shaft's outer 3-6 mm below the trochanters.
        cv.paint(shaft, CORTEX, where=lambda box, sd, xyz, t=top_z: ((sd > -4.5) & (xyz[2] < t)).astype(np.float32))
        femur_mask = np.zeros(geo.shape, dtype=bool)
        for part in femur_parts:
            femur_mask |= cv.mask(part)
        bone_any |= femur_mask
        head = _head_region(h)
        masks[segment(h.name, "femoral_head").name] = cv.mask(head)
        _add_lesions(cv, h, head, cup, masks, geo, rng, yellow, pelvic_marrow)
    _add_effusions(cv, sides, masks, bone_any, rng)

    acq = _acquire(cv.image, rng, geo, (ax, ay))
    return _Render(acq.pop("stored"), masks, geo, sides, acq)


def _add_lesions(cv: _Canvas, h: _HipSide, head: _Shape, cup: _Shape, masks: dict[str, np.ndarray],
                 geo: _Geometry, rng: np.random.Generator, yellow: float, red: float) -> None:
    """Femoral and acetabular BME: blobs clipped to the marrow of their bone; the mask is exactly the
    painted voxels; intensity is highest in the blob's core and fades toward its edge."""
    head_marrow = cv.mask(head, inset=1.2)
    cup_marrow = cv.mask(cup, inset=1.6)
    plans = [("femoral_bme", _femoral_bme, head_marrow, yellow, h.lesions["bme_strength"]),
             ("acetabular_bme", _acetabular_bme, cup_marrow, red, h.lesions["acetabular_strength"])]
    for region, make, inside, base, strength in plans:
        if not h.lesions[region]:
            continue
        lesion = np.zeros(cv.shape, dtype=bool)
        for blob in make(h, rng, geo):
            lesion |= cv.mask(blob) & inside
            peak = base + (1.0 - base) * strength

            def graded(x: np.ndarray, y: np.ndarray, z: np.ndarray, sd: np.ndarray, p: float = peak,
                       b: float = base) -> np.ndarray:
                core = np.clip(-sd / np.float32(4.0), 0.35, 1.0)  # full intensity 4 mm inside the edge
                return np.float32(b) + np.float32(p - b) * core

            cv.paint(blob, graded, where=lambda box, sd, xyz, m=inside: m[box].astype(np.float32))
        masks[segment(h.name, region).name] = lesion


def _add_effusions(cv: _Canvas, sides: list[_HipSide], masks: dict[str, np.ndarray], bone: np.ndarray,
                   rng: np.random.Generator) -> None:
    """Fluid fills the distended capsule wherever there is no bone."""
    soft = ~bone
    for h in sides:
        if not h.lesions["effusion"]:
            continue
        region = np.zeros(cv.shape, dtype=bool)
        for part in _effusion(h, rng):
            region |= cv.mask(part) & soft
            cv.paint(part, h.lesions["effusion_value"], where=lambda box, sd, xyz: soft[box].astype(np.float32))
        masks[segment(h.name, "effusion").name] = region


def _acquire(image: np.ndarray, rng: np.random.Generator, geo: _Geometry,
             body: tuple[float, float]) -> dict:
    """Tissue texture, slice profile, coil bias, Rician noise, 12-bit storage."""
    texture_amp = rng.uniform(0.03, 0.07)
    cells = (max(geo.shape[0] // 3, 2), geo.shape[1] // 12, geo.shape[2] // 12)
    image = image * (1.0 + np.float32(texture_amp) * mri.smooth_field(rng, geo.shape, cells))
    image = mri.slice_profile(image, rng)
    image = image * mri.coil_bias(rng, geo.shape, geo.ijk_to_patient, body)
    sigma = rng.uniform(0.015, 0.04)
    image = mri.rician_noise(image, rng, sigma)
    gain = rng.uniform(700.0, 1400.0)
    return {"stored": mri.to_stored(image, gain), "noise_sigma": round(float(sigma), 5),
            "gain": round(float(gain), 3), "texture": round(float(texture_amp), 4)}


def render_hip_case(rng: np.random.Generator, config: Optional[HipPhantomConfig] = None
                    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """One case in memory: (STIR uint16 [k, j, i] as it would be stored, truth masks by segment
    name (bool, same grid), 4x4 IJK-to-RAS)."""
    r = _render(rng, config or HipPhantomConfig())
    return r.stir, r.masks, r.geometry.ijk_to_ras


# --------------------------------------------------------------------------------------------
# Files


def _seed_list(rng_seed: Sequence[int] | int) -> list[int]:
    return [int(rng_seed)] if np.isscalar(rng_seed) else [int(v) for v in rng_seed]


def _truth_document(r: _Render, case_id: str, seed: list[int], config: HipPhantomConfig) -> dict:
    from axspa.hip_scores import HipScoreConfig, hip_scores

    score_config = HipScoreConfig()
    sides = hip_scores(r.stir.astype(np.float32), r.masks, r.geometry.ijk_to_ras, score_config)
    geo = r.geometry
    return {
        "schema": "axspa.hip/1",
        "input": {"path": "dicom", "shape": list(geo.shape), "spacing_mm": [round(v, 6) for v in geo.spacing]},
        "sides": _jsonable(sides),
        "settings": {"half_width": score_config.half_width,
                     "min_lesion_area_mm2": score_config.min_lesion_area_mm2},
        "note": "Phantom ground truth. HIMRISS-style slice sums computed from the truth segmentation; "
                "not the official HIMRISS reader protocol.",
        "phantom": {
            "generator": GENERATOR, "case_id": case_id, "seed": seed, "config": asdict(config),
            "oblique": geo.oblique, "acquisition": r.acquisition,
            "lesions": {h.name: {k: v for k, v in h.lesions.items()} for h in r.sides},
            "femoral_head_diameter_mm": {h.name: round(2 * h.radius, 2) for h in r.sides},
        },
        "warnings": [],
    }


def _jsonable(obj: Any) -> Any:
    """numpy scalars and tuples -> plain JSON types, recursively."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def generate_hip_case(out_dir: Path, case_id: str, rng_seed: Sequence[int] | int,
                      config: Optional[HipPhantomConfig] = None) -> dict:
    """Write DIR/<case_id>/dicom/ (coronal STIR series), truth.seg.nrrd and truth.json; return the
    truth document (axspa.hip/1 with a 'phantom' section). Same seed, same bytes."""
    from axspa.io.dicom_write import write_series_dicom
    from axspa.io.segfile import write_seg_nrrd

    config = config or HipPhantomConfig()
    seed = _seed_list(rng_seed)
    r = _render(np.random.default_rng(seed), config)
    case_dir = Path(out_dir) / case_id
    case_dir.mkdir(parents=True, exist_ok=True)
    write_series_dicom(case_dir / "dicom", r.stir, r.geometry.ijk_to_ras, modality="MR",
                       series_description="STIR_COR_HIPS", sequence="STIR", patient_id=case_id,
                       seed_uid_from=f"{GENERATOR}:{case_id}:{seed}")
    write_seg_nrrd(case_dir / "truth.seg.nrrd", r.masks, r.geometry.ijk_to_ras, segments=HIP_SEGMENTS)
    doc = _truth_document(r, case_id, seed, config)
    (case_dir / "truth.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return doc


def hip_montage_tile(case_dir: Path) -> np.ndarray:
    """RGB uint8 [rows, columns, 3]: the central scoring slice (largest femoral-head area, both sides)
    windowed, with every truth segment's outline in its fixed colour. Patient right on the left."""
    from scipy import ndimage

    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    case_dir = Path(case_dir)
    volume = read_volume(case_dir / "dicom")
    masks, _ = read_seg_nrrd(case_dir / "truth.seg.nrrd")
    heads = sum(masks[segment(side, "femoral_head").name].sum(axis=(1, 2)) for side in SIDES)
    k = int(np.argmax(heads))
    image = volume.array[k].astype(np.float32)
    hi = float(np.percentile(image, 99.5)) or 1.0
    grey = (np.clip(image / hi, 0.0, 1.0) * 255).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    for seg in HIP_SEGMENTS:  # bones first, lesions drawn over them
        m = masks.get(seg.name)
        if m is None or not m[k].any():
            continue
        edge = m[k] & ~ndimage.binary_erosion(m[k])
        rgb[edge] = (np.asarray(SEGMENT_BY_NAME[seg.name].color) * 255).astype(np.uint8)
    return rgb
