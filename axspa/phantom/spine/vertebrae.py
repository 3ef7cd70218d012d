"""Vertebral bodies with cortex and endplates, and the cervical and lumbar posterior elements."""

from __future__ import annotations

import numpy as np

from axspa.phantom import shapes
from axspa.phantom.spine.anatomy import Vertebra
from axspa.phantom.spine.painter import Painter, _blob, _frame


def _draw_body(p: Painter, v: Vertebra, region: str, tilt: float) -> None:
    """Vertebral body: trabecular fill that projects thicker in the middle of its depth, a thin
    cortical shell, denser endplates; with beam tilt the two halves of each endplate do not
    superimpose and the endplate shows as a thin oval (double contour)."""
    cerv = region == "cervical"
    box_cov = shapes.polygon_coverage(p.lay.shape, p.lay.px(v.outline), ss=3)
    if box_cov is not None:
        box, cov = box_cov
        a, _ = p.local_grid(v, box)
        # Lateral path length through a rounded body: full in the middle, less toward the borders.
        profile = 0.8 + 0.2 * np.sqrt(np.clip(1 - (2 * a / v.width) ** 2, 0, 1))
        x0, y0, x1, y1 = box
        p.body[y0:y1, x0:x1] += (0.4 if cerv else 0.5) * cov * profile
    rim = 0.7 if cerv else 1.0
    p.line(p.body_cortex, v.outline, rim, 0.55, closed=True)
    for plate, sign in ((v.sup_plate, -1.0), (v.inf_plate, 1.0)):
        p.line(p.body_cortex, plate, rim * 0.9, 0.3)
        if tilt > 0.15:
            t = np.linspace(0, 1, len(plate))[:, None]
            # The far half of the endplate: it meets the near half at the anterior and posterior
            # margins (the corners keep one contour) and departs in the middle.
            p.line(p.body_cortex, plate + sign * tilt * np.sin(np.pi * t) ** 0.7 * v.u, rim * 0.7, 0.22)


def _draw_vertebra(p: Painter, v: Vertebra, region: str, pitch: float, tilt: float,
                   rng: np.random.Generator) -> None:
    _draw_body(p, v, region, tilt)
    w, h = v.width, v.h_ant
    if v.name == "C2":
        # Dens: a rounded peg rising from the body, slightly posterior and tilted back.
        dens = shapes.rounded_quad(_frame(v, [(0.3 * w, -h / 2 + 1), (0.25 * w, -h / 2 - 14),
                                              (-0.3 * w, -h / 2 - 15), (-0.35 * w, -h / 2 + 1)]), 4.0)
        p.bone_shape(dens, 0.45, 0.35, 0.9)
    elif region == "cervical":
        # Uncinate processes: the raised posterolateral lips of the upper endplate, seen as a faint
        # hump over the back of the body.
        for off in rng.uniform(-1.0, 1.0, 1):
            hump = _blob(v, [(-0.45 * w, -h / 2 + 2), (-0.4 * w, -h / 2 - 2.2 + off * 0.4), (-0.2 * w, -h / 2 - 1.2),
                             (-0.05 * w, -h / 2 + 1.5)], 24, 0.05)
            p.bone_shape(hump, 0.08, 0.1, 0.5)
    if v.name == "S1":
        # The rest of the sacrum curves posteriorly below S1, tapering to the coccyx; segment lines.
        pts = [(w / 2, h / 2), (0.4 * w, 1.6 * h), (0.1 * w, 2.7 * h), (-0.2 * w, 3.4 * h), (-0.5 * w, 3.3 * h),
               (-0.65 * w, 2.4 * h), (-0.7 * w, 1.4 * h), (-w / 2, h / 2)]
        p.bone_shape(shapes.smooth_closed(_frame(v, pts), 60), 0.45, 0.35, 1.3)
        for k, (a0, b0) in enumerate(((0.45 * w, 1.05 * h), (0.28 * w, 1.95 * h), (0.0, 2.75 * h))):
            p.line(p.cortex, _frame(v, [(a0, b0), (a0 - 0.75 * w + 0.1 * k * w, b0 + 0.1 * h)]), 1.2, 0.2)
    if region == "cervical":
        _cervical_posterior(p, v, pitch, rng)
    else:
        _lumbar_posterior(p, v, pitch, rng)


