"""Soft tissue and bowel gas (colon segments) over the pelvis."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.pelvis.canvas import _Body, _Canvas, _mirror, _path
from axspa.phantom.pelvis.joints import _band


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
