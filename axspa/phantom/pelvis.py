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
from axspa.sij.rules import is_definite

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


# Blur of the joint margins (mm) by grade: crisp when normal, indistinct from grade 1 on.
_JOINT_BLUR = {0: 0.12, 1: 0.6, 2: 0.5, 3: 0.6, 4: 0.8}


def _draw_joint(cv: _Canvas, rng: np.random.Generator, side: int, grade: int, sc: float,
                lines: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    lateral, medial = lines
    normal_out = np.array([side, 0.0])  # toward the ilium
    n = len(lateral)
    # At coarse pixels (--size small) keep the gap at least 3 pixels wide so it stays resolved.
    width = max(rng.uniform(2.2, 3.4) * sc, 3.0 * cv.sp)
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
    # Between the two margins sacrum and ilium overlap (a little denser); no band along the joint line itself,
    # which would read as sclerosis.
    cv.poly(cv.smooth, np.vstack([lateral, medial[::-1]]), 0.05)
    cv.poly(cv.smooth, _band(lateral, 26 * sc), 0.025)
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
                    cv.line(cv.jcortex, line[seg] + sgn * normal_out * (w / 2 + max(0.35, 0.5 * cv.sp)),
                            max(0.7, cv.sp), v * strength)
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
    scl = {0: 0.0, 1: 0.04, 2: 0.13, 3: 0.19, 4: 0.06}[grade] * rng.uniform(0.8, 1.2)
    if scl > 0:
        a = int(rng.integers(n // 3, n // 2)) if grade == 2 else int(rng.integers(0, n // 4))
        b = min(a + int(rng.integers(8, 12)), n) if grade == 2 else n
        seg = lateral[a:b]
        # Its lateral border is irregular: the depth wanders along the joint (patchy, not a painted band).
        wander = ndimage.gaussian_filter1d(rng.standard_normal(len(seg)), 1.5, mode="nearest")
        depth = (rng.uniform(5, 10) * sc * (1.3 if grade >= 3 else 1.0)
                 * np.clip(1 + 0.5 * wander / (wander.std() + 1e-6), 0.4, 1.8))[:, None]
        for f in (1.0, 0.6, 0.3):
            cv.poly(cv.haze, np.vstack([seg, (seg + normal_out * depth * f)[::-1]]), scl / 3)
        if grade >= 3:
            cv.poly(cv.haze, np.vstack([seg, (seg - normal_out * depth * 0.35)[::-1]]), scl / 3)
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
    """Negative density of bowel gas: the colon in stretches of mottled faeces (bubbly gas in stool), of gas
    with haustral folds (a lobulated column crossed by thin folds) or collapsed; small-bowel loops. These
    shadows overlie the iliac wings (ascending colon on the right, descending on the left) and the sacrum
    (sigmoid, rectum) and make SI joints hard to read."""
    gas = np.zeros(cv.shape, np.float32)
    noise = ndimage.gaussian_filter(rng.standard_normal(cv.shape, dtype=np.float32), 0.7 / cv.sp)
    noise /= noise.std() + 1e-6
    coarse = ndimage.gaussian_filter(rng.standard_normal(cv.shape, dtype=np.float32), 2.5 / cv.sp)
    coarse /= coarse.std() + 1e-6
    bubbles = 0.6 * noise + 0.8 * coarse  # bubbles of mixed size, clustered
    for name, (pts, width) in _COLON.items():
        path = _path(np.asarray(pts, float) * b.sc + rng.normal(0, 8, (len(pts), 2)), 80, 0.04)
        s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
        w = width * b.sc * rng.uniform(0.8, 1.15)
        pos = 0.0
        while pos < s[-1] - 10:  # stretches of one content each
            end = min(pos + rng.uniform(35, 90), s[-1])
            kind = rng.choice(["faeces", "gas", "empty"], p=[0.5, 0.3, 0.2])
            part = path[(s >= pos) & (s <= end)]
            if len(part) >= 3 and kind == "faeces":
                tube = np.zeros(cv.shape, np.float32)
                cv.poly(tube, _lumen(rng, part, w * rng.uniform(0.75, 1.0), 0.0), 1.0)
                thr = rng.uniform(0.2, 0.9)
                gas -= tube * (rng.uniform(0.15, 0.28) * np.clip((bubbles - thr) * 1.5, 0, 1) + 0.03)
            elif len(part) >= 3 and kind == "gas":
                _gas_column(cv, rng, gas, part, w * rng.uniform(0.6, 0.95), name)
            pos = end
    for _ in range(int(rng.integers(0, 7))):  # small bowel loops: short curved gas segments
        c = np.array([rng.uniform(-110, 110), rng.uniform(-120, 40)]) * b.sc
        ang = rng.uniform(0, 2 * np.pi)
        bend = rng.uniform(-1, 1)
        loop = shapes.bezier(c, c + 25 * np.array([np.cos(ang + bend), np.sin(ang + bend)]),
                             c + 45 * np.array([np.cos(ang), np.sin(ang)]), 16)
        cv.line(gas, loop, rng.uniform(10, 20), -rng.uniform(0.1, 0.25))
    return gas


def _lumen(rng: np.random.Generator, path: np.ndarray, width: float, sacculation: float,
           folds: np.ndarray | None = None) -> np.ndarray:
    """Closed outline of a bowel lumen along ``path``: its width wanders, and with ``sacculation`` each wall
    bulges between the haustral folds at arc lengths ``folds`` (the lobulated outline of a gas-filled colon)."""
    s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    tang = np.gradient(path, axis=0)
    tang /= np.maximum(np.hypot(*tang.T), 1e-9)[:, None]
    nrm = np.stack([-tang[:, 1], tang[:, 0]], axis=1)
    walls = []
    for sgn in (1, -1):
        wander = ndimage.gaussian_filter1d(rng.standard_normal(len(path)), 3, mode="nearest")
        half = width / 2 * (1 + 0.25 * wander / (wander.std() + 1e-6))
        if folds is not None and len(folds):
            gap = np.min(np.abs(s[:, None] - folds[None, :]), axis=1)  # distance to the nearest fold
            half = half * (1 - sacculation + sacculation * np.clip(gap / 6, 0, 1) ** 0.5)
        half[[0, -1]] *= 0.5  # the column tapers where the gas ends
        walls.append(path + sgn * nrm * half[:, None])
    return np.vstack([walls[0], walls[1][::-1]])


def _gas_column(cv: _Canvas, rng: np.random.Generator, gas: np.ndarray, part: np.ndarray, width: float,
                name: str) -> None:
    """A gas-filled stretch of colon: lobulated by haustral folds that cross it partway from each wall
    (ascending and transverse colon: closely spaced; descending and sigmoid: sparse or absent)."""
    part = _path(part, max(len(part) * 2, 16))
    s = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(part, axis=0).T))])
    spacing = rng.uniform(14, 24) if name in ("ascending", "transverse") else rng.uniform(25, 45)
    folds = np.cumsum(rng.uniform(0.7, 1.3, int(s[-1] / spacing) + 2) * spacing) - rng.uniform(0, spacing)
    folds = folds[(folds > 4) & (folds < s[-1] - 4)]
    if name in ("rectum",):
        folds = folds[:0]
    tube = np.zeros(cv.shape, np.float32)
    cv.poly(tube, _lumen(rng, part, width, rng.uniform(0.15, 0.3), folds), 1.0)
    tang = np.gradient(part, axis=0)
    tang /= np.maximum(np.hypot(*tang.T), 1e-9)[:, None]
    for f in folds:  # each fold: a thin septum reaching in from one or both walls
        i = int(np.clip(np.searchsorted(s, f), 1, len(part) - 1))
        n = np.array([-tang[i, 1], tang[i, 0]])
        for sgn in (1, -1):
            reach = rng.uniform(0.3, 0.65) if rng.random() < 0.85 else 0.0
            if reach:
                a = part[i] + sgn * n * width * 0.6
                cv.line(tube, [a, a - sgn * n * width * (0.1 + reach) + tang[i] * rng.normal(0, 1.5)],
                        rng.uniform(1.5, 3.0), -1.0)
    gas -= np.clip(tube, 0, 1) * rng.uniform(0.15, 0.3)


