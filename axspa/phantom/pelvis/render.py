"""The attenuation map of a case: everything drawn in order, with a gonad shield now and then."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.pelvis.bones import _femur, _hemipelvis, _lumbar, _sacrum
from axspa.phantom.pelvis.canvas import _Body, _Canvas, _joint_lines
from axspa.phantom.pelvis.joints import _draw_joint
from axspa.phantom.pelvis.soft_tissue import _bowel_gas, _soft_tissue
from axspa.phantom.pelvis.texture import _streaked, _trabecular
from axspa.phantom.xray import wide_blur


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
