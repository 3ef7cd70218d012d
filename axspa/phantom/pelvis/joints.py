"""A sacroiliac joint drawn at its grade: margins, erosions, sclerosis and ankylosis."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from axspa.phantom.pelvis.canvas import _Canvas, _runs

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
