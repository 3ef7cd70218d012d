"""Synthetic coronal hip STIR MRI with exact ground truth (femoral heads, acetabula, BME, effusion).

Anatomy is built from signed distance functions (SDFs) in a patient frame in millimetres:
x = patient right (RAS x), y = anterior, z = superior, origin midway between the femoral head
centres. Every voxel centre of the acquisition grid is mapped into that frame (through the case's
IJK-to-RAS, oblique or not, and a table offset) and tissues are painted in order. Soft tissue and
most bone outlines are perturbed by smooth low-frequency noise fields so no contour is a clean
geometric shape; the femoral head and the acetabular articular surface stay spherical, as they are.
Each edge is blended over the partial-volume width of the voxel: one pixel in plane, widened by the
slice thickness where a surface runs obliquely through the 3-5 mm slab, so structures fade between
slices as on a real acquisition. Truth masks are the same (perturbed) SDFs thresholded at the voxel
centre, so truth and image agree exactly. Bone marrow edema is a smooth field (bright core, feathery
fading margin); its truth is the region where that field exceeds the level a reader would outline,
clipped to the marrow of its bone.

STIR contrast (fluid = 1): fat and fatty (yellow) marrow are suppressed and dark, except toward the
edges of the field of view where suppression fails; red marrow is a little brighter; muscle is
low-intermediate with fibre striation; fluid, urine, slow-flow veins, edema and effusion are bright;
cortex, labrum, capsule and tendons are dark.

Array layout [k, j, i]: i runs to the patient's left (patient right on the left of the screen, the
radiological convention), j from superior to inferior, k from anterior to posterior (i x j), the
slice order DICOM readers stack back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS, SEGMENT_BY_NAME, segment
from axspa.phantom import mri

SIDES = {"right": 1.0, "left": -1.0}  # patient side -> sign of its x in the patient frame
GENERATOR = "axspa.phantom.hip/2"

# STIR tissue values relative to free fluid.
FAT = 0.05
CORTEX = 0.015
CARTILAGE = 0.3
LABRUM = 0.03
CAPSULE = 0.06
URINE = 0.97
EDEMA_OUTLINE = 0.4  # fraction of an edema's peak signal above which a reader outlines it




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

Sdf = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class _Shape:
    lo: np.ndarray  # bounding box in the patient frame (mm)
    hi: np.ndarray
    sdf: Sdf
    rough: float = 0.0  # mm of smooth-noise displacement of the boundary (0: exact shape)
    mix: tuple[float, float] = (1.0, 0.0)  # weights of the coarse and medium noise fields
    damp: Optional[Sdf] = None  # 0..1 weight of the roughness by position (keeps a part exact)


def _v(*xyz: float) -> np.ndarray:
    return np.asarray(xyz, dtype=float)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _rough(shape: _Shape, rng: np.random.Generator, mm: float) -> _Shape:
    """The shape with an organic boundary: displaced by ``mm`` of smooth noise (random mixture of
    the canvas noise fields, so neighbouring shapes do not wobble in step)."""
    t = rng.uniform(0.0, 2.0 * np.pi)
    return _Shape(shape.lo, shape.hi, shape.sdf, float(mm), (float(np.cos(t)), float(np.sin(t))), shape.damp)


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


def _ellipsoid(c: np.ndarray, radii: Sequence[float], rot: Optional[np.ndarray] = None) -> _Shape:
    """Ellipsoid (approximate SDF, exact sign); the columns of ``rot`` are its axes."""
    radii = np.asarray(radii, dtype=float)
    rot = np.eye(3) if rot is None else rot
    r32, c32, rad32 = rot.T.astype(np.float32), c.astype(np.float32), radii.astype(np.float32)
    extent = np.abs(rot) @ radii

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dx, dy, dz = x - c32[0], y - c32[1], z - c32[2]
        u = (r32[0, 0] * dx + r32[0, 1] * dy + r32[0, 2] * dz) / rad32[0]
        v = (r32[1, 0] * dx + r32[1, 1] * dy + r32[1, 2] * dz) / rad32[1]
        w = (r32[2, 0] * dx + r32[2, 1] * dy + r32[2, 2] * dz) / rad32[2]
        return (np.sqrt(u * u + v * v + w * w) - 1.0) * np.float32(radii.min())

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


def _chain(points: Sequence[np.ndarray], r0: float, r1: float) -> list[_Shape]:
    """Tapered rods through consecutive points: a curved muscle belly, vessel or bowel loop."""
    n = len(points) - 1
    radii = np.linspace(r0, r1, n + 1)
    return [_capsule(points[i], points[i + 1], radii[i], radii[i + 1]) for i in range(n)]


def _union(shapes: Sequence[_Shape], k: float) -> _Shape:
    """Smooth union (polynomial smooth minimum, blend width ``k`` mm): organic fillets between parts,
    as where the femoral neck flares into the trochanters."""
    lo = np.min([s.lo for s in shapes], axis=0)
    hi = np.max([s.hi for s in shapes], axis=0)
    k32 = np.float32(k)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        d = shapes[0].sdf(x, y, z)
        for s in shapes[1:]:
            e = s.sdf(x, y, z)
            h = np.clip(0.5 + 0.5 * (e - d) / k32, 0.0, 1.0)
            d = e + (d - e) * h - k32 * h * (1.0 - h)
        return d

    return _Shape(lo, hi, sdf)


def _slab(a_xz: np.ndarray, b_xz: np.ndarray, r0: float, r1: float, y0: float, half_y: float,
          shear: float) -> _Shape:
    """A tapered capsule in the coronal (x, z) plane extruded over y0 +- half_y, its x shifted by
    ``shear`` mm per mm of y: the curved iliac wing (posteriorly it turns toward the sacrum)."""
    inner = _capsule(_v(a_xz[0], y0, a_xz[1]), _v(b_xz[0], y0, b_xz[1]), r0, r1)
    y32, sh32, hy32 = np.float32(y0), np.float32(shear), np.float32(half_y)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dy = y - y32
        flat = inner.sdf(x - sh32 * dy, y32, z)  # distance within the coronal plane only
        return np.maximum(flat, np.abs(dy) - hy32)

    lo, hi = inner.lo.copy(), inner.hi.copy()
    lo[1], hi[1] = y0 - half_y, y0 + half_y
    lo[0] -= abs(shear) * half_y
    hi[0] += abs(shear) * half_y
    return _Shape(lo, hi, sdf)


def _cup(c: np.ndarray, r_in: float, r_out: float, axis: np.ndarray, half_angle_deg: float) -> _Shape:
    """Acetabular cup: a spherical shell r_in..r_out around c within a cone about ``axis``."""
    c32, a32 = c.astype(np.float32), _unit(axis).astype(np.float32)
    mid, half = np.float32((r_in + r_out) / 2), np.float32((r_out - r_in) / 2)

    theta_half = np.float32(np.deg2rad(half_angle_deg))
    bevel = np.float32(0.8) * half  # the rim is rounded, not cut square

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dx, dy, dz = x - c32[0], y - c32[1], z - c32[2]
        r = np.sqrt(dx * dx + dy * dy + dz * dz) + np.float32(1e-6)
        along = (dx * a32[0] + dy * a32[1] + dz * a32[2]) / r
        qr = np.abs(r - mid) - half + bevel
        qt = (np.arccos(np.clip(along, -1.0, 1.0)) - theta_half) * r + bevel
        outside = np.sqrt(np.maximum(qr, 0.0) ** 2 + np.maximum(qt, 0.0) ** 2)
        return outside + np.minimum(np.maximum(qr, qt), 0.0) - bevel

    return _Shape(c - r_out, c + r_out, sdf)


def _labrum(h: _HipSide) -> _Shape:
    """The acetabular labrum: a ring of triangular section on the bony rim, its base on the rim and
    its apex pointing away from the cup, hugging the head cartilage (the dark triangle of coronal
    images, superolaterally and inferomedially)."""
    c32, a32 = h.centre.astype(np.float32), h.cup_axis.astype(np.float32)
    theta_rim = np.float32(np.deg2rad(h.cup_half_angle - 1.5))
    span = np.float32(np.deg2rad(h.labrum_deg))
    inner = np.float32(h.radius + 1.7)
    base = np.float32(h.radius + h.gap + 0.45 * h.cup_thickness) - inner

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        dx, dy, dz = x - c32[0], y - c32[1], z - c32[2]
        r = np.sqrt(dx * dx + dy * dy + dz * dz) + np.float32(1e-6)
        theta = np.arccos(np.clip((dx * a32[0] + dy * a32[1] + dz * a32[2]) / r, -1.0, 1.0))
        frac = (theta - theta_rim) / span  # 0 at the rim, 1 at the apex
        outer = inner + base * (1.0 - frac)
        return np.maximum.reduce([(theta_rim - theta) * r, (frac - 1.0) * r * span, inner - r, r - outer])

    reach = h.radius + h.gap + h.cup_thickness
    return _Shape(h.centre - reach, h.centre + reach, sdf)


# --------------------------------------------------------------------------------------------
# Coronal profiles: outlines drawn in the coronal (x, z) plane, extruded front to back

TABLE_MM = 0.5  # sampling of the coronal distance tables


class _Table:
    """Signed (or unsigned) distance in mm sampled on a grid of the coronal (x, z) plane; looked up
    bilinearly. Outlines that are awkward as closed-form SDFs (the iliac plate, the pelvic cavity,
    fascial planes) are drawn as polygons and polylines, then turned into distances with a Euclidean
    distance transform; lookups outside the table take its border value (the margin keeps that
    far from the outline)."""

    def __init__(self, sd: np.ndarray, x0: float, z0: float) -> None:
        self.sd = sd.astype(np.float32)
        self.x0, self.z0 = np.float32(x0), np.float32(z0)
        self.lo = _v(x0, 0.0, z0)
        self.hi = _v(x0 + (sd.shape[1] - 1) * TABLE_MM, 0.0, z0 + (sd.shape[0] - 1) * TABLE_MM)

    def __call__(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        # Nearest sample: the table is finer than any acquired pixel and smooth, and one gather is
        # several times cheaper than four.
        nz, nx = self.sd.shape
        ix = np.clip((x - self.x0) * np.float32(1.0 / TABLE_MM) + np.float32(0.5), 0, nx - 1).astype(np.int32)
        iz = np.clip((z - self.z0) * np.float32(1.0 / TABLE_MM) + np.float32(0.5), 0, nz - 1).astype(np.int32)
        return self.sd.ravel()[iz * nx + ix]


def _raster(paths: Sequence[np.ndarray], margin: float, closed: bool) -> tuple[np.ndarray, float, float]:
    """Rasterise (x, z) polygons (filled) or polylines (1 pixel wide) on a TABLE_MM grid with
    ``margin`` mm around them: (bool image [z, x], x0, z0)."""
    from PIL import Image, ImageDraw

    pts = np.vstack(paths)
    x0, z0 = pts.min(axis=0) - margin
    nx, nz = (np.ceil((pts.max(axis=0) + margin - (x0, z0)) / TABLE_MM).astype(int) + 1).tolist()
    im = Image.new("1", (nx, nz), 0)
    draw = ImageDraw.Draw(im)
    for p in paths:
        q = [tuple(v) for v in ((p - (x0, z0)) / TABLE_MM).tolist()]
        if closed:
            draw.polygon(q, fill=1)
        else:
            draw.line(q, fill=1, width=1)
    return np.asarray(im, dtype=bool), float(x0), float(z0)


def _polygon_table(polygons: Sequence[np.ndarray], margin: float = 12.0) -> _Table:
    """Signed distance to the union of filled (x, z) polygons, negative inside; lightly smoothed so the
    pixel staircase of the raster does not show on the image."""
    from scipy import ndimage

    inside, x0, z0 = _raster(polygons, margin, closed=True)
    sd = (ndimage.distance_transform_edt(~inside) - ndimage.distance_transform_edt(inside)) * TABLE_MM
    return _Table(ndimage.gaussian_filter(sd.astype(np.float32), 1.0), x0, z0)


def _line_table(lines: Sequence[np.ndarray], margin: float = 8.0) -> _Table:
    """Unsigned distance to (x, z) polylines."""
    from scipy import ndimage

    on, x0, z0 = _raster(lines, margin, closed=False)
    d = ndimage.distance_transform_edt(~on) * TABLE_MM
    return _Table(ndimage.gaussian_filter(d.astype(np.float32), 0.7), x0, z0)


def _smooth_path(points: Sequence[Sequence[float]], closed: bool = False, rounds: int = 3) -> np.ndarray:
    """Chaikin corner cutting: a smooth curve through the corners of a coarse outline."""
    p = np.asarray(points, dtype=float)
    for _ in range(rounds):
        q = np.roll(p, -1, axis=0) if closed else p[1:]
        a = p if closed else p[:-1]
        cut = np.empty((2 * len(a), 2))
        cut[0::2], cut[1::2] = 0.75 * a + 0.25 * q, 0.25 * a + 0.75 * q
        p = cut if closed else np.vstack([p[:1], cut, p[-1:]])
    return p


Warp = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _extruded(table: _Table, y0: float, half_y: float, warp: Optional[Warp] = None, reach: float = 0.0,
              thickness: Optional[float] = None) -> _Shape:
    """A coronal outline extruded over y0 +- half_y. ``warp`` gives the x at which to read the table
    (the outline shifts from slice to slice, ``reach`` mm at most). With ``thickness`` the table is an
    unsigned distance and the shape a sheet of that thickness which thins out toward its front and
    back ends (a fascial plane does not stop at a slice boundary)."""
    y32, hy32 = np.float32(y0), np.float32(half_y)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        d = table(x if warp is None else warp(x, y, z), z)
        if thickness is None:
            return np.maximum(d, np.abs(y - y32) - hy32)
        taper = np.clip(1.0 - ((y - y32) / hy32) ** 2, 0.0, 1.0)
        return d - np.float32(thickness / 2.0) * taper + np.float32(2.0) * (1.0 - taper)

    lo, hi = table.lo.copy(), table.hi.copy()
    lo[0], hi[0] = lo[0] - reach, hi[0] + reach
    lo[1], hi[1] = y0 - half_y, y0 + half_y
    return _Shape(lo, hi, sdf)


# --------------------------------------------------------------------------------------------
# Canvas: the acquisition grid, noise fields, painting and masks

Value = Union[float, np.ndarray, Callable[[tuple, list, np.ndarray], np.ndarray]]
Box = tuple[slice, slice, slice]


class _Canvas:
    """The image being painted plus the smooth noise fields every shape and texture draws on."""

    def __init__(self, geo: _Geometry, rng: np.random.Generator) -> None:
        self.shape = geo.shape
        self.m = geo.ijk_to_patient
        self.inv = np.linalg.inv(geo.ijk_to_patient)
        self.edge = np.float32(geo.spacing[0])  # in-plane partial-volume width: one pixel
        self.image = np.zeros(self.shape, dtype=np.float32)
        extent = np.array([geo.shape[0] * geo.spacing[2], geo.shape[1] * geo.spacing[1],
                           geo.shape[2] * geo.spacing[0]])

        def cells(mm: Sequence[float]) -> tuple[int, ...]:
            return tuple(int(np.ceil(e / f)) + 1 for e, f in zip(extent, mm))

        # Shape noise (~35 and ~12 mm features), fine marrow/edema texture (~2.5 mm, each slice its
        # own), and muscle striation (fibres run mostly cranio-caudally: long in j, thin in i).
        self.coarse = mri.smooth_field(rng, self.shape, cells((35.0, 35.0, 35.0)))
        self.medium = mri.smooth_field(rng, self.shape, cells((12.0, 12.0, 12.0)))
        self.fine = mri.smooth_field(rng, self.shape, (geo.shape[0],) + cells((1, 2.5, 2.5))[1:])
        self.striation = mri.smooth_field(rng, self.shape, (geo.shape[0],) + cells((1, 22.0, 2.2))[1:])

    def evaluate(self, shape: _Shape) -> Optional[tuple[Box, np.ndarray, list[np.ndarray]]]:
        """(index box, SDF in the box, [x, y, z] in the box) or None when the shape misses the grid."""
        pad = 3.5 * shape.rough
        corners = np.array(np.meshgrid(*zip(shape.lo - pad, shape.hi + pad), indexing="ij")).reshape(3, -1)
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
        box = (slice(k0, k1), slice(j0, j1), slice(i0, i1))
        sd = shape.sdf(*xyz)
        if shape.rough:
            a, b = (np.float32(shape.rough * w) for w in shape.mix)
            noise = a * self.coarse[box] + b * self.medium[box]
            sd = sd + (noise if shape.damp is None else noise * shape.damp(*xyz))
        return box, sd, xyz

    def _width(self, sd: np.ndarray) -> np.ndarray | np.float32:
        """Partial-volume width of an edge at each voxel: a pixel in plane, and the SDF's change
        from slice to slice (slab thickness times the surface normal's through-slice component)."""
        if sd.shape[0] < 2:
            return self.edge
        g = np.abs(np.gradient(sd, axis=0))
        return np.sqrt(self.edge * self.edge + g * g)

    def paint(self, shape: _Shape, layers: Sequence[tuple[Any, Value]],
              where: Optional[Callable[[Box, np.ndarray, list], np.ndarray]] = None,
              found: Optional[tuple[Box, np.ndarray, list]] = None) -> Optional[tuple[Box, np.ndarray, list]]:
        """Blend each (inset, value) layer in turn where SDF < -inset, over the partial-volume width.
        ``inset`` may be a full-grid array (a varying depth); ``value`` a number, a full-grid array or
        a function (box, xyz, sd) -> values; ``where`` a function (box, sd, xyz) -> 0..1 weight.
        ``found`` reuses an earlier ``evaluate``; returns it so masks need no second evaluation."""
        found = self.evaluate(shape) if found is None else found
        if found is None:
            return None
        box, raw, xyz = found
        width = self._width(raw)
        weight = None if where is None else where(box, raw, xyz)
        target = self.image[box]
        for inset, value in layers:
            depth = inset[box] if isinstance(inset, np.ndarray) else np.float32(inset)
            alpha = np.clip(np.float32(0.5) - (raw + depth) / width, 0.0, 1.0)
            if weight is not None:
                alpha = alpha * weight
            if callable(value):
                val = value(box, xyz, raw)
            elif isinstance(value, np.ndarray):
                val = value[box]
            else:
                val = np.float32(value)
            target += alpha * (val - target)
        return found

    def full(self, box: Box, part: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=bool)
        out[box] = part
        return out

    def mask(self, shape: _Shape, inset: float = 0.0) -> np.ndarray:
        """Voxels whose centre lies inside the shape (SDF < -inset), as a full-grid bool array."""
        found = self.evaluate(shape)
        if found is None:
            return np.zeros(self.shape, dtype=bool)
        box, sd, _ = found
        return self.full(box, sd < -inset)


# --------------------------------------------------------------------------------------------
# Case parameters


@dataclass
class _HipSide:
    name: str  # 'right' / 'left'
    s: float  # +1 patient right, -1 patient left
    centre: np.ndarray
    radius: float
    neck_dir: np.ndarray  # unit vector from the head centre along the neck, laterally and down
    shaft_dir: np.ndarray  # unit vector down the femoral shaft
    neck_shaft_deg: float
    neck_len: float
    neck_radius: float
    gap: float  # joint space incl. both cartilage layers
    cup_thickness: float
    cup_axis: np.ndarray
    cup_half_angle: float
    labrum_deg: float
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
    125-135 degrees, anteversion 5-20 degrees, shaft 5-9 degrees off vertical (knees closer than
    hips); the two hips differ a little."""
    distance = rng.uniform(165.0, 200.0)
    radius = rng.uniform(22.5, 27.0)
    sides = []
    for name, s in SIDES.items():
        r = radius * rng.uniform(0.97, 1.03)
        centre = _v(s * distance / 2, rng.uniform(-3, 3), rng.uniform(-3, 3))
        angle = rng.uniform(125.0, 135.0)
        tilt = np.deg2rad(rng.uniform(5.0, 9.0))
        shaft = _v(-s * np.sin(tilt), rng.uniform(-0.05, 0.05), -np.cos(tilt))
        phi = np.deg2rad(180.0 - angle) - tilt  # neck from straight down, toward lateral
        gamma = np.deg2rad(rng.uniform(0.0, 12.0))  # anteversion left after the usual internal rotation
        neck = _v(s * np.sin(phi) * np.cos(gamma), -np.sin(gamma), -np.cos(phi) * np.cos(gamma))
        cup_axis = _v(-s * rng.uniform(0.45, 0.65), -rng.uniform(0.1, 0.25), 0.85)
        sides.append(_HipSide(name, s, centre, r, _unit(neck), _unit(shaft), float(angle),
                              r * rng.uniform(1.8, 2.1), r * rng.uniform(0.6, 0.68), rng.uniform(3.0, 4.5),
                              rng.uniform(9.0, 15.0), _unit(cup_axis), rng.uniform(70.0, 80.0),
                              rng.uniform(12.0, 18.0)))
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
# Soft tissue


@dataclass
class _Tissue:
    """Per-case tissue signal: fat (a full-grid field, brighter toward the edges of the field of
    view), muscle, yellow and red marrow."""

    fat: np.ndarray
    muscle: float
    yellow: float
    red: float
    young: bool  # red-marrow islands in the pelvis


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


# --------------------------------------------------------------------------------------------
# Bone


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


def _physis(h: _HipSide) -> _Shape:
    """The physeal scar: a thin cap-shaped plate across the head-neck junction, convex toward the head
    centre (part of a sphere centred down the neck axis), limited to the head and neck."""
    q = (h.centre + h.neck_dir * 1.3 * h.radius).astype(np.float32)
    big = np.float32(0.95 * h.radius)
    c32, n32, lim = h.centre.astype(np.float32), h.neck_dir.astype(np.float32), np.float32(0.95 * h.radius)

    def sdf(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        shell = np.abs(np.sqrt((x - q[0]) ** 2 + (y - q[1]) ** 2 + (z - q[2]) ** 2) - big) - np.float32(0.7)
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
        return out

    return value


# --------------------------------------------------------------------------------------------
# Joint, lesions


def _shows(geo: _Geometry, point: np.ndarray) -> bool:
    """Whether a point lies at least half a slice inside the first and last slices."""
    inv = np.linalg.inv(geo.ijk_to_patient)
    k = float(inv[2, :3] @ point + inv[2, 3])
    return 0.5 <= k <= geo.shape[0] - 1.5


def _frame(u: np.ndarray) -> np.ndarray:
    """Rotation whose third column is ``u`` (an ellipsoid flattened along u)."""
    t1 = _unit(np.cross(u, _v(0, 1, 0)) if abs(u[1]) < 0.9 else np.cross(u, _v(1, 0, 0)))
    return np.column_stack([t1, np.cross(u, t1), u])


def _padded(shape: _Shape, mm: float) -> _Shape:
    return _Shape(shape.lo - mm, shape.hi + mm, shape.sdf)


def _femoral_bme(h: _HipSide, rng: np.random.Generator, geo: _Geometry) -> list[_Shape]:
    """1-2 edema cores, mostly subchondral in the weight-bearing superolateral head, flattened
    along the articular surface; each centred in the head's marrow on an acquired slice."""
    cut = np.sqrt(max(h.radius**2 - h.neck_radius**2, 0.0))
    blobs = []
    for _ in range(int(rng.integers(1, 3))):
        centre, u = h.centre + _v(0, 0, 0.5 * h.radius), _v(0, 0, 1)
        for _ in range(100):  # rejection sampling: most candidates are acquired
            tilt = rng.normal(np.deg2rad(25.0), np.deg2rad(35.0))  # from vertical, toward lateral
            u_try = _unit(_v(h.s * np.sin(tilt), rng.uniform(-0.5, 0.5), np.cos(tilt)))
            candidate = h.centre + u_try * rng.uniform(0.35, 0.78) * h.radius
            if _shows(geo, candidate) and (candidate - h.centre) @ h.neck_dir < cut - 4.0:
                centre, u = candidate, u_try
                break
        scale = h.radius / 25.0
        radii = _v(rng.uniform(6.0, 15.0), rng.uniform(6.0, 14.0), rng.uniform(4.5, 9.0)) * scale
        blobs.append(_ellipsoid(centre, radii, _frame(u)))
    return blobs


def _acetabular_bme(h: _HipSide, rng: np.random.Generator, geo: _Geometry) -> list[_Shape]:
    """An edema core under the acetabular roof's subchondral plate, on an acquired slice."""
    inner = h.radius + h.gap + 2.4
    depth = rng.uniform(1.5, max(2.0, 0.45 * h.cup_thickness))
    cos_max = np.cos(np.deg2rad(h.cup_half_angle - 18.0))
    u = h.cup_axis
    for _ in range(200):
        v = _unit(h.cup_axis + rng.normal(0.0, 0.6, 3))
        if v @ h.cup_axis > cos_max and _shows(geo, h.centre + (inner + depth) * v):
            u = v
            break
    radii = _v(rng.uniform(6.0, 13.0), rng.uniform(6.0, 12.0), rng.uniform(3.5, 6.5))
    return [_ellipsoid(h.centre + (inner + depth) * u, radii, _frame(u))]


def _joint_envelope(h: _HipSide, rng: np.random.Generator) -> _Shape:
    """Inner surface of the joint capsule: snug over the head cartilage and the neck, distended by an
    effusion or synovitis (by ``lesions['distension']`` mm) with its inferior and anterior recesses
    along the neck."""
    c, n, r, rn, length = h.centre, h.neck_dir, h.radius, h.neck_radius, h.neck_len
    dist = h.lesions["distension"]
    parts = [_sphere(c, r + 2.0 + 0.45 * dist),
             _capsule(c + n * 0.45 * r, c + n * 0.92 * length, rn * 1.05 + 1.3 + dist, rn * 1.28 + 1.3 + 0.6 * dist)]
    if dist > 0:
        for toward, along, share in ((_v(0, 0, -1), 0.6, 0.55), (_v(0, 1, 0), 0.45, 0.4)):
            v = _unit(toward - n * (n @ toward))
            axes = np.column_stack([n, _unit(np.cross(n, v)), v])
            radii = (0.3 * length, rn * rng.uniform(0.6, 0.8), share * dist + 2.5)
            parts.append(_ellipsoid(c + n * along * length + v * (rn + share * dist), radii, axes))
    return _rough(_union(parts, 4.0), rng, 0.8)


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
        synovitis = h.lesions["effusion_kind"] == "synovitis"
        h.lesions["effusion_value"] = float(rng.uniform(0.45, 0.7) if synovitis else rng.uniform(0.75, 1.0))
        distension = rng.uniform(2.5, 6.0) if synovitis else rng.uniform(3.0, 9.0)
        h.lesions["distension"] = round(float(distension), 3) if h.lesions["effusion"] else 0.0


# --------------------------------------------------------------------------------------------
# Rendering


@dataclass
class _Render:
    stir: np.ndarray  # uint16 [k, j, i], the stored values
    masks: dict[str, np.ndarray]
    geometry: _Geometry
    sides: list[_HipSide]
    acquisition: dict
    young: bool = False


def _render(rng: np.random.Generator, config: HipPhantomConfig) -> _Render:
    geo = _sample_geometry(rng, config)
    distance, sides = _sample_sides(rng)
    _sample_lesions(sides, rng, config)
    cv = _Canvas(geo, rng)
    fat = mri.fat_suppression(rng, geo.shape, geo.ijk_to_patient, FAT) * (1.0 + np.float32(0.2) * cv.coarse)
    tissue = _Tissue(fat, rng.uniform(0.2, 0.27), rng.uniform(0.06, 0.1), rng.uniform(0.16, 0.26),
                     bool(rng.random() < 0.45))
    frames = _frames(sides, rng)
    body = _paint_soft_tissue(cv, rng, distance, sides, tissue, frames)
    envelopes = [_joint_envelope(h, rng) for h in sides]
    for h, env in zip(sides, envelopes):  # capsule wall (below the rim) around a film of joint fluid
        a32, c32 = h.cup_axis.astype(np.float32), h.centre.astype(np.float32)
        rim = np.float32(np.cos(np.deg2rad(h.cup_half_angle - 4.0)))

        def below_rim(box: Box, sd: np.ndarray, xyz: list, a32=a32, c32=c32, rim=rim) -> np.ndarray:
            d = [xyz[i] - c32[i] for i in range(3)]
            norm = np.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2) + np.float32(1e-6)
            along = (d[0] * a32[0] + d[1] * a32[1] + d[2] * a32[2]) / norm
            return np.where((sd < 0) | (along < rim), np.float32(1.0), np.float32(0.0))

        cv.paint(env, [(-1.8, CAPSULE), (0.0, 0.32)], where=below_rim)

    masks: dict[str, np.ndarray] = {s.name: np.zeros(geo.shape, dtype=bool) for s in HIP_SEGMENTS}
    bone_any = _paint_pelvis(cv, rng, sides, frames, tissue, masks)
    _spine(cv, rng)
    for h in sides:
        bone_any |= _paint_femur(cv, h, rng, tissue, masks)
    soft_exclusions = _paint_joint_linings(cv, sides)
    for h in sides:
        _add_bme(cv, h, rng, geo, masks, tissue)
    for h, env in zip(sides, envelopes):
        if h.lesions["effusion"]:
            _add_effusion(cv, h, env, bone_any | soft_exclusions | masks[segment(h.name, "femoral_head").name],
                          masks)

    acq = _acquire(cv, rng, geo, body)
    return _Render(acq.pop("stored"), masks, geo, sides, acq, tissue.young)


