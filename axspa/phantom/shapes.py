"""Rasterisation helpers for the phantoms: anti-aliased, additive drawing into float32 density maps.

A radiograph is a projection, so overlapping structures add: every helper here adds
``value * coverage`` into a float32 array, where coverage (0..1) comes from drawing the shape
supersampled in its bounding box only (Pillow's C rasteriser, then a box-filter reduction in
numpy). The cost is proportional to the shape's area, never to the whole image.
Coordinates are pixel (x, y) = (column, row), pixel centres at integers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

Points = np.ndarray  # (n, 2) float array of (x, y)


def _bbox(pts: np.ndarray, pad: float, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Integer (x0, y0, x1, y1) bounding box clipped to the image, or None when outside it."""
    x0 = max(int(np.floor(pts[:, 0].min() - pad)), 0)
    y0 = max(int(np.floor(pts[:, 1].min() - pad)), 0)
    x1 = min(int(np.ceil(pts[:, 0].max() + pad)) + 1, shape[1])
    y1 = min(int(np.ceil(pts[:, 1].max() + pad)) + 1, shape[0])
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def _coverage(box: tuple[int, int, int, int], ss: int, draw_fn) -> np.ndarray:
    """Draw with ``draw_fn(draw, to_local)`` on a supersampled 'L' tile; return coverage 0..1."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    tile = Image.new("L", (w * ss, h * ss), 0)
    draw = ImageDraw.Draw(tile)

    def to_local(p: np.ndarray) -> list[tuple[float, float]]:
        # Pixel centre (x0, y0) maps to the middle of its ss x ss block.
        q = (np.asarray(p, dtype=float) - (x0 - 0.5, y0 - 0.5)) * ss - 0.5
        return [tuple(v) for v in q.tolist()]

    draw_fn(draw, to_local)
    if ss > 1:  # box-filter reduction in Pillow's C code: the anti-aliased coverage
        tile = tile.resize((w, h), Image.Resampling.BOX)
    return np.asarray(tile, dtype=np.float32) * (1.0 / 255.0)


def fill_polygon(img: np.ndarray, pts: Sequence, value: float, ss: int = 3,
                 texture: np.ndarray | None = None) -> None:
    """Add ``value`` times the polygon's coverage into ``img`` (optionally times a texture)."""
    pts = np.asarray(pts, dtype=float)
    box = _bbox(pts, 1.0, img.shape)
    if box is None or len(pts) < 3:
        return
    cov = _coverage(box, ss, lambda d, loc: d.polygon(loc(pts), fill=255))
    _add(img, box, cov, value, texture)


def stroke_polyline(img: np.ndarray, pts: Sequence, width: float, value: float, ss: int = 3,
                    closed: bool = False, texture: np.ndarray | None = None) -> None:
    """Add a line of ``width`` pixels along ``pts`` (round joints), anti-aliased."""
    pts = np.asarray(pts, dtype=float)
    if closed:
        pts = np.vstack([pts, pts[:1]])
    box = _bbox(pts, width / 2 + 1.0, img.shape)
    if box is None or len(pts) < 2:
        return
    w = max(int(round(width * ss)), 1)

    def draw(d, loc):
        q = loc(pts)
        d.line(q, fill=255, width=w, joint="curve")
        r = w / 2.0
        for x, y in (q[0], q[-1]):  # round caps
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)

    cov = _coverage(box, ss, draw)
    _add(img, box, cov, value, texture)


def fill_ellipse(img: np.ndarray, center: Sequence[float], radii: Sequence[float], angle_deg: float,
                 value: float, ss: int = 3, n: int = 48, texture: np.ndarray | None = None) -> None:
    """Add a rotated ellipse (drawn as an n-gon, exact enough for anti-aliased rendering)."""
    fill_polygon(img, ellipse_points(center, radii, angle_deg, n), value, ss=ss, texture=texture)


def ellipse_points(center: Sequence[float], radii: Sequence[float], angle_deg: float = 0.0,
                   n: int = 48) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    a = np.deg2rad(angle_deg)
    x, y = radii[0] * np.cos(t), radii[1] * np.sin(t)
    c, s = np.cos(a), np.sin(a)
    return np.stack([center[0] + c * x - s * y, center[1] + s * x + c * y], axis=1)


def _add(img: np.ndarray, box: tuple[int, int, int, int], cov: np.ndarray, value: float,
         texture: np.ndarray | None) -> None:
    x0, y0, x1, y1 = box
    if texture is not None:
        cov = cov * texture[y0:y1, x0:x1]
    img[y0:y1, x0:x1] += np.float32(value) * cov


def smooth_closed(pts: np.ndarray, n_out: int = 64, smooth: float = 0.04) -> np.ndarray:
    """A smooth closed curve through a rough polygon: resample by arc length, then low-pass the
    periodic coordinates (Gaussian of ``smooth`` times the perimeter)."""
    pts = np.asarray(pts, dtype=float)
    closed = np.vstack([pts, pts[:1]])
    seg = np.hypot(*np.diff(closed, axis=0).T)
    s = np.concatenate([[0], np.cumsum(seg)])
    t = np.linspace(0, s[-1], n_out, endpoint=False)
    xy = np.stack([np.interp(t, s, closed[:, 0]), np.interp(t, s, closed[:, 1])], axis=1)
    if smooth > 0:
        freq = np.fft.rfftfreq(n_out)  # cycles per sample
        sigma = smooth * n_out
        gain = np.exp(-2 * (np.pi * freq * sigma) ** 2)[:, None]
        xy = np.fft.irfft(np.fft.rfft(xy, axis=0) * gain, n=n_out, axis=0)
    return xy


def rounded_quad(corners: np.ndarray, radius: float, n_arc: int = 5) -> np.ndarray:
    """Round each corner of a polygon (given in order) with a circular-ish fillet of ``radius``."""
    corners = np.asarray(corners, dtype=float)
    out = []
    n = len(corners)
    for i in range(n):
        p, prev, nxt = corners[i], corners[i - 1], corners[(i + 1) % n]
        d1 = prev - p
        d2 = nxt - p
        l1, l2 = np.hypot(*d1), np.hypot(*d2)
        r = min(radius, 0.45 * l1, 0.45 * l2)
        a = p + d1 / l1 * r
        b = p + d2 / l2 * r
        # Quadratic Bezier from a to b with control point p.
        t = np.linspace(0, 1, n_arc)[:, None]
        out.append((1 - t) ** 2 * a + 2 * (1 - t) * t * p + t ** 2 * b)
    return np.vstack(out)


def bezier(p0, p1, p2, n: int = 16) -> np.ndarray:
    """Quadratic Bezier curve points from p0 to p2 with control p1."""
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2 = (np.asarray(p, dtype=float) for p in (p0, p1, p2))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2


def transform_points(pts: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine matrix to (n, 2) points."""
    pts = np.asarray(pts, dtype=float)
    return pts @ matrix[:, :2].T + matrix[:, 2]


def polygon_coverage(shape: tuple[int, int], pts: Sequence, holes: Sequence[Sequence] = (), ss: int = 2,
                     pad: float = 1.0) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """Anti-aliased coverage (0..1) of a polygon with optional holes, in its clipped bounding box.

    Returns ``(box, coverage)`` with box = (x0, y0, x1, y1), or None when the polygon is off the image.
    Used where a caller shapes the fill itself (thickness profiles, cortical rims) instead of adding
    a constant value."""
    pts = np.asarray(pts, dtype=float)
    box = _bbox(pts, pad, shape)
    if box is None or len(pts) < 3:
        return None
    hole_pts = [np.asarray(h, dtype=float) for h in holes]

    def draw(d, loc):
        d.polygon(loc(pts), fill=255)
        for h in hole_pts:
            d.polygon(loc(h), fill=0)

    return box, _coverage(box, ss, draw)
