"""Solids written into projection grids (axspa.phantom.projection.Grid): signed distances in mm (negative
inside) turned into attenuation with partial volume at the surface and a denser cortex under it.

Bones combine by maximum (a union: overlapping solids do not double), cuts multiply by what is left.
"""

from __future__ import annotations

import numpy as np

from axspa.phantom.projection import Grid

CORTEX_MM = 1.6


def fill(grid: Grid, sdf_fn, lo, hi, marrow: float, cortex: float = 0.0, cortex_mm: float = CORTEX_MM) -> None:
    """Bone in the box [lo, hi]: ``sdf_fn(x, y, z)`` is its signed distance; marrow attenuation inside, plus
    ``cortex`` within ``cortex_mm`` of the surface; union with what the grid holds."""
    box = grid.box(lo, hi)
    if box is None:
        return
    sl, x, y, z = box
    d = sdf_fn(x, y, z)
    h = grid.spacing
    inside = np.clip(0.5 - d / h, 0, 1)
    value = marrow * inside
    if cortex:
        shell = np.clip(0.5 + (d + cortex_mm) / h, 0, 1) * inside
        value = value + cortex * shell
    np.maximum(grid.data[sl], value.astype(np.float32), out=grid.data[sl])


def cut(grid: Grid, sdf_fn, lo, hi, keep: float = 0.0) -> None:
    """Remove bone inside a solid (a foramen, a canal, an erosion): attenuation x ``keep`` there."""
    box = grid.box(lo, hi)
    if box is None:
        return
    sl, x, y, z = box
    inside = np.clip(0.5 - sdf_fn(x, y, z) / grid.spacing, 0, 1)
    grid.data[sl] *= (1 - (1 - keep) * inside).astype(np.float32)


def add(grid: Grid, sdf_fn, lo, hi, value: float) -> None:
    """Add attenuation inside a solid (sclerosis on top of bone, metal)."""
    box = grid.box(lo, hi)
    if box is None:
        return
    sl, x, y, z = box
    grid.data[sl] += (value * np.clip(0.5 - sdf_fn(x, y, z) / grid.spacing, 0, 1)).astype(np.float32)


def ellipsoid(centre, radii):
    """Approximate signed distance of an axis-aligned ellipsoid, and its box."""
    c = np.asarray(centre, dtype=np.float32)
    r = np.asarray(radii, dtype=np.float32)

    def sdf(x, y, z):
        k = np.sqrt(((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2)
        return (k - 1) * r.min()
    return sdf, tuple(c - r - 2), tuple(c + r + 2)


def sphere(centre, radius: float):
    return ellipsoid(centre, (radius, radius, radius))


def capsule(a, b, r_a: float, r_b: float | None = None):
    """A tube from point a to point b with rounded ends, its radius going from r_a to r_b."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    r_b = r_a if r_b is None else r_b
    ab = b - a
    L2 = float(ab @ ab)

    def sdf(x, y, z):
        px, py, pz = x - a[0], y - a[1], z - a[2]
        t = np.clip((px * ab[0] + py * ab[1] + pz * ab[2]) / L2, 0, 1)
        dx, dy, dz = px - t * ab[0], py - t * ab[1], pz - t * ab[2]
        return np.sqrt(dx * dx + dy * dy + dz * dz) - (r_a + (r_b - r_a) * t)
    rmax = max(r_a, r_b) + 2
    return sdf, tuple(np.minimum(a, b) - rmax), tuple(np.maximum(a, b) + rmax)


def tube_path(points, radii) -> list:
    """Capsules along a polyline (radii per point): one list of (sdf, lo, hi)."""
    pts = np.asarray(points, dtype=np.float32)
    r = np.broadcast_to(np.asarray(radii, dtype=np.float32), (len(pts),))
    return [capsule(pts[i], pts[i + 1], float(r[i]), float(r[i + 1])) for i in range(len(pts) - 1)]


def elliptic_cylinder(centre, half_x: float, half_y: float, z0: float, z1: float):
    """An upright elliptic cylinder from z0 to z1 (a vertebral body)."""
    c = np.asarray(centre, dtype=np.float32)

    def sdf(x, y, z):
        k = np.sqrt(((x - c[0]) / half_x) ** 2 + ((y - c[1]) / half_y) ** 2)
        radial = (k - 1) * min(half_x, half_y)
        axial = np.maximum(z0 - z, z - z1)
        outside = np.sqrt(np.maximum(radial, 0) ** 2 + np.maximum(axial, 0) ** 2)
        return outside + np.minimum(np.maximum(radial, axial), 0)
    return sdf, (c[0] - half_x - 2, c[1] - half_y - 2, z0 - 2), (c[0] + half_x + 2, c[1] + half_y + 2, z1 + 2)


def sheet(outline_sdf, mid_y, half_thickness, lo, hi):
    """A curved plate (an iliac wing): ``outline_sdf(x, z)`` is the signed distance of its outline seen AP,
    ``mid_y(x, z)`` its middle surface and ``half_thickness(x, z)`` half its thickness, all in mm."""
    def sdf(x, y, z):
        d2 = outline_sdf(x, z)
        dy = np.abs(y - mid_y(x, z)) - half_thickness(x, z)
        outside = np.sqrt(np.maximum(d2, 0) ** 2 + np.maximum(dy, 0) ** 2)
        return outside + np.minimum(np.maximum(d2, dy), 0)
    return sdf, lo, hi


def polygon_sdf(points, spacing: float = 1.0):
    """Signed distance (mm, negative inside) of a closed (x, z) polygon, rasterised once at ``spacing`` and
    looked up bilinearly: a function of (x, z) arrays."""
    from PIL import Image, ImageDraw
    from scipy import ndimage

    pts = np.asarray(points, dtype=float)
    lo = pts.min(0) - 8
    hi = pts.max(0) + 8
    w, h = (np.ceil((hi - lo) / spacing).astype(int) + 1).tolist()
    img = Image.new("L", (w, h), 0)
    ImageDraw.Draw(img).polygon([tuple(((p - lo) / spacing).tolist()) for p in pts], fill=1)
    inside = np.asarray(img, dtype=bool)
    d = (ndimage.distance_transform_edt(~inside) - ndimage.distance_transform_edt(inside)) * spacing
    d = d.astype(np.float32)

    def lookup(x, z):
        from scipy.ndimage import map_coordinates
        xb, zb = np.broadcast_arrays(x, z)
        coords = np.stack([(zb - lo[1]) / spacing, (xb - lo[0]) / spacing]).reshape(2, -1)
        vals = map_coordinates(d, coords, order=1, mode="nearest").reshape(xb.shape)
        return vals
    return lookup