def _lumbar(cv: _Canvas, rng: np.random.Generator, b: _Body) -> None:
    """L4 and L5 as seen AP: waisted bodies (upright cylinders) with endplates seen slightly obliquely (two
    rims), pedicles end-on as cortical rings, transverse processes (L4 slender, L5 thick and sloping up
    toward the ala), laminae converging on a teardrop spinous process, articular processes and facet joints."""
    sc = b.sc
    levels = (("L4", -90 + rng.normal(0, 1.5), 30 + rng.normal(0, 1.5), 23.5 + rng.normal(0, 1), 1.2),
              ("L5", -47 + rng.normal(0, 1), 26 + rng.normal(0, 1), 25.5 + rng.normal(0, 1), 2.6))
    for name, y0, height, hw, tilt in levels:
        y1 = y0 + height
        body = _vertebral_body(rng, y0, y1, hw) * sc
        cv.solid(body, 0.27, 0.16, 1.6, profile="column", core_layer=cv.column)
        # Endplates: the rim nearer the film and the far rim separate when the disc is not parallel to the beam.
        for yy, sgn in ((y0, 1), (y1, -1)):
            e = tilt * rng.uniform(0.7, 1.3)
            cv.line(cv.cortex, _ellipse_half(0, yy + sgn * (0.8 + e), hw - 2, e, far=True) * sc, 0.8, 0.1)
            cv.line(cv.cortex, _ellipse_half(0, yy + sgn * (0.8 + e), hw - 2, e, far=False) * sc, 1.1, 0.14)
        yc = y0 + 0.38 * height
        for side in (-1, 1):
            _pedicle(cv, rng, side, np.array([hw - 8.5, yc]), sc)
            _transverse_process(cv, rng, side, name, hw, y0, yc, sc)
            # Lamina: from the pedicle down and in to the spinous process; articular processes at its ends.
            lam = _mirror(_path([(hw - 10, yc + 4), (hw - 14, y1 - 4), (5, y1 + 2)], 12, 0.1), side) * sc
            cv.solid(_band(lam, 6 * sc), 0.1, 0.1, 0.8)
            sup = _mirror(np.array([[hw - 6, y0 - 7], [hw - 3, y0 - 1], [hw - 9, y0 + 4], [hw - 12, y0 - 2]]), side)
            cv.solid(shapes.smooth_closed(sup, 24, 0.04) * sc, 0.08, 0.05, 0.8)
            inf = _mirror(np.array([[hw - 13, y1 - 2], [hw - 9, y1 + 1], [hw - 10, y1 + 10], [hw - 14, y1 + 7]]), side)
            cv.solid(shapes.smooth_closed(inf, 24, 0.04) * sc, 0.08, 0.05, 0.8)
            # Facet joint between this inferior process and the next superior one: an oblique lucent line.
            facet = _mirror(_path([(hw - 9.5, y1 + 1), (hw - 8, y1 + 6), (hw - 8.5, y1 + 11)], 10, 0.1), side) * sc
            cv.line(cv.jcarve, facet, 0.9, 0.35)
            cv.line(cv.jcortex, facet + np.array([side * 0.9 * sc, 0]), 0.7, 0.14)
        sp = np.array([rng.normal(0, 1.5), y1 - 1])
        tear = np.array([[0, -9], [3.5, -4], [4, 3], [1.5, 8], [-1.5, 8], [-4, 3], [-3.5, -4]])
        tear = tear @ np.array([[1, 0], [rng.uniform(-0.15, 0.15), 1]])  # spinous process leaning a little
        cv.solid(shapes.smooth_closed(tear * np.array([1, rng.uniform(0.9, 1.2)]) + sp, 40, 0.03) * sc, 0.12,
                 0.2, 1.0)


