"""Lateral spine radiograph phantom (cervical C2-T1 or lumbar T12-S1) with exact mSASSS truth.

A case is made in three steps, all from one numpy Generator so the same seed gives the same bytes:

1. ``sample_findings`` draws the patient's severity and the findings at every site. Prevalences
   are per unit: per disc level for bridging, per vertebra for squaring, per site for the rest,
   so each is also the expected per-site frequency (the test checks this).
2. ``build_anatomy`` lays the vertebrae on a lordotic/kyphotic curve in millimetres (x anterior,
   y inferior) with random sizes, disc heights, rotation, scale, facing and field of view.
3. ``render_density`` draws the attenuation map (soft tissue, airway or bowel gas, bodies with
   cortex and trabecular texture, posterior elements, skull base and mandible or ribs and pelvis,
   shoulders, lesions, implants); ``xray.acquire`` turns it into stored pixels.

The truth document follows the axspa.spine/1 schema with findings 0/1; grades and the segment
score are computed by the engine (axspa.msasss), never here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage

from axspa.msasss import grade_sites, segment_score
from axspa.phantom import shapes
from axspa.phantom.xray import Acquisition, acquire, sample_acquisition, wide_blur
from axspa.sites import FINDINGS, REGIONS, VERTEBRAE, disc_levels

DEFAULT_PREVALENCE: dict[str, float] = {
    # Expected fraction of sites carrying each finding (bridging per disc level, squaring per vertebra).
    "erosion": 0.06, "sclerosis": 0.06, "squaring": 0.08, "syndesmophyte": 0.10, "bridging": 0.08,
    "osteophyte": 0.04, "other": 0.02, "not_visible": 0.03,
}
# Findings whose frequency scales with the patient's AS severity; the others (degenerative
# osteophytes, "other", obscured corners) do not.
SEVERITY_DRIVEN = ("erosion", "sclerosis", "squaring", "syndesmophyte", "bridging")


@dataclass
class SpineConfig:
    prevalence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PREVALENCE))
    normal_fraction: float = 0.3  # patients without any AS lesion
    implant_prob: float = 0.03  # per image: an anterior plate over one disc level (not_visible)
    cutoff_prob: float = 0.12  # per image: the field of view cuts off the top or bottom site
    size: str = "full"  # "full" (0.1-0.2 mm spacing) or "small" (longest side ~512 px)
    region: str | None = None  # None: cervical and lumbar mixed


# ------------------------------------------------------------------------------------ findings

def _severity_multiplier(rng: np.random.Generator, normal_fraction: float) -> float:
    """Patient-level multiplier with mean 1: zero for normal patients, a skewed spread otherwise,
    so most corners are normal and a few patients are advanced (several bridged levels)."""
    if rng.random() < normal_fraction:
        return 0.0
    return float(rng.beta(0.8, 1.6) * 3.0 / (1.0 - normal_fraction))


def sample_findings(rng: np.random.Generator, region: str, config: SpineConfig) -> dict:
    """Findings 0/1 for every site of ``region`` plus the drawing plan (which lesion where).

    not_visible here covers obscured corners and implants; sites cut off by the field of view are
    added later, from the geometry."""
    prev = {**DEFAULT_PREVALENCE, **config.prevalence}
    m = _severity_multiplier(rng, config.normal_fraction)
    sites = REGIONS[region]
    findings = {s: dict.fromkeys(FINDINGS, 0) for s in sites}
    p = {k: min(prev[k] * (m if k in SEVERITY_DRIVEN else 1.0), 0.95) for k in prev}

    bridged = [lvl for lvl in disc_levels(region) if rng.random() < p["bridging"]]
    bridged_sites = {s for _, a, b in bridged for s in (a, b)}
    squared = [v for v in VERTEBRAE[region] if rng.random() < p["squaring"]]
    for _, a, b in bridged:
        findings[a]["bridging"] = findings[b]["bridging"] = 1
    for v in squared:
        for s in (v + "s", v + "i"):
            if s in findings:
                findings[s]["squaring"] = 1
    # Syndesmophyte and osteophyte are outgrowths of the same corner: drawn only where no bridge
    # is, with probabilities raised so that their overall frequency still equals the prevalence.
    free = max(1.0 - p["bridging"], 1e-6)
    q_syn, q_ost = min(p["syndesmophyte"] / free, 0.95), min(p["osteophyte"] / free, 0.95)
    for s in sites:
        f = findings[s]
        f["erosion"] = int(rng.random() < p["erosion"])
        f["sclerosis"] = int(rng.random() < p["sclerosis"])
        u = rng.random()
        if s not in bridged_sites:
            if u < q_syn:
                f["syndesmophyte"] = 1
            elif u < q_syn + q_ost:
                f["osteophyte"] = 1
        f["other"] = int(rng.random() < p["other"])
        f["not_visible"] = int(rng.random() < p["not_visible"])
    implant = None
    if rng.random() < config.implant_prob:
        implant = disc_levels(region)[int(rng.integers(0, 6))]
        for s in implant[1:]:
            findings[s]["not_visible"] = 1
    return {"findings": findings, "severity": m, "bridged": [lvl[0] for lvl in bridged],
            "squared": squared, "implant": implant[0] if implant else None}


# ------------------------------------------------------------------------------------- anatomy

@dataclass
class Vertebra:
    name: str
    center: np.ndarray  # mm
    u: np.ndarray  # unit axis pointing inferior
    n: np.ndarray  # unit axis pointing anterior
    width: float  # antero-posterior depth of the body
    h_ant: float
    h_post: float
    concavity: float  # depth of the anterior concavity (0 = squared)
    radius: float  # corner rounding
    outline: np.ndarray = None  # (k, 2) mm
    ant_sup: np.ndarray = None  # truth corner points on the rounded corners (mm)
    ant_inf: np.ndarray = None

    def local(self, a: float, b: float) -> np.ndarray:
        """Point at a mm anterior and b mm inferior of the centre, in the vertebra's frame."""
        return self.center + a * self.n + b * self.u