def _paint_pelvis(cv: _Canvas, rng: np.random.Generator, sides: list[_HipSide], frames: list[_Frame],
                  tissue: _Tissue, masks: dict[str, np.ndarray]) -> np.ndarray:
    """Pelvic bones: every cortex first, then every marrow, so joined bones show no inner cortex line;
    then the thick subchondral plate of the acetabular roof (the sourcil). Returns the bone mask."""
    bones, cups = _pelvic_bones(sides, frames, rng)
    found = [cv.evaluate(shape) for shape in bones + cups]
    bone_any = np.zeros(cv.shape, dtype=bool)
    for shape, hit in zip(bones + cups, found):
        if hit is not None:
            cv.paint(shape, [(0.0, CORTEX)], found=hit)
            bone_any[hit[0]] |= hit[1] < 0
    marrow = _marrow(cv, tissue, red=True)
    for shape, hit in zip(bones + cups, found):
        if hit is not None:
            cv.paint(shape, [(1.6, marrow)], found=hit)
    for h, hit in zip(sides, found[len(bones):]):
        masks[segment(h.name, "acetabulum").name] = (cv.full(hit[0], hit[1] < 0) if hit is not None
                                                     else np.zeros(cv.shape, dtype=bool))
        r_in = h.radius + h.gap
        cv.paint(_cup(h.centre, r_in, r_in + 2.6, h.cup_axis, h.cup_half_angle - 12.0), [(0.0, CORTEX)])
        cv.paint(_cup(h.centre, r_in - 2.0, r_in, h.cup_axis, h.cup_half_angle), [(0.0, CARTILAGE)])
    return bone_any


def _paint_femur(cv: _Canvas, h: _HipSide, rng: np.random.Generator, tissue: _Tissue,
                 masks: dict[str, np.ndarray]) -> np.ndarray:
    """Head cartilage, cortex, fatty marrow, the thick diaphyseal cortex, the physeal scar and the
    ligamentum teres in the fovea. Returns the femur's mask; sets the femoral head segment."""
    femur, shaft, head = _femur(h, rng)
    cv.paint(head, [(-1.8, CARTILAGE)])
    hit = cv.evaluate(femur)
    if hit is None:
        return np.zeros(cv.shape, dtype=bool)
    cv.paint(femur, [(0.0, CORTEX), (1.2, _marrow(cv, tissue, red=False))], found=hit)
    top_z = np.float32(h.centre[2] + h.neck_dir[2] * h.neck_len - 30.0)
    thick = np.float32(rng.uniform(3.5, 6.0))
    # The diaphysis has a thick cortex: repaint the shaft's outer 3.5-6 mm below the trochanters.
    cv.paint(shaft, [(0.0, CORTEX)],  # thickening gradually below the trochanters, no step
             where=lambda box, sd, xyz: (sd > -thick) * np.clip((top_z - xyz[2]) / np.float32(35.0), 0.0, 1.0))
    marrow = cv.full(hit[0], hit[1] < -1.2)
    cv.paint(_physis(h), [(0.0, CORTEX)], where=lambda box, sd, xyz: marrow[box].astype(np.float32))
    fc, fr = _fovea(h)
    cv.paint(_capsule(fc, fc + _unit(_v(-h.s, 0.1, -0.6)) * 14.0, 2.2, 3.0), [(0.0, 0.1)])  # ligamentum teres
    masks[segment(h.name, "femoral_head").name] = cv.mask(_head_region(h))
    return cv.full(hit[0], hit[1] < 0)