def _vertebral_body(rng: np.random.Generator, y0: float, y1: float, hw: float) -> np.ndarray:
    """Outline (mm) of a lumbar body seen AP: concave lateral walls (the waist), endplates slightly concave,
    corners rounded with a little lipping of the ring apophyses."""
    waist = rng.uniform(1.8, 3.0)
    t = np.linspace(0, 1, 20)
    right = np.stack([hw - waist * np.sin(np.pi * t) ** 1.5 + 0.6 * np.exp(-((t - 0.02) / 0.06) ** 2)
                      + 0.6 * np.exp(-((t - 0.98) / 0.06) ** 2), y0 + 1.5 + (y1 - y0 - 3) * t], axis=1)
    xs = np.linspace(hw - 1.5, -(hw - 1.5), 24)
    dip = rng.uniform(0.4, 1.2)
    top = np.stack([xs, y0 + dip * (1 - (xs / hw) ** 2)], axis=1)
    bottom = np.stack([xs[::-1], y1 - dip * (1 - (xs / hw) ** 2)], axis=1)
    left = right[::-1] * np.array([-1, 1])
    return shapes.smooth_closed(np.vstack([top[::-1], right, bottom[::-1], left]), 120, 0.006)


def _ellipse_half(cx: float, cy: float, rx: float, ry: float, far: bool) -> np.ndarray:
    """Upper (``far``) or lower half of a flat ellipse: one rim of an obliquely seen endplate."""
    return _arc((0, 0), 1.0, 180, 360, 24) * np.array([rx, ry * (1 if far else -1)]) + np.array([cx, cy])


