"""Signed distance shapes in the patient frame (mm): spheres, ellipsoids, capsules, cups, slabs, smooth unions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

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
