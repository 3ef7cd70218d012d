"""The findings drawn at the anterior corners: erosion, sclerosis, squaring, syndesmophytes, bridges, osteophytes."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.spine.anatomy import Vertebra
from axspa.phantom.spine.painter import Painter
from axspa.spine.sites import disc_levels


def _corner_frame(v: Vertebra, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(corner point, anterior unit, unit toward the disc) for the 's' or 'i' corner."""
    if which == "s":
        return v.ant_sup, v.n, -v.u
    return v.ant_inf, v.n, v.u


def _draw_lesions(p: Painter, verts: list[Vertebra], region: str, plan: dict, rng: np.random.Generator) -> None:
    by_name = {v.name: v for v in verts}
    k = 1.0 if region == "lumbar" else 0.55  # lesion size relative to lumbar
    findings = plan["findings"]
    implant_sites = {s for name, *pair in disc_levels(region) if name == plan["implant"] for s in pair}
    for site, f in findings.items():
        v = by_name[site[:-1]]
        P, n, d = _corner_frame(v, site[-1])
        if f["erosion"]:
            _erosion(p, P, n, d, k, rng)
        if f["sclerosis"]:
            _sclerosis(p, P, n, d, k, rng)
        if f["syndesmophyte"]:
            # Thin, vertical, from the margin of the corner toward the next vertebra (marginal).
            length = _disc_gap(v, site, by_name, region) * rng.uniform(0.4, 0.7)
            tip = P + d * length + n * rng.uniform(0.3, 1.2) * k
            curve = shapes.bezier(P - 0.8 * d * k, P + d * length * 0.5 + n * 1.0 * k, tip, 12)
            wid = rng.uniform(1.0, 1.5) * k
            p.line(p.bone, curve, wid, 0.7)
            p.line(p.bone, curve[:6], wid * 1.5, 0.3)  # broader where it leaves the corner
        if f["osteophyte"]:
            _osteophyte(p, P, n, d, k, rng)
        if f["other"]:
            # Paravertebral ossification: anterior to the disc, separate from the corner.
            c = P + n * rng.uniform(4, 6) * k + d * 3 * k
            p.ellipse(p.bone, c, (5 * k, 1.3 * k), np.rad2deg(np.arctan2(d[1], d[0])), 0.8)
        if f["not_visible"] and site not in implant_sites:
            _obscure(p, P, k, rng)
    for name in plan["bridged"]:
        upper, lower = by_name[name.split("/")[0]], by_name[_lower_name(name)]
        a, b = upper.ant_inf, lower.ant_sup
        mid = (a + b) / 2 + (upper.n + lower.n) / 2 * rng.uniform(1.0, 2.5) * k
        curve = shapes.bezier(a - upper.u * 2 * k, mid, b + lower.u * 2 * k, 16)
        p.line(p.bone, curve, rng.uniform(1.8, 3.0) * k, 0.8)
        p.line(p.cortex, curve, 0.8 * k, 0.35)
    if plan["implant"]:
        _draw_implant(p, by_name, plan["implant"], k, rng)


def _erosion(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """A notch through the cortex of the corner (the 'Romanus' lesion's destructive phase): two
    overlapping bites that remove cortex and the bone just inside it."""
    for _ in range(2):
        r = rng.uniform(1.5, 2.6) * k
        c = P - rng.uniform(0.3, 0.7) * r * n - rng.uniform(0.3, 0.7) * r * d + rng.normal(0, 0.3, 2) * k
        p.ellipse(p.carve, c, (r, r * rng.uniform(0.6, 1.0)), rng.uniform(0, 180), 0.8)


def _sclerosis(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """Dense triangle filling the corner (the 'shiny corner'), densest at the cortex, fading toward
    the centre of the body."""
    a, b = rng.uniform(5, 9) * k, rng.uniform(5, 8) * k
    apex = P - 0.4 * k * n - 0.4 * k * d
    for frac, val in ((1.0, 0.24), (0.7, 0.2), (0.45, 0.16)):
        tri = np.array([apex, apex - n * a * frac, apex - n * a * frac * 0.5 - d * b * frac * 0.4,
                        apex - d * b * frac])
        p.poly(p.haze, tri, val)


def _osteophyte(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """A degenerative beak: it arises from the anterior border a few mm from the corner, runs
    horizontally forward and hooks toward the disc (unlike the vertical syndesmophyte)."""
    root = P - d * rng.uniform(2.0, 3.5) * k - n * 0.3 * k
    length = rng.uniform(3.5, 6.5) * k
    tip = root + n * length + d * length * rng.uniform(0.3, 0.6)
    beak = np.array([root - d * 2.0 * k - n * 0.8 * k, root + n * length * 0.55 - d * 0.4 * k, tip,
                     root + n * length * 0.4 + d * 1.0 * k, root + d * 1.2 * k - n * 0.8 * k])
    p.poly(p.bone, shapes.smooth_closed(beak, 32, 0.02), 0.6)
    p.line(p.cortex, beak[1:4], 0.5 * k, 0.25)
def _lower_name(level: str) -> str:
    upper, lower = level.split("/")
    return lower if not lower[0].isdigit() else upper[0] + lower


def _disc_gap(v: Vertebra, site: str, by_name: dict, region: str) -> float:
    """Anterior disc height next to a corner (mm)."""
    for _name, upper, lower in disc_levels(region):
        if site in (upper, lower):
            a = by_name[upper[:-1]].ant_inf
            b = by_name[lower[:-1]].ant_sup
            return float(np.hypot(*(b - a)))
    return 5.0


def _obscure(p: Painter, P: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """Make a corner unreadable: a dense superimposed shadow (bowel contents, shoulder, overlap), or
    a local blur (motion, a structure out of the focal plane) applied after drawing."""
    r = rng.uniform(6, 10) * k
    if rng.random() < 0.5:
        p.ellipse(p.smooth, P + rng.normal(0, 1.0, 2) * k, (r, r * 0.9), rng.uniform(0, 180), 1.8)
        p.ellipse(p.carve, P, (r * 0.6, r * 0.6), 0, 0.6)
    else:
        p.blurs.append((p.lay.px(P)[0], p.lay.len(r * 1.3), p.lay.len(rng.uniform(1.5, 2.5) * k)))


def _apply_local_blurs(density: np.ndarray, blurs: list) -> None:
    """Blend a blurred copy into discs around obscured corners (in place), with a soft edge."""
    h, w = density.shape
    for (x, y), radius, sigma in blurs:
        x0, y0 = max(int(x - 2 * radius), 0), max(int(y - 2 * radius), 0)
        x1, y1 = min(int(x + 2 * radius) + 1, w), min(int(y + 2 * radius) + 1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        tile = density[y0:y1, x0:x1]
        yy, xx = np.mgrid[y0:y1, x0:x1]
        weight = np.clip(1.5 - np.hypot(xx - x, yy - y) / radius, 0, 1).astype(np.float32)
        density[y0:y1, x0:x1] = tile + weight * (ndimage.gaussian_filter(tile, sigma) - tile)


def _draw_implant(p: Painter, by_name: dict, level: str, k: float, rng: np.random.Generator) -> None:
    upper, lower = by_name[level.split("/")[0]], by_name[_lower_name(level)]
    a = upper.local(upper.width / 2 + 1.5 * k, -0.1 * upper.h_ant)
    b = lower.local(lower.width / 2 + 1.5 * k, 0.1 * lower.h_ant)
    p.line(p.metal, np.array([a, b]), 2.5 * k, 6.0)
    for v, pt in ((upper, a), (lower, b)):
        p.line(p.metal, np.array([pt, pt - v.n * 0.6 * v.width]), 3.0 * k, 5.0)
    cage = (upper.ant_inf + lower.ant_sup) / 2 - upper.n * 0.3 * upper.width
    p.ellipse(p.metal, cage, (0.3 * upper.width, 0.25 * _gap(upper, lower)), 0, 3.0)


def _gap(upper: Vertebra, lower: Vertebra) -> float:
    return float(np.hypot(*(lower.ant_sup - upper.ant_inf)))




def _blur_local(layer: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a sparse layer, computed only in the bounding box of what was drawn."""
    rows, cols = np.nonzero(layer.any(axis=1))[0], np.nonzero(layer.any(axis=0))[0]
    out = np.zeros_like(layer)
    if rows.size:
        pad = int(4 * sigma) + 1
        y0, y1 = max(rows[0] - pad, 0), rows[-1] + pad + 1
        x0, x1 = max(cols[0] - pad, 0), cols[-1] + pad + 1
        out[y0:y1, x0:x1] = ndimage.gaussian_filter(layer[y0:y1, x0:x1], sigma)
    return out