def _pedicle(cv: _Canvas, rng: np.random.Generator, side: int, c: np.ndarray, sc: float) -> None:
    """A pedicle seen end-on: an oval cortical ring (the 'eye'), its lateral wall thicker."""
    rx, ry = rng.uniform(3.8, 5.0), rng.uniform(6.0, 7.5)
    ring = shapes.ellipse_points(_mirror(c, side), (rx, ry), side * rng.uniform(0, 10), 40)
    cv.solid(ring * sc, 0.1, 0.0)
    cv.line(cv.cortex, ring * sc, 1.3, 0.15, closed=True)
    outer = _mirror(_path([c + (rx * 0.6, -ry * 0.8), c + (rx + 0.3, 0), c + (rx * 0.6, ry * 0.8)], 12, 0.1), side)
    cv.line(cv.cortex, outer * sc, 1.0, 0.12)


def _transverse_process(cv: _Canvas, rng: np.random.Generator, side: int, name: str, hw: float, y0: float,
                        yc: float, sc: float) -> None:
    """L4: a slender rod tapering laterally, slightly upturned. L5: short, thick and pyramidal, its tip
    sloping up and back toward the sacral ala (a round bone seen along its length, not a flat plate)."""
    if name == "L4":
        length, base, tip, rise = rng.uniform(18, 24), rng.uniform(9, 11), rng.uniform(3.5, 5), rng.uniform(2, 5)
    else:
        length, base, tip, rise = rng.uniform(15, 20), rng.uniform(15, 18), rng.uniform(7, 9), rng.uniform(10, 14)
    x0, x1 = hw - 6, hw + length
    t = np.linspace(0, 1, 14)
    mid = yc - rise * t ** 1.5
    half = base / 2 + (tip / 2 - base / 2) * t ** 0.7
    upper = np.stack([x0 + (x1 - x0) * t, mid - half - 0.8 * np.sin(np.pi * t)], axis=1)
    lower = np.stack([x0 + (x1 - x0) * t, mid + half + 1.2 * np.sin(np.pi * t) * (name == "L5")], axis=1)
    cap = _arc((x1, mid[-1]), tip / 2, -90, 90, 8)
    outline = np.vstack([upper, cap[1:-1], lower[::-1]])
    cv.solid(_mirror(shapes.smooth_closed(outline, 60, 0.01), side) * sc, 0.2, 0.14, 1.0, profile="round")


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
    # S1 body: an upright cylinder like the lumbar bodies; its upper endplate seen very obliquely (lordosis).
    cv.solid(_vertebral_body(rng, -14, 12, 23.5) * sc, 0.14, 0.1, 1.2, profile="column", core_layer=cv.column)
    e = rng.uniform(2.5, 4.0)
    cv.line(cv.cortex, _ellipse_half(0, -13 + e, 21.5, e, far=True) * sc, 0.8, 0.1)
    cv.line(cv.cortex, _ellipse_half(0, -13 + e, 21.5, e, far=False) * sc, 1.1, 0.14)
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
    """Femoral head (ball) with the fovea, a waisted neck (concave borders, narrower than the head) at a
    neck-shaft angle of 120-140 degrees, greater and lesser trochanters, and the shaft (a tube: bright
    cortical walls around the medullary canal); the calcar and the compressive and tensile trabecular
    groups inside the neck."""
    sc = b.sc
    h = np.array([abs(head[0]), head[1]])
    cv.solid(_mirror(shapes.ellipse_points(h, (r, r), 0, 64), side), 0.45, 0.0)
    cv.ellipse(cv.carve, _mirror([h + np.array([-0.9 * r, 0.15 * r])], side)[0], (3 * sc, 2.2 * sc), 0, 0.35)
    phi = np.deg2rad(180 - rng.uniform(122, 138))  # neck axis below the horizontal
    ax, nrm = np.array([np.cos(phi), np.sin(phi)]), np.array([np.sin(phi), -np.cos(phi)])  # nrm: superior side
    waist = rng.uniform(0.64, 0.72) * r  # half-width of the neck at its narrowest

    def neck(u: float, v: float) -> np.ndarray:
        return u * r * ax + v * nrm

    ja = np.arctan2(*(neck(0.63, 0.78 * r))[::-1])
    jb = np.arctan2(*(neck(0.63, -0.78 * r))[::-1])
    ball = _arc((0, 0), r, np.rad2deg(ja), np.rad2deg(jb) - 360, 36)  # over the top of the head
    R = r / 24  # trochanters and shaft scale with the head
    medial = np.array([[15.5, 44], [17, 58], [10, 65], [11, 72], [19, 78], [20.5, 90]]) * R  # lesser trochanter
    lateral = np.array([[54, 74], [59, 46], [61, 24], [59, 9], [54, 1], [46, -1], [41, 3]]) * R  # greater troch.
    outline = np.vstack([ball, [neck(1.2, -waist)], medial, [[22 * R, 300], [50 * R, 300]], lateral,
                         [[40 * R, 5 * R]], [neck(1.2, waist)]])
    rot = np.deg2rad(rng.normal(0, 3))
    c, s_ = np.cos(rot), np.sin(rot)
    m = np.array([[c, s_], [-s_, c]])
    prox = shapes.smooth_closed(outline, 200, 0.003) @ m
    cv.solid(_mirror(h + prox, side), 0.5, 0.6, 2.2)
    # Greater trochanter: overlapping cancellous bone behind the neck base; its apex near the head centre level.
    gt = shapes.ellipse_points(np.array([50, 12]) * R, (10 * R, 16 * R), -10, 32) @ m
    cv.solid(_mirror(h + gt, side), 0.1, 0.05, 1.0)
    # Calcar (thick inferomedial neck cortex), compressive group (calcar to the dome), tensile arc.
    calcar = _path(np.vstack([neck(0.9, -waist * 0.95), neck(1.3, -waist * 1.02), [16 * R, 50 * R]]), 16, 0.1)
    cv.line(cv.cortex, _mirror(h + calcar @ m, side), 2.4 * R, 0.18)
    comp = _path(np.vstack([[17 * R, 52 * R], neck(1.1, -0.3 * r), [-0.1 * r, -0.65 * r]]), 20, 0.15)
    cv.line(cv.bone, _mirror(h + comp @ m, side), 9 * R, 0.08)
    tens = _path(np.vstack([[56 * R, 30 * R], neck(1.45, 0.45 * r), neck(0.55, 0.2 * r), [-0.3 * r, 0.6 * r]]), 24,
                 0.15)
    cv.line(cv.bone, _mirror(h + tens @ m, side), 5 * R, 0.05)
    scar = _path(np.vstack([neck(0.5, 0.8 * r), neck(0.42, 0), neck(0.5, -0.8 * r)]), 12, 0.1)
    cv.line(cv.cortex, _mirror(h + scar @ m, side), 0.8, 0.05)  # physeal scar
    cv.line(cv.cortex, _mirror(h + np.array([[46, 4], [20, 66]]) * R @ m, side), 2.0, 0.06)  # intertrochanteric