# Body depth (AP), height, following disc height (mm) for an average adult.
_DIMS = {
    "C2": (16, 20, 5.0), "C3": (16, 14, 5.5), "C4": (16.5, 14, 5.5), "C5": (17, 14, 6), "C6": (17.5, 14.5, 6),
    "C7": (18, 15.5, 5.5), "T1": (19, 17, 4.5),
    "T12": (31, 25, 7), "L1": (33, 26, 8), "L2": (35, 27, 9.5), "L3": (37, 28, 10.5), "L4": (38, 28, 11.5),
    "L5": (38, 27, 11), "S1": (40, 26, 0),
}


def build_anatomy(rng: np.random.Generator, region: str, plan: dict) -> dict:
    """Vertebrae on a curved centreline, in mm (x anterior, y inferior, origin at the top vertebra)."""
    names = VERTEBRAE[region]
    scale = rng.uniform(0.85, 1.15)
    lordosis = rng.normal(25, 15) if region == "cervical" else rng.normal(48, 12)
    lordosis = float(np.clip(lordosis, -15, 60) if region == "cervical" else np.clip(lordosis, 15, 75))
    dims = []
    for nm in names:
        w, h, d = _DIMS[nm]
        dims.append((w * scale * rng.uniform(0.93, 1.07), h * scale * rng.uniform(0.92, 1.08),
                     d * scale * rng.uniform(0.6, 1.25)))
    length = sum(h for _, h, _ in dims) + sum(d for _, _, d in dims[:-1])
    # Integrate the centreline: the tangent turns posteriorly going down (lordosis > 0). Cervical
    # lordosis is spread evenly; lumbar lordosis is concentrated low (L4-S1), the thoracolumbar
    # junction is nearly straight.
    step = 0.5
    s = np.arange(0, length + 40, step)
    power = 0.0 if region == "cervical" else 1.5
    curvature = (np.clip(s / length, 0, 1.05) + 0.05) ** power
    turn = np.cumsum(curvature) * step
    turn *= np.deg2rad(lordosis) / turn[min(int(length * 0.92 / step), len(turn) - 1)]
    phi = -turn + turn[min(int(length * 0.5 / step), len(turn) - 1)] + rng.normal(0, 0.03)
    phi += 0.02 * np.sin(s / length * np.pi * rng.uniform(1, 2.5) + rng.uniform(0, 6))
    pts = np.cumsum(np.stack([np.sin(phi), np.cos(phi)], axis=1) * step, axis=0)
    verts = []
    pos = dims[0][1] / 2
    for k, nm in enumerate(names):
        w, h, d = dims[k]
        i = min(int(pos / step), len(s) - 1)
        ph = phi[i] + rng.normal(0, 0.025)
        if nm == "S1":
            ph -= np.deg2rad(rng.uniform(0, 12))  # the sacrum tilts more than the lumbar curve
        u = np.array([np.sin(ph), np.cos(ph)])
        n = np.array([np.cos(ph), -np.sin(ph)])
        wedge = rng.normal(0, 0.03) * h
        if region == "lumbar" and nm in ("L5", "S1"):
            wedge += 0.06 * h  # L5 is taller in front
        squared = nm in plan["squared"]
        conc = 0.0 if squared else h * rng.uniform(0.05, 0.08)
        radius = (0.5 if squared else 1.0) * (1.2 if region == "cervical" else 2.2) * scale
        v = Vertebra(nm, pts[i].copy(), u, n, w, h + wedge / 2, h - wedge / 2, conc, radius)
        _body_outline(v)
        verts.append(v)
        pos += h / 2 + d + (dims[k + 1][1] / 2 if k + 1 < len(dims) else 0)
    return {"vertebrae": verts, "scale": scale, "lordosis_deg": lordosis}


def _body_outline(v: Vertebra) -> None:
    """Outline of a vertebral body with concave endplates and anterior border and rounded corners;
    the truth corner points are the apexes of the two anterior roundings (on the cortex)."""
    w, ha, hp = v.width, v.h_ant, v.h_post
    corners = [np.array(c) for c in ((w / 2, -ha / 2), (w / 2, ha / 2), (-w / 2, hp / 2), (-w / 2, -hp / 2))]
    # Inward bulge per edge (anterior, inferior, posterior, superior), in the local (a, b) frame.
    inward = [np.array((-1.0, 0)), np.array((0, -1.0)), np.array((1.0, 0)), np.array((0, 1.0))]
    depth = [v.concavity, 0.035 * w, 0.03 * ha, 0.035 * w]
    r = v.radius
    pts = []
    apex = []
    for e in range(4):
        p, q = corners[e], corners[(e + 1) % 4]
        length = np.hypot(*(q - p))
        tr = min(r / length, 0.3)
        t = np.linspace(tr, 1 - tr, 12)[:, None]
        pts.append(p + (q - p) * t + inward[e] * depth[e] * np.sin(np.pi * t))
        # Fillet at corner q between this edge and the next, control point the corner itself.
        nq = corners[(e + 2) % 4]
        a = pts[-1][-1]
        b = q + (nq - q) * min(r / np.hypot(*(nq - q)), 0.3)
        pts.append(shapes.bezier(a, q, b, 6)[1:-1])
        apex.append(0.25 * a + 0.5 * q + 0.25 * b)
    local = np.vstack(pts)
    to_mm = lambda ab: v.center + ab[..., :1] * v.n + ab[..., 1:2] * v.u  # noqa: E731
    v.outline = to_mm(local)
    # apex[e] is at corner (e+1): apex[0] = AI corner, apex[3] = AS corner.
    v.ant_inf = to_mm(apex[0][None])[0]
    v.ant_sup = to_mm(apex[3][None])[0]