def _paint_joint_linings(cv: _Canvas, sides: list[_HipSide]) -> np.ndarray:
    """Labrum (dark triangle on the acetabular rim). Returns the mask of joint tissue no effusion may
    claim: labrum and both cartilage layers."""
    out = np.zeros(cv.shape, dtype=bool)
    for h in sides:
        hit = cv.paint(_labrum(h), [(0.0, LABRUM)])
        if hit is not None:
            out[hit[0]] |= hit[1] < 0
        r_in = h.radius + h.gap
        out |= cv.mask(_head(h), inset=-1.8)
        out |= cv.mask(_cup(h.centre, r_in - 2.0, r_in, h.cup_axis, h.cup_half_angle))
    return out


def _add_bme(cv: _Canvas, h: _HipSide, rng: np.random.Generator, geo: _Geometry,
             masks: dict[str, np.ndarray], tissue: _Tissue) -> None:
    """Femoral and acetabular bone marrow edema as smooth fields clipped to the marrow of their bone."""
    r_in = h.radius + h.gap
    plans = [("femoral_bme", _femoral_bme, _head_region(h), 1.2, h.lesions["bme_strength"]),
             ("acetabular_bme", _acetabular_bme,
              _cup(h.centre, r_in + 2.6, r_in + h.cup_thickness, h.cup_axis, h.cup_half_angle - 2.0), 1.6,
              h.lesions["acetabular_strength"])]
    for region, make, bone, inset, strength in plans:
        if not h.lesions[region]:
            continue
        inside = cv.mask(bone, inset=inset)
        lesion = np.zeros(cv.shape, dtype=bool)
        peak = tissue.yellow + (1.0 - tissue.yellow) * strength
        tau = rng.uniform(1.5, 3.0)
        for blob in make(h, rng, geo):
            lesion |= _edema(cv, blob, inside, peak, tau)
        masks[segment(h.name, region).name] = lesion


