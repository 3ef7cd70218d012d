"""Coronal profiles: outlines drawn in the coronal (x, z) plane as distance tables, extruded front to back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Optional

import numpy as np

from axspa.phantom.hip.sdf import _Shape, _v

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
