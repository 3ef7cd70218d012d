"""What surrounds the spine: airway, skull base, mandible and shoulders; ribs, pelvis and bowel gas."""

from __future__ import annotations

import numpy as np

from axspa.phantom import shapes
from axspa.phantom.spine.anatomy import Vertebra
from axspa.phantom.spine.painter import Painter, _blob, _frame


def _draw_cervical_context(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    c2, t1 = verts[0], verts[-1]
    w, h = c2.width, c2.h_ant
    top = -h / 2  # C2 upper endplate level in C2's frame
    # Neck soft tissue: posterior skin ~55 mm behind the bodies, anterior skin ~45 mm in front.
    neck = [c2.local(-70, -120), c2.local(95, -120), c2.local(70, -10), t1.local(48, 10), t1.local(70, 80),
            t1.local(-95, 80), c2.local(-60, 0)]
    p.poly(p.soft, shapes.smooth_closed(np.array(neck), 80), rng.uniform(1.0, 1.5), ss=1)
    _draw_airway(p, verts, rng)
    _draw_skull_base(p, c2, rng)
    # Mandible (two halves, imperfectly superimposed): angle near C2-C3, in front of or over the
    # bodies; ramus up to the skull base, body forward with a thick lower cortex.
    ang = np.array([w / 2 + rng.uniform(-4, 22), top + h + rng.uniform(-4, 14)])
    for side in range(2):
        o = ang + side * rng.normal(0, 4, 2)
        border = np.vstack([shapes.bezier(o + (-6, -50), o + (-3, -2), o + (12, 2), 12),
                            shapes.bezier(o + (12, 2), o + (40, 6), o + (75, -4), 12)[1:]])
        inner = border[::-1] + np.array([20.0, -20.0])
        p.poly(p.other, _frame(c2, np.vstack([border, inner])), 0.1, ss=1)
        p.line(p.cortex, _frame(c2, border), 2.5, 0.22, ss=1)
    # Hyoid at C3-C4, well in front of the airway: a small dense body and a greater horn.
    hy = np.array([verts[2].width / 2 + rng.uniform(26, 36), rng.uniform(-2, 6)])
    p.ellipse(p.other, verts[2].local(*hy), (5, 3.5), 20, 0.22)
    p.line(p.other, _frame(verts[2], [hy, hy + (-22, -8)]), 2.5, 0.1, ss=1)
    _draw_shoulders(p, verts, rng)


def _draw_airway(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    """Pharynx, larynx and trachea as one air column in front of the spine. The prevertebral soft
    tissue is thin down to C4 (3-6 mm) and thicker below, where the oesophagus lies (12-18 mm)."""
    thin, thick = rng.uniform(3, 6), rng.uniform(11, 17)
    back, front = [], []
    for k, v in enumerate(verts):
        lo = k >= 3  # C5 and below
        gap = thick if lo else thin + (thick - thin) * 0.2 * k
        width = rng.uniform(12, 17) if v.name not in ("C4", "C5") else rng.uniform(8, 12)  # narrower at the glottis
        for b in (-0.5 * v.h_ant, 0.5 * v.h_ant):
            back.append(v.local(v.width / 2 + gap, b))
            front.append(v.local(v.width / 2 + gap + width, b))
    c2, t1 = verts[0], verts[-1]
    cw, tw = c2.width / 2, t1.width / 2
    back = [c2.local(cw + 1, -45), c2.local(cw + 2, -25)] + back + [t1.local(tw + 16, 60)]
    front = [c2.local(cw + 18, -45), c2.local(cw + 18, -25)] + front + [t1.local(tw + 34, 60)]
    outline = np.vstack([np.array(back), np.array(front[::-1])])
    p.poly(p.air, shapes.smooth_closed(outline, 160, 0.006), -rng.uniform(0.3, 0.45), ss=1)
    # Vallecula / laryngeal ventricle: small extra air pockets.
    p.ellipse(p.air, verts[2].local(verts[2].width / 2 + thin + 18, -4), (4, 2.5), 0, -0.15, ss=1)
    p.ellipse(p.air, verts[4].local(verts[4].width / 2 + thick + 6, -3), (5, 1.5), 0, -0.12, ss=1)


def _draw_skull_base(p: Painter, c2: Vertebra, rng: np.random.Generator) -> None:
    """C1 (anterior arch in front of the dens, lateral masses, posterior arch), occiput, clivus,
    mastoid and hard palate, in C2's frame."""
    w, h = c2.width, c2.h_ant
    top = -h / 2
    adi = rng.uniform(1.5, 3.0)  # atlanto-dental interval
    arch = np.array([0.3 * w + adi + 4.5, top - 9])
    p.other_shape(shapes.ellipse_points(_frame(c2, [arch])[0], (4.5, 6), 0, 32), 0.25, 0.45, 1.0)
    p.ellipse(p.other, c2.local(-0.15 * w, top - 8), (11, 6), 0, 0.22)  # lateral masses over the dens
    post = _blob(c2, [(-w / 2 - 8, top - 10), (-w / 2 - 20, top - 11), (-w / 2 - 30, top - 12),
                      (-w / 2 - 33, top - 5), (-w / 2 - 22, top - 6), (-w / 2 - 9, top - 6)], 40, 0.03)
    p.other_shape(post, 0.3, 0.35, 1.0)
    # Occiput: from the opisthion above the posterior arch, curving up and back (thick, dense).
    # The squama is a curved plate seen edge-on: a thick dense band (inner and outer tables) over
    # a faint posterior cranial fossa.
    sq = shapes.bezier((-w / 2 - 8, top - 22), (-w / 2 - 75, top - 10), (-w / 2 - 85, top - 95), 24)
    p.other_shape(_blob(c2, [sq[0], sq[12], sq[-1], (-w / 2 - 5, top - 80), (-w / 2 + 5, top - 40)], 60, 0.04),
                  0.15, 0.0, 0.0)
    thick = rng.uniform(6, 10)
    p.line(p.other, _frame(c2, sq), thick, 0.45, ss=1)
    for s in (-0.45, 0.45):
        p.line(p.cortex, _frame(c2, sq + s * thick * np.array([0.5, -0.85])), 1.6, 0.35, ss=1)
    # Mastoid over C1, behind the dens: dense with air cells.
    mc = c2.local(-w / 2 - 6, top - 28)
    p.ellipse(p.other, mc, (13, 10), 30, 0.22, ss=1)
    for _ in range(4):
        p.ellipse(p.air, mc + rng.normal(0, 4, 2), (rng.uniform(1.5, 3), rng.uniform(1.5, 3)), 0, -0.12, ss=1)
    # Clivus pointing at the dens tip; basion 4-8 mm above it.
    basion = np.array([0.05 * w, top - 15 - rng.uniform(4, 8)])
    p.line(p.other, _frame(c2, [basion, basion + (22, -40)]), 9, 0.45, ss=1)
    p.line(p.cortex, _frame(c2, [basion + (3, 0), basion + (27, -40)]), 1.5, 0.3, ss=1)
    # Hard palate far in front, at the level of C1.
    pal = np.array([w / 2 + 18, top - 22 + rng.normal(0, 4)])
    p.line(p.other, _frame(c2, [pal, pal + (50, -6)]), 5, 0.4, ss=1)


def _draw_shoulders(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    """Shoulders over C6-T1: two dense soft-tissue masses (left and right, not superimposed) with an
    oblique upper edge, higher behind; clavicles running down and forward across T1."""
    c7 = verts[-2]
    sh = rng.uniform(0.5, 1.3)
    for _ in range(2):
        back_top, front_top = rng.uniform(-25, 5), rng.uniform(0, 30)
        for ramp in (0.0, 7.0, 15.0):  # the shoulder's rounded top gives a soft edge
            band = [c7.local(-140, back_top - 15 + ramp), c7.local(-40, back_top + ramp),
                    c7.local(40, front_top + ramp), c7.local(140, front_top + 20 + ramp), c7.local(140, 200),
                    c7.local(-140, 200)]
            p.poly(p.smooth, shapes.smooth_closed(np.array(band), 80, 0.01), 0.17 * sh, ss=1)
        cl = shapes.bezier(c7.local(-60, rng.uniform(25, 45)), c7.local(0, rng.uniform(30, 45)),
                           c7.local(rng.uniform(40, 70), rng.uniform(45, 70)), 14)
        wid = rng.uniform(8, 12)
        p.line(p.other, cl, wid, 0.08 * sh, ss=1)
        for s in (-0.45, 0.45):
            p.line(p.cortex, cl + s * wid * c7.u, 1.2, 0.08 * sh, ss=1)


def _draw_lumbar_context(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    t12, s1 = verts[0], verts[-1]
    l3 = verts[3]
    n, u = l3.n, l3.u
    # Abdomen: posterior skin ~80 mm behind the bodies, anterior skin far in front.
    body = [t12.local(-110, -150), t12.local(260, -150), s1.local(260, 150), s1.local(-120, 150), l3.local(-95, 0)]
    p.poly(p.soft, shapes.smooth_closed(np.array(body), 80), rng.uniform(2.2, 3.2), ss=1)
    # Psoas and paraspinal muscles: broad, slightly denser bands.
    p.line(p.smooth, np.array([t12.local(0, 0), s1.local(10, -20)]), 45, 0.2, ss=1)
    p.line(p.smooth, np.array([t12.local(-70, -20), s1.local(-70, -30)]), 50, 0.15, ss=1)
    _draw_bowel_gas(p, l3, rng)
    # Ribs over T12/L1: tubes from behind the spine running down and forward, left and right
    # magnified differently; each with cortical edges and a lucent medulla.
    for k in range(int(rng.integers(2, 4))):
        start = t12.local(-t12.width / 2 - 30, -25 - 24 * k + rng.uniform(-5, 5))
        end = start + rng.uniform(80, 120) * n + rng.uniform(50, 80) * u
        rib = shapes.bezier(start, start + 20 * n + 5 * u, end, 16)
        wid = rng.uniform(8, 11)
        p.line(p.other, rib, wid, 0.12, ss=1)
        for s in (-0.4, 0.4):
            p.line(p.cortex, rib + s * wid * u, 1.2, 0.2, ss=1)
    # Iliac wings (two, imperfectly superimposed): thin plates with a dense crest arching over the
    # back of L4-L5, anterior spines in front of S1, down toward the acetabulum.
    for _ in range(2):
        off = rng.normal(0, 5) * n + rng.normal(0, 4) * u
        pts = [s1.local(-70, -20), s1.local(-45, -55), s1.local(-5, -68), s1.local(35, -50), s1.local(55, -20),
               s1.local(50, 20), s1.local(60, 60), s1.local(35, 95), s1.local(5, 85), s1.local(-25, 50),
               s1.local(-55, 30)]
        sm = shapes.smooth_closed(np.array(pts) + off, 90)
        p.poly(p.other, sm, 0.1, ss=1)
        crest = shapes.bezier(s1.local(-70, -18) + off, s1.local(-25, -85) + off, s1.local(55, -22) + off, 20)
        p.line(p.other, crest, 9, 0.12, ss=1)
        p.line(p.cortex, crest, 3, 0.25, ss=1)
        p.line(p.cortex, sm, 1.5, 0.18, closed=True, ss=1)
        # Greater sciatic notch and arcuate line.
        p.line(p.cortex, shapes.bezier(s1.local(-40, 40) + off, s1.local(-10, 55) + off, s1.local(20, 85) + off, 12),
               1.5, 0.2, ss=1)
    for _ in range(2):
        fh = s1.local(45 + rng.normal(0, 5), 105 + rng.normal(0, 5))
        p.dome(p.other, fh, (23, 23), 0, 0.6)


def _draw_bowel_gas(p: Painter, l3: Vertebra, rng: np.random.Generator) -> None:
    """Colon gas: a few tubular segments with haustral folds, and mottled clusters of small bubbles
    (gas in stool), anterior to and over the spine."""
    n, u = l3.n, l3.u
    for _ in range(int(rng.integers(1, 4))):
        c0 = l3.center + rng.uniform(-80, 90) * u + rng.uniform(20, 140) * n
        direc = rng.normal(0, 1, 2)
        direc /= np.linalg.norm(direc)
        path = shapes.bezier(c0, c0 + direc * 50 + rng.normal(0, 20, 2), c0 + direc * 100, 16)
        wid = rng.uniform(14, 30)
        p.line(p.air, path, wid, -rng.uniform(0.15, 0.35), ss=1)
        normal = np.array([-direc[1], direc[0]])
        for t in np.linspace(0.1, 0.9, int(rng.integers(3, 7))):  # haustra: folds across the gas
            q = path[int(t * 15)]
            p.line(p.air, np.array([q - normal * wid * 0.5, q - normal * wid * 0.15]), 2.5, 0.12, ss=1)
            p.line(p.air, np.array([q + normal * wid * 0.5, q + normal * wid * 0.15]), 2.5, 0.12, ss=1)
    for _ in range(int(rng.integers(1, 4))):
        c0 = l3.center + rng.uniform(-60, 100) * u + rng.uniform(10, 130) * n
        for _ in range(int(rng.integers(5, 14))):
            c = c0 + rng.normal(0, 14, 2)
            r = rng.uniform(1.5, 6)
            p.ellipse(p.air, c, (r, r * rng.uniform(0.5, 1.0)), rng.uniform(0, 180), -rng.uniform(0.06, 0.2), ss=1)