def _edema(cv: _Canvas, core: _Shape, inside: np.ndarray, peak: float, tau: float) -> np.ndarray:
    """Paint one edema: signal fraction f = logistic(-(SDF + feathering) / tau), brightest in the
    core (f to 1) and fading out over several millimetres with irregular, feathery margins; returns
    the part a reader would outline (f above EDEMA_OUTLINE) inside the marrow."""
    found = cv.evaluate(_padded(core, 5.0 * tau + 6.0))
    if found is None:
        return np.zeros(cv.shape, dtype=bool)
    box, sd, _ = found
    radius = float(np.min(core.hi - core.lo)) / 2.0
    feather = sd + np.float32(1.5) * cv.fine[box] + np.float32(1.3) * cv.medium[box]
    f = np.float32(1.0) / (np.float32(1.0) + np.exp(np.clip(feather / np.float32(tau), -30.0, 30.0)))
    f *= np.float32(0.7) + np.float32(0.3) * np.clip(-sd / np.float32(max(radius, 1.0)), 0.0, 1.0)
    inner = inside[box]
    target = cv.image[box]
    value = np.float32(peak) * (1.0 + np.float32(0.1) * cv.fine[box])
    target += f * inner * (value - target)
    return cv.full(box, (f > EDEMA_OUTLINE) & inner)