# ------------------------------------------------------------------------------------- layout

@dataclass
class Layout:
    """Mapping of anatomy millimetres to image pixels, and the image grid."""

    matrix: np.ndarray  # 2x3: px = A @ mm + t
    shape: tuple[int, int]
    spacing: float  # mm per pixel (square pixels)
    rotation_deg: float
    facing: str  # "right" or "left": where the patient's anterior points on the image

    def px(self, mm: np.ndarray) -> np.ndarray:
        return shapes.transform_points(np.atleast_2d(mm), self.matrix)

    def len(self, mm: float) -> float:
        return mm / self.spacing


def plan_layout(rng: np.random.Generator, region: str, anatomy: dict, config: SpineConfig) -> tuple[Layout, str]:
    """Rotation, facing, field of view and spacing; maybe cut off the top or bottom site."""
    verts = anatomy["vertebrae"]
    rot = float(np.clip(rng.normal(0, 7), -20, 20))
    facing = "right" if rng.random() < 0.5 else "left"
    flip = 1.0 if facing == "right" else -1.0
    c, s = np.cos(np.deg2rad(rot)), np.sin(np.deg2rad(rot))
    rmat = np.array([[c, -s], [s, c]]) @ np.diag([flip, 1.0])
    corners = np.array([p for v in verts for p in (v.ant_sup, v.ant_inf, v.center)])
    cr = corners @ rmat.T
    top, bottom = cr[:, 1].min(), cr[:, 1].max()
    left, right = cr[:, 0].min(), cr[:, 0].max()
    m_top = rng.uniform(25, 60) if region == "cervical" else rng.uniform(15, 45)
    m_bot = rng.uniform(15, 45)
    fov_h = float(np.clip(bottom - top + m_top + m_bot, 150, 360))
    fov_w = float(np.clip(fov_h * rng.uniform(0.7, 0.95), 140, 300))
    cutoff = None
    if rng.random() < config.cutoff_prob:
        cutoff = "top" if rng.random() < 0.5 else "bottom"
        shift = rng.uniform(2, 14)
        if cutoff == "top":
            m_top = -shift
        else:
            m_bot = -shift
            m_top = fov_h - (bottom - top) + shift
    if config.size == "small":
        spacing = max(fov_h, fov_w) / 512
    else:
        spacing = max(rng.uniform(0.1, 0.2), max(fov_h, fov_w) / 2000)
    spacing = float(round(spacing, 4))
    shape = (int(round(fov_h / spacing)), int(round(fov_w / spacing)))
    # Spine column placed off centre toward the posterior side (soft tissue lies anterior).
    x_mid = (left + right) / 2
    x_off = rng.uniform(-0.12, 0.05) * fov_w * flip
    t_mm = np.array([fov_w / 2 - x_mid - x_off, m_top - top])
    a = rmat / spacing
    matrix = np.hstack([a, (t_mm / spacing)[:, None]])
    return Layout(matrix, shape, spacing, rot, facing), cutoff


# ----------------------------------------------------------------------------------- rendering

class Painter:
    """Draws anatomy given in mm into the layers of the attenuation map."""

    def __init__(self, layout: Layout):
        self.lay = layout
        h, w = layout.shape
        self.soft = np.zeros((h, w), np.float32)
        self.bone = np.zeros((h, w), np.float32)
        self.cortex = np.zeros((h, w), np.float32)
        self.body = np.zeros((h, w), np.float32)  # vertebral bodies: the only layer erosions carve
        self.body_cortex = np.zeros((h, w), np.float32)
        self.carve = np.zeros((h, w), np.float32)
        self.smooth = np.zeros((h, w), np.float32)  # soft-tissue shadows blurred by several mm
        self.haze = np.zeros((h, w), np.float32)  # diffuse bone (sclerosis) blurred by about 1 mm
        self.metal = np.zeros((h, w), np.float32)
        self.blurs: list = []  # (centre px, radius px, sigma px) of locally blurred corners

    def poly(self, layer: np.ndarray, mm: np.ndarray, value: float, ss: int = 3) -> None:
        shapes.fill_polygon(layer, self.lay.px(mm), value, ss=ss)

    def line(self, layer: np.ndarray, mm: np.ndarray, width_mm: float, value: float, closed: bool = False) -> None:
        shapes.stroke_polyline(layer, self.lay.px(mm), max(self.lay.len(width_mm), 0.7), value, closed=closed)

    def ellipse(self, layer: np.ndarray, c, radii, angle: float, value: float, ss: int = 3) -> None:
        self.poly(layer, shapes.ellipse_points(c, radii, angle, 40), value, ss=ss)

    def bone_shape(self, mm: np.ndarray, fill: float, rim: float, rim_mm: float, body: bool = False) -> None:
        self.poly(self.body if body else self.bone, mm, fill)
        if rim:
            self.line(self.body_cortex if body else self.cortex, mm, rim_mm, rim, closed=True)

    def dome(self, layer: np.ndarray, c, radii, angle: float, value: float, rings: int = 4) -> None:
        """A rounded bone (femoral or humeral head) projects thicker in the middle: nested ellipses
        whose values add up to a sqrt(1 - r^2) profile."""
        fr = np.linspace(1.0, 0.25, rings)
        prof = np.sqrt(1 - np.append(fr[1:], 0.0) ** 2) - np.sqrt(1 - fr ** 2)
        for f, dv in zip(fr, prof):
            self.ellipse(layer, c, (radii[0] * f, radii[1] * f), angle, value * dv, ss=1)


