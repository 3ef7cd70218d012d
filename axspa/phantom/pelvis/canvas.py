"""The drawing canvas and paths, the body's proportions and the two joint lines of each sacroiliac joint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.phantom import shapes


class _Canvas:
    """Layers of one image. ``bone`` is cancellous bone (gets the trabecular texture), ``smooth`` thick bone
    drawn in steps and blurred, ``cortex`` compact
    bone, ``carve`` removes bone multiplicatively (joint spaces, foramina, erosions), ``haze`` is blurred
    subchondral sclerosis; ``jcarve``/``jcortex`` hold the SI joints, blurred per joint by grade; ``column`` is
    the cancellous bone of the vertebral bodies (vertical trabeculae)."""

    def __init__(self, shape: tuple[int, int], matrix: np.ndarray, spacing: float):
        self.shape, self.m, self.sp = shape, matrix, spacing
        self.bone, self.smooth, self.cortex, self.carve, self.haze, self.jcarve, self.jcortex, self.column = (
            np.zeros(shape, np.float32) for _ in range(8))

    def px(self, mm) -> np.ndarray:
        return shapes.transform_points(np.atleast_2d(np.asarray(mm, dtype=float)), self.m)

    def poly(self, layer, mm, value, ss=2):
        shapes.fill_polygon(layer, self.px(mm), value, ss=ss)

    def line(self, layer, mm, width_mm, value, closed=False):
        if len(mm) < 2:
            return
        shapes.stroke_polyline(layer, self.px(mm), max(width_mm / self.sp, 0.7), value, ss=2, closed=closed)

    def ellipse(self, layer, c, radii, angle, value, ss=2):
        self.poly(layer, shapes.ellipse_points(c, radii, angle, 40), value, ss=ss)

    def solid(self, mm, core: float, rim: float, rim_mm: float = 1.2, holes=(), profile: str = "round",
              core_layer=None, rim_layer=None) -> None:
        """A bone seen in projection: a body whose thickness follows ``profile`` ("round": a cylinder or
        ball, "flat": a plate) plus a cortical shell that is brightest where it is seen edge-on."""
        res = shapes.polygon_coverage(self.shape, self.px(mm), [self.px(h) for h in holes], ss=2)
        if res is None:
            return
        (x0, y0, x1, y1), cov = res
        rim_px = max(rim_mm / self.sp, 0.7)
        d = _inner_distance(cov, max(1, int(rim_px / 2)))
        if profile == "round":
            u = np.clip(d / max(float(d.max()), 1.0), 0, 1)
            body = np.sqrt(u * (2 - u))
        elif profile == "column":  # an upright cylinder (vertebral body): thickness varies across, not down
            body = _chord_profile(cov)
        else:
            body = 1 - np.exp(-d / (4 * rim_px))
        core_layer = self.bone if core_layer is None else core_layer
        rim_layer = self.cortex if rim_layer is None else rim_layer
        core_layer[y0:y1, x0:x1] += cov * np.float32(core) * body
        if rim:
            rim_layer[y0:y1, x0:x1] += cov * np.float32(rim) * np.exp(-d / rim_px)


def _chord_profile(cov: np.ndarray) -> np.ndarray:
    """Thickness of an upright elliptic cylinder across each row of a shape's coverage: 1 on the row's
    centre, 0 at its ends (so the lateral walls are seen tangentially, the endplates are not darkened)."""
    xs = np.arange(cov.shape[1], dtype=np.float32)[None, :]
    wsum = cov.sum(axis=1, keepdims=True)
    centre = (cov * xs).sum(axis=1, keepdims=True) / np.maximum(wsum, 1e-6)
    half = np.maximum(wsum / 2, 1.0)
    return np.sqrt(np.clip(1 - ((xs - centre) / half) ** 2, 0, 1))


def _inner_distance(cov: np.ndarray, f: int) -> np.ndarray:
    """Distance (pixels) from each inside pixel to the shape's edge, computed on an f-times coarser grid
    (the profiles it feeds are smooth; the crisp edge itself comes from the coverage)."""
    h, w = cov.shape
    if f > 1 and min(h, w) > 2 * f:
        small = np.asarray(Image.fromarray(np.asarray(cov, dtype=np.float32))
                           .resize((max(w // f, 1), max(h // f, 1)), Image.Resampling.BOX))
        d = ndimage.distance_transform_edt(small > 0.5).astype(np.float32) * f - 0.5 * f
        d = np.asarray(Image.fromarray(np.asarray(d, dtype=np.float32)).resize((w, h), Image.Resampling.BILINEAR))
    else:
        d = ndimage.distance_transform_edt(cov > 0.5).astype(np.float32) - 0.5
    return np.maximum(d, 0)


def _mirror(pts, side: int) -> np.ndarray:
    """side = -1 for the patient's right (image left), +1 for the patient's left."""
    pts = np.asarray(pts, dtype=float)
    return pts * np.array([side, 1.0])


def _path(pts, n: int = 40, smooth: float = 0.0) -> np.ndarray:
    """Arc-length resampled open polyline (for strokes that should curve rather than kink)."""
    pts = np.asarray(pts, dtype=float)
    s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    t = np.linspace(0, s[-1], n)
    out = np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], axis=1)
    if smooth > 0:
        out[1:-1] = ndimage.gaussian_filter1d(out, smooth * n, axis=0, mode="nearest")[1:-1]
    return out


@dataclass
class _Body:
    """Per-case anatomy: overall scale, sex-linked pelvic shape and pelvic tilt."""

    sc: float
    female: bool
    inlet: float  # widening of the pelvic inlet and pubic arch (female pelvis wider)
    tilt: float  # foreshortening of the sacrum and height of the symphysis (pelvic tilt)


def _joint_lines(rng: np.random.Generator, side: int, b: _Body) -> tuple[np.ndarray, np.ndarray]:
    """The two margins of one SI joint seen obliquely, top to bottom: the anterior margin projects
    lateral, the posterior margin medial; they converge toward the inferior end of the joint."""
    sc = b.sc
    t = np.linspace(0, 1, 24)[:, None]
    top = np.array([rng.uniform(40, 46), rng.uniform(-4, 2)]) * sc
    bottom = np.array([rng.uniform(30, 36), rng.uniform(68, 80) * b.tilt]) * sc
    bulge = rng.uniform(5, 9) * sc
    lateral = top + (bottom - top) * t + np.array([bulge, 0]) * np.sin(np.pi * t ** 0.8)
    spread = rng.uniform(7, 11) * sc * (1 - t) ** 1.3
    medial = lateral - np.hstack([spread, np.zeros_like(spread)]) + np.array([0, 3 * sc]) * (1 - t)
    return _mirror(lateral, side), _mirror(medial, side)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in a 1-D mask."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, stops) if b > a]