def _add_effusion(cv: _Canvas, h: _HipSide, envelope: _Shape, excluded: np.ndarray,
                  masks: dict[str, np.ndarray]) -> None:
    """Fluid (or thickened synovium) filling the distended capsule wherever there is no bone,
    cartilage or labrum: crisp at the capsule, following the neck into its recesses."""
    found = cv.evaluate(envelope)
    if found is None:
        return
    box, sd, _ = found
    region = (sd < 0) & ~excluded[box]
    v = np.float32(h.lesions["effusion_value"])
    grain = np.float32(0.15 if h.lesions["effusion_kind"] == "synovitis" else 0.04)
    cv.paint(envelope, [(0.0, lambda b, xyz, s: v * (1.0 + grain * cv.fine[b]))],
             where=lambda b, s, xyz: region.astype(np.float32), found=found)
    masks[segment(h.name, "effusion").name] = cv.full(box, region)


def _acquire(cv: _Canvas, rng: np.random.Generator, geo: _Geometry, body: tuple[float, float]) -> dict:
    """Fine tissue texture, slice profile, coil bias, Rician noise, 12-bit storage."""
    texture_amp = rng.uniform(0.02, 0.05)
    image = cv.image * (1.0 + np.float32(texture_amp) * cv.fine)
    image = mri.slice_profile(image, rng)
    image = image * mri.coil_bias(rng, geo.shape, geo.ijk_to_patient, body)
    sigma = rng.uniform(0.012, 0.03)
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
    from axspa.hip.scores import HipScoreConfig, hip_scores

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
            "neck_shaft_angle_deg": {h.name: round(h.neck_shaft_deg, 2) for h in r.sides},
            "red_marrow_islands": r.young,
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


def _stir_window(image: np.ndarray) -> np.ndarray:
    """uint8 display of a STIR slice windowed as a reader would on a PACS: on the soft tissue, not on
    the brightest pixels. Within the body (above a fraction of the bright tissue level), the 70th
    percentile falls on muscle whatever the amount of fluid or fat; muscle is set to about 40 % grey,
    so fluid and edema are bright and fat and fatty marrow dark in every case."""
    body = image[image > 0.25 * float(np.percentile(image, 95))]
    level = float(np.percentile(body, 70)) if body.size else float(image.max())
    white = 2.4 * level if level > 0 else 1.0
    return (np.clip(image / white, 0.0, 1.0) * 255).astype(np.uint8)


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
    grey = _stir_window(volume.array[k].astype(np.float32))
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    for seg in HIP_SEGMENTS:  # bones first, lesions drawn over them
        m = masks.get(seg.name)
        if m is None or not m[k].any():
            continue
        edge = m[k] & ~ndimage.binary_erosion(m[k])
        rgb[edge] = (np.asarray(SEGMENT_BY_NAME[seg.name].color) * 255).astype(np.uint8)
    return rgb