def _frame(v: Vertebra, a: np.ndarray) -> np.ndarray:
    """Local (a, b) points -> mm."""
    a = np.asarray(a, dtype=float)
    return v.center + a[:, :1] * v.n + a[:, 1:2] * v.u


def _posterior_elements(p: Painter, v: Vertebra, region: str, rng: np.random.Generator) -> None:
    w, h = v.width, (v.h_ant + v.h_post) / 2
    cerv = region == "cervical"
    ped = 0.35 * w if cerv else 0.4 * w
    back = -w / 2
    # Pedicle, from the upper posterior body.
    p.bone_shape(_frame(v, [(back + 1, -0.42 * h), (back - ped, -0.38 * h), (back - ped, 0.02 * h),
                            (back + 1, -0.05 * h)]), 0.35, 0.15, 0.6)
    # Articular pillar / facets: a tilted parallelogram spanning the disc.
    fx = back - ped
    fw = 0.4 * w if cerv else 0.25 * w
    if cerv:  # articular pillar: a parallelogram spanning the disc
        facet = [(fx + 1, -0.6 * h), (fx - fw, -0.45 * h), (fx - fw, 0.7 * h), (fx + 1, 0.55 * h)]
    else:  # superior and inferior articular processes meeting at the facet joint
        facet = [(fx + 1, -0.75 * h), (fx - fw, -0.6 * h), (fx - fw, 0.1 * h), (fx - 0.5 * fw, 0.6 * h),
                 (fx - 0.1 * fw, 0.65 * h), (fx + 1, 0.1 * h)]
    p.bone_shape(shapes.smooth_closed(_frame(v, facet), 40), 0.35 if cerv else 0.25, 0.25, 0.8)
    # Lamina and spinous process, pointing posteriorly and down.
    sp = (0.9 if cerv else 0.95) * w * rng.uniform(0.85, 1.15)
    if v.name in ("C7", "T1"):
        sp *= 1.5
    if v.name == "C2":
        sp *= 1.2
    drop = (0.6 if cerv else 0.25) * h
    tip_h = (0.18 if cerv else 0.45) * h
    p.bone_shape(_frame(v, [(fx - fw * 0.6, -0.2 * h), (fx - fw - sp, drop - tip_h / 2),
                            (fx - fw - sp - 1, drop + tip_h / 2), (fx - fw * 0.6, 0.5 * h)]), 0.3, 0.3, 0.8)
    if not cerv and v.name != "S1":
        # Transverse process seen end-on over the pedicle: a faint oval.
        p.ellipse(p.bone, _frame(v, [(back - ped * 0.7, -0.15 * h)])[0], (0.3 * w, 0.17 * h),
                  np.rad2deg(np.arctan2(v.u[1], v.u[0])) + 90, 0.18)


def _draw_vertebra(p: Painter, v: Vertebra, region: str, rng: np.random.Generator) -> None:
    rim = 1.0 if region == "cervical" else 1.4
    p.bone_shape(v.outline, 0.4 if region == "cervical" else 0.5, 0.6, rim, body=True)
    if v.name == "C2":
        # Dens: a rounded column rising from the body, slightly posterior and tilted back.
        w, h = v.width, v.h_ant
        dens = shapes.rounded_quad(_frame(v, [(0.3 * w, -h / 2 + 1), (0.25 * w, -h / 2 - 14), (-0.3 * w, -h / 2 - 15),
                                               (-0.35 * w, -h / 2 + 1)]), 3.5)
        p.bone_shape(dens, 0.6, 0.5, 1.0)
    if v.name == "S1":
        # The rest of the sacrum curves posteriorly below S1, tapering to the coccyx.
        w, h = v.width, v.h_ant
        pts = [(w / 2, h / 2), (0.4 * w, 1.6 * h), (0.1 * w, 2.7 * h), (-0.2 * w, 3.4 * h), (-0.5 * w, 3.3 * h),
               (-0.65 * w, 2.4 * h), (-0.7 * w, 1.4 * h), (-w / 2, h / 2)]
        p.bone_shape(shapes.smooth_closed(_frame(v, pts), 60), 0.55, 0.4, 1.5)
    _posterior_elements(p, v, region, rng)


