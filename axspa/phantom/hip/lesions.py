"""The hip joint and its lesions: femoral and acetabular bone marrow edema, the joint envelope of effusion."""

from __future__ import annotations

import numpy as np

from axspa.phantom.hip.config import HipPhantomConfig
from axspa.phantom.hip.geometry import _Geometry, _HipSide
from axspa.phantom.hip.sdf import _capsule, _ellipsoid, _rough, _Shape, _sphere, _union, _unit, _v


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