def _cervical_posterior(p: Painter, v: Vertebra, pitch: float, rng: np.random.Generator) -> None:
    """Pedicle, articular pillars (left and right, imperfectly superimposed, so the facet joints
    show as oblique lucent lines between overlapping rhomboids), lamina and spinous process."""
    w, h = v.width, (v.h_ant + v.h_post) / 2
    back = -w / 2
    p.bone_shape(shapes.rounded_quad(_frame(v, [(back + 1, -0.42 * h), (back - 0.3 * w, -0.4 * h),
                                                (back - 0.3 * w, 0.0), (back + 1, -0.02 * h)]), 1.2), 0.2, 0.12, 0.6)
    fa, fw = back - 0.22 * w, 0.5 * w * rng.uniform(0.9, 1.1)
    drop = 0.75 * fw  # facet joints slope down and back at about 40 degrees
    top = -0.5 * h - 1.5
    span = pitch - 1.3  # reaches the next pillar, leaving the joint space
    for side in range(2):
        da, db = rng.normal(0, 0.8), rng.normal(0, 0.8) + side * rng.uniform(0.3, 1.5)
        pil = [(fa + da, top + db), (fa - fw + da, top + drop + db), (fa - fw + da - 1, top + drop + span + db),
               (fa + da + 0.5, top + span + db)]
        p.bone_shape(shapes.rounded_quad(_frame(v, pil), 1.5), 0.2, 0.22, 0.7)
    # Lamina: from the back of the pillars down and back to the spinous process.
    sa = fa - fw
    lam = [(sa + 1, top + drop + 1), (sa - 0.35 * w, top + drop + 0.25 * h), (sa - 0.35 * w, top + drop + 0.65 * h),
           (sa + 1, top + drop + 0.55 * h)]
    p.bone_shape(shapes.rounded_quad(_frame(v, lam), 1.5), 0.22, 0.25, 0.7)
    # Spinous process: short and bifid C3-C5, longer C6, long with a knob at C7/T1, bulky at C2.
    length = {"C2": 1.05, "C6": 0.95, "C7": 1.45, "T1": 1.55}.get(v.name, 0.72) * w * rng.uniform(0.88, 1.12)
    hb = (0.8 if v.name == "C2" else 0.6) * h
    ang = np.deg2rad(rng.uniform(15, 35) if v.name != "C2" else rng.uniform(5, 20))
    base = np.array([sa - 0.15 * w, top + drop + 0.45 * h])
    direc = np.array([-np.cos(ang), np.sin(ang)])
    perp = np.array([direc[1], -direc[0]])
    tip = base + direc * length
    knob = (0.2 if v.name in ("C7", "T1") else 0.13) * h
    sp = [base + perp * hb / 2, base + direc * length * 0.5 + perp * hb * 0.32, tip + perp * knob * 1.3,
          tip + direc * knob, tip - perp * knob * 1.3, base + direc * length * 0.5 - perp * hb * 0.36,
          base - perp * hb / 2]
    p.bone_shape(_blob(v, sp, 40, 0.02), 0.28, 0.3, 0.8)
    if v.name in ("C2", "C3", "C4", "C5"):
        p.ellipse(p.bone, _frame(v, [tip + direc * 0.5 + perp * 1.5])[0], (knob * 1.2, knob), 0, 0.12)


def _lumbar_posterior(p: Painter, v: Vertebra, pitch: float, rng: np.random.Generator) -> None:
    """Pedicle with its dense cortex, superior and inferior articular processes (facet joint a
    near-vertical lucent line), pars, hatchet-shaped spinous process, transverse process end-on."""
    w, h = v.width, (v.h_ant + v.h_post) / 2
    back = -w / 2
    p.bone_shape(shapes.rounded_quad(_frame(v, [(back + 2, -0.45 * h), (back - 0.3 * w, -0.42 * h),
                                                (back - 0.3 * w, 0.0), (back + 2, 0.02 * h)]), 3.0), 0.22, 0.3, 1.0)
    for side in range(2):
        da, db = rng.normal(0, 1.0), rng.normal(0, 1.0) + side * rng.uniform(0.5, 2.0)
        q = [(back + fa * w + da, fb * h + db) for fa, fb in (
            (-0.22, -0.2), (-0.27, -0.72), (-0.36, -0.78), (-0.42, -0.42), (-0.5, -0.12), (-0.55, 0.4),
            (-0.52, 0.86), (-0.44, 0.9), (-0.39, 0.5), (-0.3, 0.14), (-0.24, 0.05))]
        if v.name == "S1":
            q = q[:5] + [(back - 0.45 * w + da, 0.2 * h + db), (back - 0.25 * w + da, 0.1 * h + db)]
        p.bone_shape(_blob(v, q, 56, 0.02), 0.13, 0.18, 0.9)
    if v.name != "S1":
        length = w * rng.uniform(0.85, 1.05)
        sp = [(back - 0.45 * w, -0.02 * h), (back - 0.5 * w - length * 0.8, -0.05 * h),
              (back - 0.5 * w - length, 0.05 * h), (back - 0.5 * w - length * 1.02, 0.35 * h),
              (back - 0.5 * w - length * 0.9, 0.58 * h), (back - 0.5 * w - length * 0.5, 0.52 * h),
              (back - 0.45 * w, 0.62 * h)]
        p.bone_shape(_blob(v, sp, 48, 0.02), 0.25, 0.3, 1.0)
        p.ellipse(p.bone, _frame(v, [(back - 0.22 * w, -0.18 * h)])[0], (0.28 * w, 0.15 * h),
                  np.rad2deg(np.arctan2(v.u[1], v.u[0])) + 90, 0.12)