def _trabecular(rng: np.random.Generator, shape: tuple[int, int], spacing: float) -> np.ndarray:
    """Multiplicative trabecular texture around 1: a network of bone struts (the edges of a warped Voronoi
    tessellation, marrow spaces about 1.5 mm across) with struts of uneven thickness, some missing."""
    f = 2 if spacing < 0.3 else 1
    h, w = shape[0] // f + 1, shape[1] // f + 1
    sp = spacing * f
    cell = rng.uniform(1.3, 1.8) / sp  # marrow-space size in pixels of the working grid
    if cell < 2.0:  # too fine to resolve (small images): only a faint mottle survives
        n = ndimage.gaussian_filter(rng.standard_normal((h, w), dtype=np.float32), 0.8)
        tex = 1 + 0.05 * n / (n.std() + 1e-6)
        return _upsample(tex, shape, f)
    # A slow warp bends the tessellation so the cells are irregular, not a honeycomb.
    wsig = 4.0 / sp
    k = max(int(wsig / 3), 1)
    coarse = rng.standard_normal((2, h // k + 2, w // k + 2)).astype(np.float32)
    warp = [ndimage.zoom(ndimage.gaussian_filter(c, wsig / k), k, order=1)[:h, :w] for c in coarse]
    warp = [0.35 * cell * c / (c.std() + 1e-6) for c in warp]
    y = (np.arange(h, dtype=np.float32)[:, None] + warp[1]) / cell + 1
    x = (np.arange(w, dtype=np.float32)[None, :] + warp[0]) / cell + 1
    y = np.clip(y, 1, None)
    x = np.clip(x, 1, None)
    iy, ix = y.astype(np.int32), x.astype(np.int32)
    fy, fx = y - iy.astype(np.float32), x - ix.astype(np.float32)
    gh, gw = int(iy.max()) + 3, int(ix.max()) + 3
    jy, jx = rng.random((2, gh * gw), dtype=np.float32)
    lin = iy * gw + ix
    d1 = np.full((h, w), 9.0, np.float32)
    d2 = np.full((h, w), 9.0, np.float32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            idx = lin + (dy * gw + dx)
            d = (np.take(jx, idx) + (dx - fx)) ** 2 + (np.take(jy, idx) + (dy - fy)) ** 2
            d2 = np.minimum(d2, np.maximum(d1, d))
            d1 = np.minimum(d1, d)
    edge = np.sqrt(d2) - np.sqrt(d1)  # 0 on a cell wall, in cell units
    thick = 0.24 + 0.08 * warp[0] / (0.35 * cell)  # strut half-thickness varies slowly
    strut = np.exp(-(edge / np.maximum(thick, 0.1)) ** 2)
    gaps = ndimage.gaussian_filter(rng.standard_normal((h, w), dtype=np.float32), 0.35 * cell)
    strut *= np.clip(0.8 + 0.6 * gaps / (gaps.std() + 1e-6), 0.3, 1)  # some struts thin out or break
    tex = 0.8 + 0.55 * strut
    tex /= tex.mean()
    return _upsample(tex.astype(np.float32), shape, f)


def _upsample(tex: np.ndarray, shape: tuple[int, int], f: int) -> np.ndarray:
    if f > 1:
        tex = np.asarray(Image.fromarray(np.asarray(tex, dtype=np.float32)).resize((tex.shape[1] * f, tex.shape[0] * f),
                                                          Image.Resampling.BILINEAR))
    return tex[: shape[0], : shape[1]]


def _streaked(rng: np.random.Generator, column: np.ndarray, tex: np.ndarray, spacing: float) -> np.ndarray:
    """Vertebral-body bone with its texture: the strut network plus vertical striation (the primary,
    load-bearing trabeculae run craniocaudally), made only inside the bodies' bounding box."""
    rows, cols = np.flatnonzero(column.any(axis=1)), np.flatnonzero(column.any(axis=0))
    if rows.size == 0:
        return column
    sl = np.s_[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    noise = rng.standard_normal(column[sl].shape, dtype=np.float32)
    streak = ndimage.gaussian_filter(noise, (1.5 / spacing, max(0.3 / spacing, 0.6)))
    streak = 1 + 0.09 * streak / (streak.std() + 1e-6)
    out = np.zeros_like(column)
    out[sl] = column[sl] * (0.5 + 0.5 * tex[sl]) * streak
    return out


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
        soft = np.asarray(Image.fromarray(np.asarray(soft, dtype=np.float32)).resize((cshape[1] * k, cshape[0] * k),
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
    bone = (cv.bone * tex + _streaked(rng, cv.column, tex, spacing) + smooth + cv.cortex + cv.jcortex) * keep
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