def _draw_cervical_context(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    c2, t1 = verts[0], verts[-1]
    n, u = c2.n, c2.u
    top = c2.center - 35 * u
    w = c2.width
    # Neck soft tissue: posterior skin ~55 mm behind the bodies, anterior skin ~45 mm in front.
    neck = [c2.center - 120 * u - 70 * n, c2.center - 120 * u + 95 * n, c2.center - 10 * u + 70 * n,
            t1.center + 10 * u + 48 * t1.n, t1.center + 80 * u + 70 * t1.n, t1.center + 80 * u - 95 * t1.n,
            c2.center - 60 * n]
    p.poly(p.soft, shapes.smooth_closed(np.array(neck), 80), rng.uniform(1.0, 1.5), ss=1)
    # Airway: pharynx then trachea, anterior to the spine; thin prevertebral tissue high, thicker low.
    air = []
    for v in verts:
        gap = 4 + (v.center[1] - c2.center[1]) * 0.08
        air.append(v.local(v.width / 2 + gap + 7, 0))
    air = np.array([c2.center - 40 * u + (w / 2 + 12) * n] + air + [t1.center + 60 * u + (t1.width / 2 + 22) * t1.n])
    p.line(p.smooth, air, rng.uniform(10, 16), -rng.uniform(0.3, 0.5))
    # Skull base: occiput above and behind C1, clivus pointing at the dens, mastoid.
    occ = [top - 30 * n - 5 * u, top - 75 * n + 5 * u, top - 90 * n - 40 * u, top - 10 * n - 60 * u,
           top + 5 * n - 30 * u]
    p.bone_shape(shapes.smooth_closed(np.array(occ), 60), 1.0, 0.5, 2.0)
    p.ellipse(p.bone, top - 22 * n - 12 * u, (14, 10), 20, 0.6)
    # C1: anterior arch (a ring in front of the dens) and posterior arch.
    p.ellipse(p.bone, top + (w / 2 + 4) * n + 8 * u, (4.5, 5.5), 0, 0.5)
    p.line(p.cortex, shapes.ellipse_points(top + (w / 2 + 4) * n + 8 * u, (4.5, 5.5), 0, 24), 1.0, 0.6,
           closed=True)
    p.ellipse(p.bone, top - (w + 22) * n + 10 * u, (12, 4.5), 15, 0.55)
    # Mandible: ramus and body, overlapping C2-C3 anteriorly, and the hard palate above.
    ang = top + (w / 2 + rng.uniform(12, 25)) * n + rng.uniform(18, 32) * u
    ramus = [ang, ang - 45 * u + 5 * n]
    body = shapes.bezier(ang, ang + 30 * n + 8 * u, ang + 70 * n - 10 * u, 12)
    p.line(p.bone, np.array(ramus), 7, 0.4)
    p.line(p.bone, body, 9, 0.45)
    p.line(p.cortex, body + 4 * u, 1.5, 0.5)
    p.line(p.bone, np.array([top - 50 * u + 5 * n, top - 45 * u + 70 * n]), 8, 0.5)
    # Hyoid at C3-C4, in front of the airway.
    hy = verts[2].local(verts[2].width / 2 + 28, -5)
    p.ellipse(p.bone, hy, (7, 2.5), 10, 0.45)
    # Shoulders over C7/T1: humeral heads and clavicles in a lot of soft tissue.
    sh = rng.uniform(0.4, 1.4)
    c7 = verts[-2]
    for k in range(2):
        cc = c7.local(rng.uniform(-30, 10), rng.uniform(10, 40))
        p.ellipse(p.smooth, cc + 15 * u, (rng.uniform(70, 100), rng.uniform(45, 65)), rng.uniform(-20, 20), 0.6 * sh, 1)
        p.dome(p.bone, cc - rng.uniform(0, 15) * n + 25 * u, (24, 24), 0, 0.5 * sh)
        cl = shapes.bezier(c7.local(rng.uniform(20, 40), rng.uniform(10, 25) + 8 * k), c7.local(-10, -5),
                           c7.local(-70, rng.uniform(-5, 15)), 10)
        p.line(p.bone, cl, rng.uniform(8, 12), 0.2 * sh)
        p.line(p.cortex, cl, 1.5, 0.15 * sh)


def _draw_lumbar_context(p: Painter, verts: list[Vertebra], rng: np.random.Generator) -> None:
    t12, s1 = verts[0], verts[-1]
    l3 = verts[3]
    n, u = l3.n, l3.u
    # Abdomen: posterior skin ~80 mm behind the bodies, anterior skin far in front.
    body = [t12.center - 150 * u - 110 * n, t12.center - 150 * u + 260 * n, s1.center + 150 * u + 260 * n,
            s1.center + 150 * u - 120 * n, l3.center - 95 * n]
    p.poly(p.soft, shapes.smooth_closed(np.array(body), 80), rng.uniform(2.2, 3.2), ss=1)
    # Psoas and paraspinal muscles: slightly denser bands.
    p.line(p.smooth, np.array([t12.local(0, 0), s1.local(10, -20)]), 45, 0.25)
    # Bowel gas: dark irregular blobs anterior to the spine.
    for _ in range(int(rng.integers(3, 12))):
        c = l3.center + rng.uniform(-0.5, 1.5) * 100 * u * 0.8 + rng.uniform(30, 140) * n
        p.ellipse(p.smooth, c, (rng.uniform(6, 25), rng.uniform(5, 15)), rng.uniform(0, 180), -rng.uniform(0.3, 0.8), 1)
    # Ribs around T12/L1: tubular bands from behind the spine, running down and forward.
    for k in range(int(rng.integers(2, 4))):
        start = t12.local(-t12.width / 2 - 30, -25 - 24 * k + rng.uniform(-5, 5))
        end = start + rng.uniform(80, 120) * n + rng.uniform(50, 80) * u
        rib = shapes.bezier(start, start + 20 * n + 5 * u, end, 16)
        wid = rng.uniform(8, 11)
        p.line(p.bone, rib, wid, 0.2)
        p.line(p.cortex, rib + 0.4 * wid * u, 1.2, 0.3)
        p.line(p.cortex, rib - 0.4 * wid * u, 1.2, 0.3)
    # Iliac wings (two, imperfectly superimposed): crest arching over L4-L5 behind the bodies,
    # anterior spines in front of S1, down to the acetabulum and femoral heads.
    for _ in range(2):
        off = rng.normal(0, 5) * n + rng.normal(0, 4) * u
        pts = [s1.local(-70, -20), s1.local(-45, -55), s1.local(-5, -68), s1.local(35, -50), s1.local(55, -20),
               s1.local(50, 20), s1.local(60, 60), s1.local(35, 95), s1.local(5, 85), s1.local(-25, 50),
               s1.local(-55, 30)]
        sm = shapes.smooth_closed(np.array(pts) + off, 90)
        p.poly(p.bone, sm, 0.22)
        crest = shapes.bezier(s1.local(-70, -18) + off, s1.local(-25, -85) + off, s1.local(55, -22) + off, 20)
        p.line(p.cortex, crest, 5, 0.3)
        p.line(p.cortex, sm, 1.5, 0.25, closed=True)
    for _ in range(2):
        fh = s1.local(45 + rng.normal(0, 5), 105 + rng.normal(0, 5))
        p.dome(p.bone, fh, (23, 23), 0, 0.9)


def _corner_frame(v: Vertebra, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(corner point, anterior unit, unit toward the disc) for the 's' or 'i' corner."""
    if which == "s":
        return v.ant_sup, v.n, -v.u
    return v.ant_inf, v.n, v.u


def _draw_lesions(p: Painter, verts: list[Vertebra], region: str, plan: dict, rng: np.random.Generator) -> None:
    by_name = {v.name: v for v in verts}
    k = 1.0 if region == "lumbar" else 0.55  # lesion size relative to lumbar
    findings = plan["findings"]
    implant_sites = {s for name, *pair in disc_levels(region) if name == plan["implant"] for s in pair}
    for site, f in findings.items():
        v = by_name[site[:-1]]
        P, n, d = _corner_frame(v, site[-1])
        if f["erosion"]:
            # An irregular notch through the cortex of the corner: two overlapping bites.
            for _ in range(2):
                r = rng.uniform(1.5, 2.6) * k
                c = P - rng.uniform(0.3, 0.7) * r * n - rng.uniform(0.3, 0.7) * r * d + rng.normal(0, 0.3, 2) * k
                p.ellipse(p.carve, c, (r, r * rng.uniform(0.6, 1.0)), rng.uniform(0, 180), 0.8)
        if f["sclerosis"]:
            # Dense bone filling the corner, fading toward the centre of the body.
            a, b = rng.uniform(5, 9) * k, rng.uniform(4, 7) * k
            c = P - 0.5 * a * n - 0.5 * b * d
            ang = np.rad2deg(np.arctan2(n[1], n[0]))
            for frac in (1.0, 0.8, 0.6, 0.4):
                p.ellipse(p.haze, c + 0.3 * (1 - frac) * (a * n + b * d), (0.5 * a * frac, 0.5 * b * frac), ang, 0.25)
        if f["syndesmophyte"]:
            gap = _disc_gap(v, site, by_name, region)
            length = gap * rng.uniform(0.4, 0.7)
            tip = P + d * length + n * rng.uniform(0.5, 1.5) * k
            curve = shapes.bezier(P - 0.5 * d * k, P + d * length * 0.5 + n * 1.2 * k, tip, 12)
            p.line(p.bone, curve, rng.uniform(1.0, 1.6) * k, 0.9)
        if f["osteophyte"]:
            length = rng.uniform(3, 6) * k
            base = 4 * k
            tip = P + n * length + d * length * 0.35
            beak = np.array([P - d * 0.5 - n * 0.5, P - d * base, tip, P + d * 0.8 * k])
            p.poly(p.bone, beak, 0.7)
        if f["other"]:
            # Paravertebral ossification: anterior to the disc, separate from the corner.
            c = P + n * rng.uniform(4, 6) * k + d * 3 * k
            p.ellipse(p.bone, c, (5 * k, 1.3 * k), np.rad2deg(np.arctan2(d[1], d[0])), 0.8)
        if f["not_visible"] and site not in implant_sites:
            _obscure(p, P, k, rng)
    for name in plan["bridged"]:
        upper, lower = by_name[name.split("/")[0]], by_name[_lower_name(name)]
        a, b = upper.ant_inf, lower.ant_sup
        mid = (a + b) / 2 + (upper.n + lower.n) / 2 * rng.uniform(1.0, 2.5) * k
        curve = shapes.bezier(a - upper.u * 2 * k, mid, b + lower.u * 2 * k, 16)
        p.line(p.bone, curve, rng.uniform(1.8, 3.0) * k, 0.9)
        p.line(p.cortex, curve, 0.8 * k, 0.4)
    if plan["implant"]:
        _draw_implant(p, by_name, plan["implant"], k, rng)


def _lower_name(level: str) -> str:
    upper, lower = level.split("/")
    return lower if not lower[0].isdigit() else upper[0] + lower


def _disc_gap(v: Vertebra, site: str, by_name: dict, region: str) -> float:
    """Anterior disc height next to a corner (mm)."""
    for _name, upper, lower in disc_levels(region):
        if site in (upper, lower):
            a = by_name[upper[:-1]].ant_inf
            b = by_name[lower[:-1]].ant_sup
            return float(np.hypot(*(b - a)))
    return 5.0


def _obscure(p: Painter, P: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """Make a corner unreadable: a dense superimposed shadow (bowel contents, shoulder, overlap), or
    a local blur (motion, a structure out of the focal plane) applied after drawing."""
    r = rng.uniform(6, 10) * k
    if rng.random() < 0.5:
        p.ellipse(p.smooth, P + rng.normal(0, 1.0, 2) * k, (r, r * 0.9), rng.uniform(0, 180), 1.8)
        p.ellipse(p.carve, P, (r * 0.6, r * 0.6), 0, 0.6)
    else:
        p.blurs.append((p.lay.px(P)[0], p.lay.len(r * 1.3), p.lay.len(rng.uniform(1.5, 2.5) * k)))


def _apply_local_blurs(density: np.ndarray, blurs: list) -> None:
    """Blend a blurred copy into discs around obscured corners (in place), with a soft edge."""
    h, w = density.shape
    for (x, y), radius, sigma in blurs:
        x0, y0 = max(int(x - 2 * radius), 0), max(int(y - 2 * radius), 0)
        x1, y1 = min(int(x + 2 * radius) + 1, w), min(int(y + 2 * radius) + 1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        tile = density[y0:y1, x0:x1]
        yy, xx = np.mgrid[y0:y1, x0:x1]
        weight = np.clip(1.5 - np.hypot(xx - x, yy - y) / radius, 0, 1).astype(np.float32)
        density[y0:y1, x0:x1] = tile + weight * (ndimage.gaussian_filter(tile, sigma) - tile)


def _draw_implant(p: Painter, by_name: dict, level: str, k: float, rng: np.random.Generator) -> None:
    upper, lower = by_name[level.split("/")[0]], by_name[_lower_name(level)]
    a = upper.local(upper.width / 2 + 1.5 * k, -0.1 * upper.h_ant)
    b = lower.local(lower.width / 2 + 1.5 * k, 0.1 * lower.h_ant)
    p.line(p.metal, np.array([a, b]), 2.5 * k, 6.0)
    for v, pt in ((upper, a), (lower, b)):
        p.line(p.metal, np.array([pt, pt - v.n * 0.6 * v.width]), 3.0 * k, 5.0)
    cage = (upper.ant_inf + lower.ant_sup) / 2 - upper.n * 0.3 * upper.width
    p.ellipse(p.metal, cage, (0.3 * upper.width, 0.25 * _gap(upper, lower)), 0, 3.0)


def _gap(upper: Vertebra, lower: Vertebra) -> float:
    return float(np.hypot(*(lower.ant_sup - upper.ant_inf)))


def trabecular_texture(rng: np.random.Generator, shape: tuple[int, int], spacing: float, rot_deg: float) -> np.ndarray:
    """Multiplicative texture around 1: fine streaks along the spine axis, like trabeculae."""
    h, w = shape
    f = 2 if spacing < 0.25 else 1  # make it at half resolution: the pattern is smoother than a pixel
    noise = rng.standard_normal((h // f + 1, w // f + 1), dtype=np.float32)
    sig_long, sig_short = 0.9 / spacing / f, 0.3 / spacing / f
    t = ndimage.gaussian_filter(noise, (sig_long, sig_short) if abs(rot_deg) < 45 else (sig_short, sig_long))
    t /= t.std() + 1e-6
    if f > 1:
        t = np.repeat(np.repeat(t, f, axis=0), f, axis=1)
    return (1.0 + 0.14 * np.tanh(t[:h, :w])).astype(np.float32)


def render_density(rng: np.random.Generator, region: str, anatomy: dict, layout: Layout,
                   plan: dict) -> tuple[np.ndarray, np.ndarray]:
    """The noiseless attenuation map of the case, and the vertebral bodies alone (for checks)."""
    p = Painter(layout)
    verts = anatomy["vertebrae"]
    if region == "cervical":
        _draw_cervical_context(p, verts, rng)
    else:
        _draw_lumbar_context(p, verts, rng)
    for v in verts:
        _draw_vertebra(p, v, region, rng)
    _draw_lesions(p, verts, region, plan, rng)
    tex = trabecular_texture(rng, layout.shape, layout.spacing, layout.rotation_deg)
    body = (p.body * tex + p.body_cortex) * (1.0 - np.clip(p.carve, 0, 0.9))
    smooth = wide_blur(p.smooth, 2.0 / layout.spacing) if p.smooth.any() else 0.0
    haze = ndimage.gaussian_filter(p.haze, 1.0 / layout.spacing) if p.haze.any() else 0.0
    density = ndimage.gaussian_filter(p.soft, 1.0) + smooth + haze + p.bone * tex + p.cortex + body + p.metal
    _apply_local_blurs(density, p.blurs)
    return density, p.body


# ---------------------------------------------------------------------------------------- case

@dataclass
class SpineCase:
    case_id: str
    region: str
    pixels: np.ndarray  # stored values
    presentation: np.ndarray  # [0, 1], bone bright, what the montage shows
    density: np.ndarray  # noiseless attenuation map
    bodies: np.ndarray  # the vertebral bodies alone, noiseless (tests check truth points against it)
    acquisition: Acquisition
    layout: Layout
    truth: dict


def make_spine_case(case_id: str, seed: int, index: int, config: SpineConfig | None = None) -> SpineCase:
    """Everything of one case from np.random.default_rng([seed, index]) (independent of --n)."""
    config = config or SpineConfig()
    rng = np.random.default_rng([seed, index, 1])
    region = config.region or ("cervical" if rng.random() < 0.5 else "lumbar")
    plan = sample_findings(rng, region, config)
    anatomy = build_anatomy(rng, region, plan)
    layout, cutoff = plan_layout(rng, region, anatomy, config)
    density, bodies = render_density(rng, region, anatomy, layout, plan)
    markers = [str(rng.choice(["L", "R"]))] + (["LAT", "ERECT", "STANDING"][int(rng.integers(0, 3)):][:1]
                                               if rng.random() < 0.5 else [])
    acq = sample_acquisition(rng, layout.shape, layout.spacing, markers)
    pixels, pres = acquire(density, acq, rng)
    truth = build_truth(case_id, region, anatomy, layout, plan, acq, cutoff, seed, index)
    return SpineCase(case_id, region, pixels, pres, density, bodies, acq, layout, truth)


def _in_field(pt: np.ndarray, acq: Acquisition, margin: float) -> bool:
    x0, y0, x1, y1 = acq.collimation
    return bool(x0 + margin <= pt[0] <= x1 - 1 - margin and y0 + margin <= pt[1] <= y1 - 1 - margin)


def build_truth(case_id: str, region: str, anatomy: dict, layout: Layout, plan: dict, acq: Acquisition,
                cutoff: str | None, seed: int, index: int) -> dict:
    """The axspa.spine/1 truth document (input sha256 is filled in when the DICOM is written)."""
    sp = layout.spacing
    warnings: list[str] = []
    margin = 2.0 / sp  # a corner closer than 2 mm to the edge of the exposed field is not readable
    by_name = {v.name: v for v in anatomy["vertebrae"]}
    findings = {s: dict(f) for s, f in plan["findings"].items()}
    sites = []
    for s in REGIONS[region]:
        v = by_name[s[:-1]]
        pt = layout.px(v.ant_sup if s.endswith("s") else v.ant_inf)[0]
        inside = _in_field(pt, acq, 0.0)
        if not _in_field(pt, acq, margin):
            findings[s]["not_visible"] = 1
        if not inside:
            warnings.append(f"{s}: the corner lies outside the exposed field (cut off)")
        sites.append({"id": s, "point": _pt(pt) if inside else None,
                      "point_mm": _pt(pt * sp) if inside else None, "findings": findings[s]})
    grades = grade_sites(findings)
    for site in sites:
        site["grade"] = grades[site["id"]]
        site["confidence"] = 1.0
    vertebrae = []
    for v in anatomy["vertebrae"]:
        vertebrae.append({"name": v.name, "anterior_superior": _pt(layout.px(v.ant_sup)[0]),
                          "anterior_inferior": _pt(layout.px(v.ant_inf)[0]), "center": _pt(layout.px(v.center)[0])})
    h, w = layout.shape
    return {
        "schema": "axspa.spine/1",
        "input": {"path": f"{case_id}.dcm", "sha256": "", "rows": h, "columns": w,
                  "pixel_spacing_mm": [sp, sp], "photometric": acq.photometric},
        "region": region,
        "model": {"landmarks": "phantom-truth", "corners": "phantom-truth"},
        "vertebrae": vertebrae,
        "sites": sites,
        "score": segment_score(grades, region).to_dict(),
        "warnings": warnings,
        "phantom": {"generator": "axspa.phantom.spine", "seed": seed, "index": index,
                    "severity_multiplier": round(plan["severity"], 4), "bridged_levels": plan["bridged"],
                    "squared_vertebrae": plan["squared"], "implant_level": plan["implant"], "cutoff": cutoff,
                    "rotation_deg": round(layout.rotation_deg, 3), "facing": layout.facing,
                    "scale": round(anatomy["scale"], 4), "lordosis_deg": round(anatomy["lordosis_deg"], 2),
                    "acquisition": acq.to_dict()},
    }


def _pt(p: np.ndarray) -> list[float]:
    return [round(float(p[0]), 2), round(float(p[1]), 2)]


def write_spine_case(case: SpineCase, out_dir: Path) -> dict:
    """Write <id>.dcm and <id>.truth.json; returns the truth document."""
    from axspa.io.dicom_write import write_radiograph_dicom

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dcm = out_dir / f"{case.case_id}.dcm"
    sp = case.layout.spacing
    acq = case.acquisition
    write_radiograph_dicom(
        dcm, case.pixels, spacing_mm=(sp, sp), photometric=acq.photometric, modality=acq.modality,
        bits_stored=acq.bits_stored, body_part="CSPINE" if case.region == "cervical" else "LSPINE",
        view_position="LL" if case.layout.facing == "left" else "RL", spacing_tag=acq.spacing_tag,
        patient_id=case.case_id.upper(), seed_uid_from=f"axspa-phantom-{case.case_id}-{case.truth['phantom']['seed']}",
        extra={"SeriesDescription": f"{case.region.upper()} SPINE LAT", "ProtocolName": "PHANTOM",
               "BurnedInAnnotation": "YES" if acq.markers else "NO"})
    truth = dict(case.truth)
    truth["input"] = {**truth["input"], "sha256": hashlib.sha256(dcm.read_bytes()).hexdigest()}
    (out_dir / f"{case.case_id}.truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth
