"""AP pelvis radiograph phantom with a modified New York grade (0-4) for each sacroiliac joint.

Anatomy in millimetres (x toward the image right = patient left, y inferior, origin on the
midline at the top of the SI joints): L5 with pedicles and transverse processes, the sacrum
with its foramina, iliac wings, both SI joints, acetabula and femoral heads, pubic and ischial
rami around the obturator foramina, soft tissue and bowel gas.

Each SI joint is seen obliquely, so it shows two joint lines (the anterior and posterior margins)
converging inferiorly, with sacrum and ilium overlapping between them. Its grade is drawn as:
0 a crisp gap of even width; 1 slightly blurred margins and faint sclerosis; 2 a few small
erosions and subchondral sclerosis, width unchanged; 3 many erosions (irregular, pseudo-widened
margins), marked sclerosis and partial ankylosis (bone bridges); 4 total ankylosis (the gap is
filled, a ghost line at most). Grades per side are drawn from configurable probabilities; the
two sides are often equal (symmetry), with each side's marginal distribution kept exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.xray import Acquisition, acquire, photograph_screen, sample_acquisition, wide_blur
from axspa.sij import is_definite

DEFAULT_GRADE_PROBS: tuple[float, ...] = (0.35, 0.15, 0.15, 0.2, 0.15)


@dataclass
class PelvisConfig:
    grade_probs: tuple[float, ...] = DEFAULT_GRADE_PROBS  # per side, grades 0..4
    symmetry: float = 0.6  # probability that the second side copies the first side's grade
    photo_fraction: float = 0.1  # cases written as a smartphone photo of a screen (JPEG)
    size: str = "full"

    def __post_init__(self) -> None:
        p = np.asarray(self.grade_probs, dtype=float)
        if p.shape != (5,) or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
            raise ValueError(f"grade_probs must be 5 probabilities summing to 1, got {self.grade_probs}")


def sample_grades(rng: np.random.Generator, config: PelvisConfig) -> dict[str, int]:
    """Per-side grades. The first side is drawn from grade_probs; the second copies it with
    probability ``symmetry``, else is drawn independently, so both sides follow grade_probs."""
    p = np.asarray(config.grade_probs, dtype=float)
    first = int(rng.choice(5, p=p))
    second = first if rng.random() < config.symmetry else int(rng.choice(5, p=p))
    if rng.random() < 0.5:
        return {"right": first, "left": second}
    return {"right": second, "left": first}


# ------------------------------------------------------------------------------------ drawing

class _Canvas:
    """Layers of one image. ``bone`` is cancellous bone (gets the trabecular texture), ``smooth`` thick bone
    drawn in steps and blurred, ``cortex`` compact
    bone, ``carve`` removes bone multiplicatively (joint spaces, foramina, erosions), ``haze`` is blurred
    subchondral sclerosis; ``jcarve``/``jcortex`` hold the SI joints, blurred per joint by grade."""

    def __init__(self, shape: tuple[int, int], matrix: np.ndarray, spacing: float):
        self.shape, self.m, self.sp = shape, matrix, spacing
        self.bone, self.smooth, self.cortex, self.carve, self.haze, self.jcarve, self.jcortex = (
            np.zeros(shape, np.float32) for _ in range(7))

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
        else:
            body = 1 - np.exp(-d / (4 * rim_px))
        core_layer = self.bone if core_layer is None else core_layer
        rim_layer = self.cortex if rim_layer is None else rim_layer
        core_layer[y0:y1, x0:x1] += cov * np.float32(core) * body
        if rim:
            rim_layer[y0:y1, x0:x1] += cov * np.float32(rim) * np.exp(-d / rim_px)


def _inner_distance(cov: np.ndarray, f: int) -> np.ndarray:
    """Distance (pixels) from each inside pixel to the shape's edge, computed on an f-times coarser grid
    (the profiles it feeds are smooth; the crisp edge itself comes from the coverage)."""
    h, w = cov.shape
    if f > 1 and min(h, w) > 2 * f:
        small = np.asarray(Image.fromarray(cov, "F").resize((max(w // f, 1), max(h // f, 1)), Image.Resampling.BOX))
        d = ndimage.distance_transform_edt(small > 0.5).astype(np.float32) * f - 0.5 * f
        d = np.asarray(Image.fromarray(d, "F").resize((w, h), Image.Resampling.BILINEAR))
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


# Blur of the joint margins (mm) by grade: crisp when normal, indistinct from grade 1 on.
_JOINT_BLUR = {0: 0.12, 1: 0.6, 2: 0.5, 3: 0.6, 4: 0.8}


def _draw_joint(cv: _Canvas, rng: np.random.Generator, side: int, grade: int, sc: float,
                lines: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    lateral, medial = lines
    normal_out = np.array([side, 0.0])  # toward the ilium
    n = len(lateral)
    width = rng.uniform(2.2, 3.4) * sc
    fused = np.zeros(n, dtype=bool)  # partial ankylosis for 3, everything for 4
    if grade == 3 and rng.random() < 0.6:
        start = int(rng.integers(0, n - 6))
        fused[start:start + int(rng.integers(4, 9))] = True
    if grade == 4:
        fused[:] = True
    if grade == 3:
        width *= rng.uniform(1.35, 1.7) if rng.random() < 0.7 else rng.uniform(0.55, 0.7)  # widened/narrowed
    # The auricular surfaces are thick bone on both sides: the joint space shows as a lucent line only
    # because dense bone flanks it.
    for f in (1.0, 0.75, 0.5):
        cv.poly(cv.smooth, _band(lateral, 20 * sc * f), 0.07)
    cv.poly(cv.smooth, _band(medial[: n // 2], 8 * sc), 0.1)
    for line, strength in ((lateral, 1.0), (medial, 0.55)):
        w = width * (0.8 if line is medial else 1.0)
        for a, b in _runs(~fused):
            seg = slice(a, b + 1)
            idx = np.arange(a, b + 1)
            # The synovial part is a clean lucent band; the ligamentous upper part is fainter, irregular.
            cv.line(cv.jcarve, line[idx[idx >= n // 3]], w, 0.85 * strength)
            cv.line(cv.jcarve, line[idx[idx <= n // 3]], w * 1.2, 0.45 * strength)
            if grade <= 2:  # subchondral plates, both sides of the intact gap
                for sgn, v in ((1, 0.16), (-1, 0.13)):
                    cv.line(cv.jcortex, line[seg] + sgn * normal_out * (w / 2 + 0.35), 0.7, v * strength)
        if grade == 4 and line is lateral and rng.random() < 0.5:
            cv.line(cv.jcarve, line, 0.5 * sc, 0.12)  # ghost of the fused joint
    # Erosions: bites out of the margins (iliac side mostly, synovial part), more and larger with grade.
    n_eros = {0: 0, 1: int(rng.integers(0, 2)), 2: int(rng.integers(2, 5)), 3: int(rng.integers(7, 13)), 4: 0}[grade]
    for _ in range(n_eros):
        i = int(rng.integers(n // 3, n - 1))
        if fused[i]:
            continue
        r = rng.uniform(1.1, 1.9) * sc * (1.4 if grade == 3 else 1.0)
        c = lateral[i] + normal_out * (width / 2 + rng.uniform(0.1, 0.8) * r) * (1 if rng.random() < 0.7 else -1)
        cv.ellipse(cv.jcarve, c, (r, r * rng.uniform(0.6, 1.0)), rng.uniform(0, 180), 0.75)
    # Subchondral sclerosis: a dense band on the iliac side fading laterally (and on the sacral side
    # from grade 3); localized for grade 2, along the joint for 3.
    scl = {0: 0.0, 1: 0.07, 2: 0.22, 3: 0.32, 4: 0.1}[grade] * rng.uniform(0.8, 1.2)
    if scl > 0:
        a = int(rng.integers(n // 3, n // 2)) if grade == 2 else 0
        b = min(a + int(rng.integers(8, 12)), n) if grade == 2 else n
        seg = lateral[a:b]
        depth = rng.uniform(6, 12) * sc * (1.5 if grade >= 3 else 1.0)
        for f in (1.0, 0.6, 0.3):
            cv.poly(cv.haze, np.vstack([seg, (seg + normal_out * depth * f)[::-1]]), scl / 3)
        if grade >= 3:
            cv.poly(cv.haze, np.vstack([seg, (seg - normal_out * depth * 0.5)[::-1]]), scl / 2)
    # Blur this joint's layers by grade: the margins are crisp only when the joint is normal.
    box = cv.px(np.vstack([lateral, medial]))
    (x0, y0), (x1, y1) = np.floor(box.min(0) - 12 / cv.sp).astype(int), np.ceil(box.max(0) + 12 / cv.sp).astype(int)
    sl = np.s_[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)]
    sigma = _JOINT_BLUR[grade] / cv.sp
    for layer in (cv.jcarve, cv.jcortex):
        if layer[sl].size:
            layer[sl] = ndimage.gaussian_filter(layer[sl], sigma)
    return lateral


def _band(path, width: float) -> np.ndarray:
    """Closed polygon of a band of ``width`` (mm) around an open path: a limb, a ramus, a colon."""
    path = np.asarray(path, dtype=float)
    tang = np.gradient(path, axis=0)
    tang /= np.maximum(np.hypot(*tang.T), 1e-9)[:, None]
    normal = np.stack([-tang[:, 1], tang[:, 0]], axis=1) * (width / 2)
    return np.vstack([path + normal, (path - normal)[::-1]])


def _arc(c, r, a0: float, a1: float, n: int = 24) -> np.ndarray:
    """Circular arc, angles in degrees in image coordinates (y down: 270 is the top)."""
    a = np.deg2rad(np.linspace(a0, a1, n))
    return np.stack([c[0] + r * np.cos(a), c[1] + r * np.sin(a)], axis=1)


def _soft_tissue(cv: _Canvas, rng: np.random.Generator, b: _Body) -> np.ndarray:
    """Abdomen, flanks, buttocks and thighs (an elliptic-cylinder thickness profile), psoas shadows,
    bladder and fat planes, on the coarse canvas; returns that layer."""
    sc = b.sc * rng.uniform(0.95, 1.15)  # body habitus
    half = np.array([[150, -260], [156, -140], [170, -50], [194, 40], [212, 130], [208, 210], [190, 300],
                     [170, 420]]) * np.array([sc, 1.0])
    outline = shapes.smooth_closed(np.vstack([half, _mirror(half, -1)[::-1]]), 160, 0.01)
    soft = np.zeros(cv.shape, np.float32)
    cv.solid(outline, rng.uniform(2.8, 3.6), 0.0, profile="round", core_layer=soft)
    for side in (-1, 1):
        psoas = _mirror(_path([(22, -140), (34, -60), (52, 20), (70, 90)], 20), side) * b.sc
        cv.solid(_band(psoas, rng.uniform(38, 50)), 0.2, 0.0, core_layer=soft)
        glut = _mirror(_path([(150, 40), (182, 130), (178, 230)], 20, 0.1), side) * b.sc
        cv.line(soft, glut, 4, -0.06)
        obt = _mirror(_path([(60, 95), (68, 130), (66, 170)], 16), side) * b.sc
        cv.line(soft, obt, 3, -0.05)
    cv.solid(shapes.ellipse_points((0, 140 * b.tilt * b.sc), (rng.uniform(40, 60), rng.uniform(30, 42)), 0, 40),
             0.12, 0.0, core_layer=soft)
    return soft


# Colon segments (mm, patient's right on the image left): ascending colon and caecum in the right iliac
# fossa, descending colon in the left flank, sigmoid looping over the sacrum, rectum behind the bladder.
_COLON = {
    "ascending": ([(-95, 75), (-112, 20), (-122, -40), (-128, -130)], 48),
    "transverse": ([(-125, -125), (-40, -140), (40, -130), (125, -125)], 45),
    "descending": ([(125, -130), (122, -50), (112, 10)], 36),
    "sigmoid": ([(112, 10), (88, 58), (48, 62), (18, 38), (-12, 62), (-6, 100)], 32),
    "rectum": ([(-4, 95), (0, 150)], 40),
}


def _bowel_gas(cv: _Canvas, rng: np.random.Generator, b: _Body) -> np.ndarray:
    """Negative density of gas in the colon (mottled faeces or haustrated gas columns) and in small
    bowel loops: the shadows that overlie the sacrum and iliac wings and make SI joints hard to read."""
    gas = np.zeros(cv.shape, np.float32)
    noise = ndimage.gaussian_filter(rng.standard_normal(cv.shape, dtype=np.float32), 1.0 / cv.sp)
    noise /= noise.std() + 1e-6
    for _name, (pts, width) in _COLON.items():
        kind = rng.choice(["faeces", "gas", "empty"], p=[0.5, 0.3, 0.2])
        if kind == "empty":
            continue
        path = _path(np.asarray(pts, float) * b.sc + rng.normal(0, 8, (len(pts), 2)), 60, 0.04)
        w = width * b.sc * rng.uniform(0.8, 1.15)
        tube = np.zeros(cv.shape, np.float32)
        if kind == "faeces":  # gas bubbles trapped in stool: a mottled, bubbly pattern
            cv.line(tube, path, w, 1.0)
            thr = rng.uniform(0.3, 1.0)
            gas -= tube * (rng.uniform(0.15, 0.3) * np.clip((noise - thr) * 2.0, 0, 1) + 0.04)
        else:  # a gas column with haustral folds: pockets along the colon separated by thin septa
            step = w * rng.uniform(0.55, 0.8)
            s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
            for pos in np.arange(rng.uniform(0, step), s[-1], step):
                i = int(np.searchsorted(s, pos).clip(1, len(path) - 1))
                d = path[i] - path[i - 1]
                wi = w * rng.uniform(0.38, 0.5)
                cv.ellipse(tube, path[i], (step * 0.6, wi), np.rad2deg(np.arctan2(d[1], d[0])), 1.0)
            gas -= np.minimum(tube, 1) * rng.uniform(0.15, 0.35)
    for _ in range(int(rng.integers(0, 7))):  # small bowel loops: short curved gas segments
        c = np.array([rng.uniform(-110, 110), rng.uniform(-120, 40)]) * b.sc
        ang = rng.uniform(0, 2 * np.pi)
        bend = rng.uniform(-1, 1)
        loop = shapes.bezier(c, c + 25 * np.array([np.cos(ang + bend), np.sin(ang + bend)]),
                             c + 45 * np.array([np.cos(ang), np.sin(ang)]), 16)
        cv.line(gas, loop, rng.uniform(10, 20), -rng.uniform(0.1, 0.25))
    return gas


def _lumbar(cv: _Canvas, rng: np.random.Generator, b: _Body) -> None:
    """L5 (and the bottom of L4): bodies, pedicles, transverse and spinous processes, facets."""
    sc = b.sc
    for name, y0, y1, tp_len in (("L4", -88, -57, 44), ("L5", -46, -20, 52)):
        yc = (y0 + y1) / 2
        hw = 26 if name == "L4" else 28
        body = shapes.rounded_quad(np.array([[-hw + 2, y0], [hw - 2, y0], [hw, y1], [-hw, y1]]) * sc, 3 * sc)
        cv.solid(body, 0.42, 0.3, 1.4)
        for yy in (y0, y1):  # the endplates seen slightly obliquely: a second, fainter contour
            cv.line(cv.cortex, np.array([[-hw + 3, yy + 2.5], [hw - 3, yy + 2.5]]) * sc, 1.0, 0.08)
        for side in (-1, 1):
            cv.solid(shapes.ellipse_points(np.array([side * (hw - 11), yc - 4]) * sc, (4.5 * sc, 6.5 * sc), 0, 32),
                     0.08, 0.4, 1.0)
            tp = _mirror(np.array([[hw - 8, yc - 6], [hw + 10, yc - 10], [tp_len, yc - 9], [tp_len + 2, yc - 4],
                                   [hw + 10, yc - 1], [hw - 8, yc + 3]]), side) * sc
            cv.solid(shapes.smooth_closed(tp, 40, 0.02), 0.2, 0.18, 1.0)
            lam = _mirror(np.array([[hw - 12, yc + 2], [4, y1 + 4]]), side) * sc
            cv.line(cv.cortex, lam, 3.5, 0.1)
            facet = _mirror(_path([(hw - 12, y1 + 2), (hw - 9, y1 + 8), (hw - 10, y1 + 14)], 8), side) * sc
            cv.line(cv.jcortex, facet - np.array([1.2, 0]), 0.9, 0.25)
            cv.line(cv.jcarve, facet, 1.0, 0.4)
        cv.solid(shapes.ellipse_points(np.array([rng.normal(0, 1.5), y1 - 2]) * sc, (4 * sc, 9 * sc), 0, 32),
                 0.15, 0.22, 1.0)


def _sacrum(cv: _Canvas, rng: np.random.Generator, b: _Body, lines: dict) -> None:
    """A broad inverted triangle between the joints: S1 body and alae, arcuate lines over the four pairs of
    anterior foramina, fused segment lines, the median crest; the coccyx below its apex."""
    sc, T = b.sc, b.tilt
    halves = []
    for side in (-1, 1):
        lat = lines[side][0]
        ala = np.array([side * 25 * sc, -14 * sc])
        ala_top = lat[0] + np.array([side * 1.5, -7]) * sc
        taper = _mirror(np.array([[27, 92 * T], [19, 108 * T], [10, 119 * T], [4, 125 * T]]) * sc, side)
        halves.append(np.vstack([ala, shapes.bezier(ala, (ala + ala_top) / 2 + [0, -3 * sc], ala_top, 6)[1:],
                                 lat, taper]))
    outline = np.vstack([halves[1], [[0, 127 * T * sc]], halves[0][::-1]])
    cv.solid(shapes.smooth_closed(outline, 160, 0.003), 0.3, 0.12, 1.2)
    s1 = shapes.rounded_quad(np.array([[-24, -14], [24, -14], [22, 12], [-22, 12]]) * sc, 3 * sc)
    cv.solid(s1, 0.18, 0.22, 1.2)
    for k in range(4):
        y = (22 + 21 * k) * T * sc
        disc = np.array([[(-16 + 2 * k) * sc, y - 9 * T * sc], [(16 - 2 * k) * sc, y - 9 * T * sc]])
        cv.line(cv.carve, disc, 1.2, 0.08)  # the fused discs between sacral segments
        for side in (-1, 1):
            c = np.array([side * (25 - 3.2 * k) * sc * b.inlet ** 0.3, y])
            rx, ry = (6.5 - 0.9 * k) * sc, (5 - 0.6 * k) * sc
            cv.ellipse(cv.carve, c, (rx, ry), 0, 0.32 - 0.04 * k)
            # Arcuate line: the upper margin of the foramen, sweeping laterally.
            arc = c + _mirror(_arc([0, 0], 1.0, 185, 345, 16) * np.array([rx * 1.35, ry * 1.3]), side)
            cv.line(cv.cortex, arc, 1.0, 0.28)
    crest_x = rng.normal(0, 1.0)
    cv.line(cv.bone, np.array([[crest_x, -4], [crest_x, 95 * T]]) * sc, 4.5, 0.06)
    for k in range(3):
        cv.ellipse(cv.bone, np.array([crest_x, (8 + 26 * k) * T]) * sc, (3 * sc, 5 * sc), 0, 0.06)
    dev = rng.normal(0, 4)
    for k in range(int(rng.integers(3, 5))):
        c = np.array([dev * k / 3, (133 + 9.5 * k) * T]) * sc
        seg = shapes.rounded_quad(c + np.array([[-9 + 2 * k, -3.8], [9 - 2 * k, -3.8], [7 - 2 * k, 3.8],
                                                [-7 + 2 * k, 3.8]]) * sc, 1.5 * sc)
        cv.solid(seg, 0.14, 0.12, 0.8)


def _hemipelvis(cv: _Canvas, rng: np.random.Generator, b: _Body, side: int, lines: tuple, head: np.ndarray,
                r_head: float) -> None:
    """One os coxae: iliac wing (thin fan, dense crest), iliac body, pelvic brim, ilioischial line,
    acetabular roof and rims, teardrop, pubic rami around the obturator foramen, ischial tuberosity."""
    sc, T, w = b.sc, b.tilt, b.inlet
    hx, hy = abs(head[0]), head[1]
    med = lines[1]
    crest = np.array([[148, -15], [141, -48], [118, -66], [86, -71], [60, -60], [45, -40], [40, -18]]) * sc
    lateral = np.array([[hx + 25 * sc, hy - 22 * sc], [128 * sc, 72 * sc], [125 * sc, 55 * sc], [140 * sc, 22 * sc]])
    inner = np.array([[36 * sc, 92 * T * sc], [50 * sc, 112 * sc], [hx - 26 * sc, hy - 10 * sc],
                      [hx - 12 * sc, hy - r_head - 4 * sc]])
    wing = np.vstack([np.abs(med), inner, lateral, crest])
    wing_s = _mirror(shapes.smooth_closed(wing, 180, 0.006), side)
    cv.solid(wing_s, 0.12, 0.28, 1.8, profile="flat")
    cv.line(cv.cortex, _mirror(_path(crest[:-1], 30, 0.05), side), 3.5, 0.14)  # iliac crest
    buttress = _mirror(_path([(44, 10), (58, 60), (80, 100), (hx - 4, hy - 18)], 24, 0.1) * sc, side)
    cv.solid(_band(buttress, 34 * sc), 0.16, 0.0)
    # Pelvic brim (iliopectineal line) from the SI joint to the pubis; ilioischial line; teardrop.
    brim = _path(np.vstack([np.abs(med[-4]), np.array([[50 * w, 82], [62 * w, 100], [62 * w, 120], [48 * w, 145],
                                                        [22, 162 * T]]) * sc]), 40, 0.08)
    cv.line(cv.cortex, _mirror(brim, side), 1.6, 0.35)
    cv.line(cv.cortex, _mirror(_path(np.array([[52, 98], [60, 130], [66, 170 * T]]) * sc, 20, 0.1), side), 1.4,
            0.22)
    tx = hx - r_head - 5 * sc
    tear = _path(np.array([[tx - 4, hy + 2], [tx - 4, hy + 20], [tx, hy + 26], [tx + 4, hy + 20], [tx + 4, hy + 4]]),
                 20, 0.08)
    cv.line(cv.cortex, _mirror(tear, side), 1.6, 0.3)
    # Acetabulum: the sclerotic roof (sourcil) over the head, anterior (medial) and posterior (lateral) walls.
    hc = np.array([hx, hy])
    cv.line(cv.cortex, _mirror(_arc(hc, r_head + 2.2 * sc, 200, 335, 28), side), 2.6 * sc, 0.42)
    cv.solid(_mirror(np.vstack([_arc(hc, r_head + 3.2 * sc, 205, 330, 20), _arc(hc, r_head + 9 * sc, 320, 215, 20)]),
                     side), 0.14, 0.0)
    post = shapes.bezier(hc + r_head * np.array([0.92, -0.45]), hc + r_head * np.array([0.75, 0.55]),
                         hc + r_head * np.array([0.2, 1.1]), 20)
    ant = shapes.bezier(hc + r_head * np.array([-0.15, -1.0]), hc + r_head * np.array([-0.6, 0.0]),
                        hc + r_head * np.array([-0.95, 0.75]), 20)
    cv.line(cv.cortex, _mirror(post, side), 1.3, 0.22)
    cv.line(cv.cortex, _mirror(ant, side), 1.2, 0.16)
    # Pubis and ischium around the obturator foramen (larger and more triangular in a female pelvis).
    ys = 180 * T * sc
    outer = np.array([[hx - 22 * sc, hy - 14 * sc], [hx + 4 * sc, hy + 12 * sc], [hx + 8 * sc, hy + 45 * sc],
                      [hx - 2 * sc, ys + 30 * sc], [hx - 20 * sc, ys + 40 * sc], [hx - 38 * sc, ys + 36 * sc],
                      [40 * w * sc, ys + 20 * sc], [16 * w * sc, ys + 14 * sc], [2.5, ys + 10 * sc],
                      [2.5, ys - 18 * sc],
                      [16 * sc, ys - 22 * sc], [40 * sc, ys - 32 * sc], [hx - 35 * sc, hy - 8 * sc]])
    obt_c = np.array([(hx - 40 * sc) * (1 + 0.05 * b.female), ys + 2 * sc])
    obt = shapes.ellipse_points(obt_c, ((26 if b.female else 23) * sc, (16 if b.female else 18) * sc), -32, 40)
    cv.solid(_mirror(shapes.smooth_closed(outer, 120, 0.006), side), 0.26, 0.32, 1.4, holes=[_mirror(obt, side)])
    tuber = shapes.ellipse_points((hx - 22 * sc, ys + 30 * sc), (17 * sc, 11 * sc), 15, 32)
    cv.solid(_mirror(tuber, side), 0.14, 0.1, 1.0)
    pubis = shapes.ellipse_points((13 * w * sc, ys - 2 * sc), (10 * sc, 17 * sc), 0, 32)
    cv.solid(_mirror(pubis, side), 0.12, 0.12, 1.0)


def _femur(cv: _Canvas, rng: np.random.Generator, b: _Body, side: int, head: np.ndarray, r: float) -> None:
    """Femoral head (ball) with the fovea, neck, greater and lesser trochanters and the shaft (a tube:
    bright cortical walls around the medullary canal)."""
    sc = b.sc
    h = np.array([abs(head[0]), head[1]])
    cv.solid(_mirror(shapes.ellipse_points(h, (r, r), 0, 64), side), 0.45, 0.0)
    cv.ellipse(cv.carve, _mirror([h + np.array([-0.9 * r, 0.15 * r])], side)[0], (3 * sc, 2.2 * sc), 0, 0.35)
    rot = np.deg2rad(rng.normal(0, 3))
    c, s = np.cos(rot), np.sin(rot)
    ang = np.deg2rad(np.linspace(130, 320, 24))  # the head's outline, medial-inferior over the top
    ball = np.stack([np.cos(ang), np.sin(ang)], axis=1) * r / sc
    prox = np.vstack([ball, [[32, -4], [47, -8], [58, 4], [63, 30], [54, 72], [50, 300],
                     [22, 300], [22, 86], [16, 80], [7, 74], [9, 64], [17, 58], [12, 44], [2, 30],
                     [-0.45 * r / sc, 0.85 * r / sc]]]) * sc
    prox = prox @ np.array([[c, s], [-s, c]])
    cv.solid(_mirror(h + shapes.smooth_closed(prox, 160, 0.003), side), 0.5, 0.6, 2.2)
    cv.solid(_mirror(h + shapes.ellipse_points((50 * sc, 18 * sc), (11 * sc, 17 * sc), 0, 32), side), 0.12, 0.0)
    cv.line(cv.cortex, _mirror(h + np.array([[48, 6], [20, 64]]) * sc, side), 2.0, 0.08)  # intertrochanteric line


def _trabecular(rng: np.random.Generator, shape: tuple[int, int], spacing: float) -> np.ndarray:
    """Multiplicative trabecular texture: a network of thin plates and rods (ridges of band-pass noise),
    made at half resolution where the pixels are fine, around 1."""
    f = 2 if spacing < 0.3 else 1
    small = (shape[0] // f + 1, shape[1] // f + 1)
    noise = rng.standard_normal(small, dtype=np.float32)
    fine = ndimage.gaussian_filter(noise, 0.35 / spacing / f)
    band = fine - ndimage.gaussian_filter(fine, 1.2 / spacing / f)
    band /= band.std() + 1e-6
    ridges = np.exp(-(band * 1.6) ** 2)  # thin bright lines where the band-pass crosses zero
    tex = (0.78 + 0.42 * ridges + 0.08 * fine / (fine.std() + 1e-6)).astype(np.float32)
    if f > 1:
        tex = np.asarray(Image.fromarray(tex, "F").resize((small[1] * f, small[0] * f), Image.Resampling.BILINEAR))
    return tex[: shape[0], : shape[1]]


def _gonad_shield(cv: _Canvas, rng: np.random.Generator, b: _Body) -> np.ndarray | None:
    """A lead gonad shield, sometimes: below the symphysis for a man, over the lower pelvis for a woman
    (kept clear of the SI joints, as a good technologist would)."""
    if rng.random() >= 0.12:
        return None
    lead = np.zeros(cv.shape, np.float32)
    x = rng.normal(0, 6)
    if b.female:
        shield = shapes.ellipse_points((x, 122 * b.tilt * b.sc), (rng.uniform(30, 38), rng.uniform(20, 26)), 0, 48)
    else:
        y = 205 * b.tilt * b.sc
        shield = shapes.smooth_closed(np.array([[x - 32, y], [x + 32, y], [x + 26, y + 28], [x, y + 52],
                                                [x - 26, y + 28]]), 60, 0.02)
    cv.poly(lead, shield, 1.6)
    return lead


def render_pelvis(rng: np.random.Generator, grades: dict[str, int], shape: tuple[int, int], matrix: np.ndarray,
                  spacing: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noiseless attenuation map and the lateral (anterior) margin of each SI joint (mm)."""
    cv = _Canvas(shape, matrix, spacing)
    female = bool(rng.random() < 0.5)
    b = _Body(sc=rng.uniform(0.9, 1.08) * (0.96 if female else 1.0), female=female,
              inlet=rng.uniform(1.05, 1.15) if female else rng.uniform(0.92, 1.02), tilt=rng.uniform(0.88, 1.12))
    # Soft tissue and gas are smooth: draw them on a coarser grid (about 0.5 mm) and resample.
    k = max(1, int(round(0.5 / spacing)))
    cshape = (-(-shape[0] // k), -(-shape[1] // k))
    cmatrix = matrix.copy() / k
    cmatrix[:, 2] -= (k - 1) / (2 * k)
    coarse = _Canvas(cshape, cmatrix, spacing * k)
    soft = wide_blur(_soft_tissue(coarse, rng, b), 1.5 / coarse.sp)
    soft += ndimage.gaussian_filter(_bowel_gas(coarse, rng, b), 0.6 / coarse.sp)
    if k > 1:
        soft = np.asarray(Image.fromarray(soft, "F").resize((cshape[1] * k, cshape[0] * k),
                                                             Image.Resampling.BILINEAR))[: shape[0], : shape[1]]
    lines = {side: _joint_lines(rng, side, b) for side in (-1, 1)}
    _lumbar(cv, rng, b)
    _sacrum(cv, rng, b, lines)
    r_head = rng.uniform(22, 26) * b.sc
    for side in (-1, 1):
        head = np.array([side * rng.uniform(92, 100) * b.sc * b.inlet ** 0.5, rng.uniform(126, 136) * b.sc])
        _hemipelvis(cv, rng, b, side, lines[side], head, r_head)
        _femur(cv, rng, b, side, head, r_head)
    joints = {name: _draw_joint(cv, rng, side, grades[name], b.sc, lines[side])
              for name, side in (("right", -1), ("left", 1))}
    lead = _gonad_shield(cv, rng, b)
    tex = _trabecular(rng, shape, spacing)
    keep = (1 - np.clip(cv.carve, 0, 0.9)) * (1 - np.clip(cv.jcarve, 0, 0.95))
    smooth = wide_blur(cv.smooth, 2.0 / spacing) * (0.7 + 0.3 * tex)
    bone = (cv.bone * tex + smooth + cv.cortex + cv.jcortex) * keep
    haze = wide_blur(cv.haze, 1.5 / spacing) if cv.haze.any() else 0.0
    density = soft + bone + haze
    if lead is not None:
        density += lead
    return density.astype(np.float32), joints


# --------------------------------------------------------------------------------------- case

@dataclass
class PelvisCase:
    case_id: str
    grades: dict[str, int]
    pixels: np.ndarray | None  # stored DICOM values; None for a photographed case
    photo_jpeg: bytes | None
    presentation: np.ndarray
    density: np.ndarray
    acquisition: Acquisition
    spacing: float
    truth: dict = field(default_factory=dict)


def make_pelvis_case(case_id: str, seed: int, index: int, config: PelvisConfig | None = None) -> PelvisCase:
    config = config or PelvisConfig()
    rng = np.random.default_rng([seed, index, 2])
    grades = sample_grades(rng, config)
    fov_w = rng.uniform(340, 430)  # a 35 x 43 cm cassette, landscape, often collimated a little
    fov_h = fov_w * rng.uniform(0.76, 0.86)
    if config.size == "small":
        spacing = max(fov_w, fov_h) / 512
    else:
        spacing = max(rng.uniform(0.1, 0.2), max(fov_w, fov_h) / 2000)
    spacing = float(round(spacing, 4))
    shape = (int(round(fov_h / spacing)), int(round(fov_w / spacing)))
    rot = float(np.clip(rng.normal(0, 4), -12, 12))
    c, s = np.cos(np.deg2rad(rot)), np.sin(np.deg2rad(rot))
    centre_mm = np.array([fov_w / 2 + rng.normal(0, 10), rng.uniform(75, 95)])  # iliac crests near the top edge
    a = np.array([[c, -s], [s, c]]) / spacing
    matrix = np.hstack([a, (centre_mm / spacing)[:, None]])
    density, joints = render_pelvis(rng, grades, shape, matrix, spacing)
    markers = ["R"] + (["AP", "SUPINE"][int(rng.integers(0, 2)):][:1] if rng.random() < 0.5 else [])
    acq = sample_acquisition(rng, shape, spacing, markers)
    pixels, pres = acquire(density, acq, rng)
    photo = None
    if rng.random() < config.photo_fraction:
        photo, photo_params = photograph_screen(pres, rng)
        pixels = None
    else:
        photo_params = None
    joints_px = {k: shapes.transform_points(v, matrix).round(2).tolist() for k, v in joints.items()}
    truth = _truth(case_id, grades, shape, spacing, acq, photo, photo_params, joints_px, seed, index, rot)
    return PelvisCase(case_id, grades, pixels, photo, pres, density, acq, spacing, truth)


def _truth(case_id, grades, shape, spacing, acq, photo, photo_params, joints_px, seed, index, rot) -> dict:
    sides = {}
    for side in ("right", "left"):
        g = grades[side]
        sides[side] = {"grade_probabilities": [1.0 if k == g else 0.0 for k in range(5)], "grade": g}
    definite = is_definite(grades["right"], grades["left"])
    if photo is not None:
        import io

        from PIL import Image

        w, h = Image.open(io.BytesIO(photo)).size
        inp = {"path": f"{case_id}.jpg", "sha256": hashlib.sha256(photo).hexdigest(), "rows": h, "columns": w,
               "pixel_spacing_mm": None}
    else:
        inp = {"path": f"{case_id}.dcm", "sha256": "", "rows": shape[0], "columns": shape[1],
               "pixel_spacing_mm": [spacing, spacing]}
    return {
        "schema": "axspa.sij/1",
        "input": inp,
        "model": {"grades": "phantom-truth"},
        "sides": sides,
        "definite": bool(definite),
        "definite_probability": 1.0 if definite else 0.0,
        "heatmap": None,
        "warnings": [],
        "phantom": {"generator": "axspa.phantom.pelvis", "seed": seed, "index": index,
                    "rotation_deg": round(rot, 3),
                    "joint_lines_px": None if photo is not None else joints_px,
                    "photographed_screen": photo_params, "acquisition": acq.to_dict()},
    }


def write_pelvis_case(case: PelvisCase, out_dir: Path) -> dict:
    """Write <id>.dcm (or <id>.jpg for a photographed screen) and <id>.truth.json."""
    from axspa.io.dicom_write import write_radiograph_dicom

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = json.loads(json.dumps(case.truth))
    if case.photo_jpeg is not None:
        (out_dir / f"{case.case_id}.jpg").write_bytes(case.photo_jpeg)
    else:
        acq = case.acquisition
        dcm = out_dir / f"{case.case_id}.dcm"
        write_radiograph_dicom(
            dcm, case.pixels, spacing_mm=(case.spacing, case.spacing), photometric=acq.photometric,
            modality=acq.modality, bits_stored=acq.bits_stored, body_part="PELVIS", view_position="AP",
            spacing_tag=acq.spacing_tag, patient_id=case.case_id.upper(),
            seed_uid_from=f"axspa-phantom-{case.case_id}-{case.truth['phantom']['seed']}",
            extra={"SeriesDescription": "PELVIS AP", "ProtocolName": "PHANTOM",
                   "BurnedInAnnotation": "YES" if acq.markers else "NO"})
        truth["input"]["sha256"] = hashlib.sha256(dcm.read_bytes()).hexdigest()
    (out_dir / f"{case.case_id}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth
