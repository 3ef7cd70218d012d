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
score are computed by the engine (axspa.spine.rules), never here.
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
from axspa.phantom.xray import Acquisition, acquire, sample_acquisition, wide_blur
from axspa.spine.rules import grade_sites, segment_score
from axspa.spine.sites import FINDINGS, REGIONS, VERTEBRAE, disc_levels

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
    sup_plate: np.ndarray = None  # superior and inferior endplates, anterior to posterior (mm)
    inf_plate: np.ndarray = None

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
    plates = []
    for e in range(4):
        p, q = corners[e], corners[(e + 1) % 4]
        length = np.hypot(*(q - p))
        tr = min(r / length, 0.3)
        t = np.linspace(tr, 1 - tr, 12)[:, None]
        pts.append(p + (q - p) * t + inward[e] * depth[e] * np.sin(np.pi * t))
        if e in (1, 3):
            plates.append(pts[-1] if e == 1 else pts[-1][::-1])
        # Fillet at corner q between this edge and the next, control point the corner itself.
        nq = corners[(e + 2) % 4]
        a = pts[-1][-1]
        b = q + (nq - q) * min(r / np.hypot(*(nq - q)), 0.3)
        pts.append(shapes.bezier(a, q, b, 6)[1:-1])
        apex.append(0.25 * a + 0.5 * q + 0.25 * b)
    local = np.vstack(pts)
    to_mm = lambda ab: v.center + ab[..., :1] * v.n + ab[..., 1:2] * v.u  # noqa: E731
    v.outline = to_mm(local)
    v.inf_plate, v.sup_plate = to_mm(plates[0]), to_mm(plates[1])
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
        # The edge falls `shift` mm beyond the first (or last) site itself, so that site is cut off.
        first_site, last_site = cr[1, 1], cr[-3, 1]
        if cutoff == "top":
            m_top = top - first_site - shift
        else:
            m_top = fov_h + shift + top - last_site
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
        self.soft = np.zeros((h, w), np.float32)  # body outline (skin), drawn sharp
        self.bone = np.zeros((h, w), np.float32)  # bone other than the bodies, times the texture
        self.other = np.zeros((h, w), np.float32)  # bone outside the vertebrae (skull, ribs, pelvis)
        self.cortex = np.zeros((h, w), np.float32)
        self.body = np.zeros((h, w), np.float32)  # vertebral bodies: the only layer erosions carve
        self.body_cortex = np.zeros((h, w), np.float32)
        self.carve = np.zeros((h, w), np.float32)
        self.smooth = np.zeros((h, w), np.float32)  # soft-tissue shadows blurred by several mm
        self.air = np.zeros((h, w), np.float32)  # airway and bowel gas: walls blurred by under 1 mm
        self.haze = np.zeros((h, w), np.float32)  # diffuse bone (sclerosis) blurred by about 1 mm
        self.metal = np.zeros((h, w), np.float32)
        self.texture = np.zeros((h, w), np.float32)  # trabecular pattern (zero mean) in each vertebra's frame
        self.blurs: list = []  # (centre px, radius px, sigma px) of locally blurred corners
        self.inv = np.linalg.inv(layout.matrix[:, :2])  # pixels -> mm

    def poly(self, layer: np.ndarray, mm: np.ndarray, value: float, ss: int = 3) -> None:
        shapes.fill_polygon(layer, self.lay.px(mm), value, ss=ss)

    def line(self, layer: np.ndarray, mm: np.ndarray, width_mm: float, value: float, closed: bool = False,
             ss: int = 3) -> None:
        shapes.stroke_polyline(layer, self.lay.px(mm), max(self.lay.len(width_mm), 0.7), value, ss=ss, closed=closed)

    def ellipse(self, layer: np.ndarray, c, radii, angle: float, value: float, ss: int = 3) -> None:
        self.poly(layer, shapes.ellipse_points(c, radii, angle, 40), value, ss=ss)

    def bone_shape(self, mm: np.ndarray, fill: float, rim: float, rim_mm: float, body: bool = False) -> None:
        self.poly(self.body if body else self.bone, mm, fill)
        if rim:
            self.line(self.body_cortex if body else self.cortex, mm, rim_mm, rim, closed=True)

    def other_shape(self, mm: np.ndarray, fill: float, rim: float, rim_mm: float) -> None:
        # Context bones are large: drawn without supersampling (the acquisition blur smooths them).
        self.poly(self.other, mm, fill, ss=1)
        if rim:
            self.line(self.cortex, mm, rim_mm, rim, closed=True, ss=1)

    def dome(self, layer: np.ndarray, c, radii, angle: float, value: float, rings: int = 4) -> None:
        """A rounded bone (femoral or humeral head) projects thicker in the middle: nested ellipses
        whose values add up to a sqrt(1 - r^2) profile."""
        fr = np.linspace(1.0, 0.25, rings)
        prof = np.sqrt(1 - np.append(fr[1:], 0.0) ** 2) - np.sqrt(1 - fr ** 2)
        for f, dv in zip(fr, prof):
            self.ellipse(layer, c, (radii[0] * f, radii[1] * f), angle, value * dv, ss=1)

    def local_coefficients(self, v: Vertebra) -> np.ndarray:
        """2x3 matrix giving a vertebra's local (a, b) mm from pixel (x, y, 1)."""
        t = self.lay.matrix[:, 2]
        rows = np.stack([v.n @ self.inv, v.u @ self.inv])
        return np.hstack([rows, (-(rows @ t) - np.stack([v.n @ v.center, v.u @ v.center]))[:, None]])

    def box(self, mm: np.ndarray, pad_mm: float = 1.0) -> tuple[int, int, int, int] | None:
        px = self.lay.px(mm)
        pad = self.lay.len(pad_mm)
        h, w = self.lay.shape
        x0, y0 = max(int(px[:, 0].min() - pad), 0), max(int(px[:, 1].min() - pad), 0)
        x1, y1 = min(int(px[:, 0].max() + pad) + 2, w), min(int(px[:, 1].max() + pad) + 2, h)
        return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None

    def local_grid(self, v: Vertebra, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Local (a, b) mm of every pixel in ``box``."""
        x0, y0, x1, y1 = box
        m = self.local_coefficients(v)
        xx = np.arange(x0, x1, dtype=np.float32)[None, :]
        yy = np.arange(y0, y1, dtype=np.float32)[:, None]
        return m[0, 0] * xx + m[0, 1] * yy + m[0, 2], m[1, 0] * xx + m[1, 1] * yy + m[1, 2]


def _frame(v: Vertebra, a) -> np.ndarray:
    """Local (a, b) points -> mm."""
    a = np.asarray(a, dtype=float)
    return v.center + a[:, :1] * v.n + a[:, 1:2] * v.u


def _blob(v: Vertebra, pts, n: int = 48, smooth: float = 0.03) -> np.ndarray:
    """A smooth closed outline through rough local points of a vertebra."""
    return shapes.smooth_closed(_frame(v, pts), n, smooth)


# ----------------------------------------------------------------------------- trabecular bone

def strut_texture(rng: np.random.Generator, shape: tuple[int, int], texel_mm: float) -> np.ndarray:
    """Zero-mean, unit-variance trabecular pattern (rows inferior, columns anterior): a network of
    thin struts, vertical ones (perpendicular to the endplates, carrying load) dominant, joined by
    fainter horizontal ones, with marrow spaces between.

    The struts are the zero crossings of anisotropic band-limited noise: noise smoothed much more
    along one axis than across it crosses zero along lines running in that axis."""
    noise = rng.standard_normal((2, *shape), dtype=np.float32)

    def ridges(sig_rows_mm: float, sig_cols_mm: float, width: float, img: np.ndarray) -> np.ndarray:
        sig = (max(sig_rows_mm / texel_mm, 0.8), max(sig_cols_mm / texel_mm, 0.8))
        f = ndimage.gaussian_filter(img, sig, mode="wrap")
        f /= f.std() + 1e-6
        return np.exp(-(f / width) ** 2)

    net = np.maximum(ridges(1.6, 0.32, 0.5, noise[0]), 0.6 * ridges(0.3, 0.9, 0.4, noise[1]))
    net = ndimage.gaussian_filter(net, max(0.08 / texel_mm, 0.5), mode="wrap")
    return ((net - net.mean()) / (net.std() + 1e-6)).astype(np.float32)


def _texture_slabs(p: Painter, verts: list[Vertebra], region: str, rng: np.random.Generator) -> None:
    """Fill ``p.texture`` vertebra by vertebra, each in its own frame (struts perpendicular to its
    endplates), between the mid-planes of the discs above and below."""
    cerv = region == "cervical"
    # Texels a little coarser than pixels: bilinear sampling still resolves 0.3 mm struts, and
    # the texture stays small enough to make in a few ms.
    texel = max(p.lay.spacing * 1.4, 0.14)
    slabs = []
    for k, v in enumerate(verts):
        up = 0.5 * np.hypot(*(v.center - verts[k - 1].center)) if k else v.h_ant / 2 + (28 if cerv else 8)
        down = (0.5 * np.hypot(*(v.center - verts[k + 1].center)) if k + 1 < len(verts)
                else v.h_ant / 2 + (12 if cerv else 1.4 * v.h_ant))
        back = v.width / 2 + (2.6 if cerv else 1.6) * v.width
        slabs.append((v, -up, down, -back, v.width / 2 + (10 if cerv else 14)))
    rows = int(min(max(s[2] - s[1] for s in slabs) / texel, 600)) + 8
    cols = int(min(max(s[4] - s[3] for s in slabs) / texel, 600)) + 8
    tex = Image.fromarray(np.asarray(strut_texture(rng, (rows, cols), texel), dtype=np.float32))
    for v, b0, b1, a0, a1 in slabs:
        box = p.box(_frame(v, [(a0, b0), (a1, b0), (a1, b1), (a0, b1)]))
        if box is None:
            continue
        x0, y0, x1, y1 = box
        m = p.local_coefficients(v)
        # Texel coordinates (col, row) = local (a, b) / texel + offset; random mirror per vertebra.
        sa, sb = (1 if rng.random() < 0.5 else -1), (1 if rng.random() < 0.5 else -1)
        ca = sa * m[0] / texel
        cb = sb * m[1] / texel
        ca[2] += cols / 2 - sa * (a0 + a1) / 2 / texel
        cb[2] += rows / 2 - sb * (b0 + b1) / 2 / texel
        # PIL samples output pixel centres at +0.5; shift the constant so pixel (x0, y0) maps exactly.
        coeff = []
        for c in (ca, cb):
            coeff += [float(c[0]), float(c[1]), float(c[0] * (x0 - 0.5) + c[1] * (y0 - 0.5) + c[2] + 0.5)]
        out = np.asarray(tex.transform((x1 - x0, y1 - y0), Image.Transform.AFFINE, tuple(coeff),
                                       resample=Image.Resampling.BILINEAR, fillcolor=0.0))
        _, b = p.local_grid(v, box)
        inside = (b >= b0) & (b < b1)
        region_view = p.texture[y0:y1, x0:x1]
        region_view[inside] = out[inside]


# ---------------------------------------------------------------------------------- vertebrae

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


# ------------------------------------------------------------------------------------ context

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


# ------------------------------------------------------------------------------------- lesions

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
            _erosion(p, P, n, d, k, rng)
        if f["sclerosis"]:
            _sclerosis(p, P, n, d, k, rng)
        if f["syndesmophyte"]:
            # Thin, vertical, from the margin of the corner toward the next vertebra (marginal).
            length = _disc_gap(v, site, by_name, region) * rng.uniform(0.4, 0.7)
            tip = P + d * length + n * rng.uniform(0.3, 1.2) * k
            curve = shapes.bezier(P - 0.8 * d * k, P + d * length * 0.5 + n * 1.0 * k, tip, 12)
            wid = rng.uniform(1.0, 1.5) * k
            p.line(p.bone, curve, wid, 0.7)
            p.line(p.bone, curve[:6], wid * 1.5, 0.3)  # broader where it leaves the corner
        if f["osteophyte"]:
            _osteophyte(p, P, n, d, k, rng)
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
        p.line(p.bone, curve, rng.uniform(1.8, 3.0) * k, 0.8)
        p.line(p.cortex, curve, 0.8 * k, 0.35)
    if plan["implant"]:
        _draw_implant(p, by_name, plan["implant"], k, rng)


def _erosion(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """A notch through the cortex of the corner (the 'Romanus' lesion's destructive phase): two
    overlapping bites that remove cortex and the bone just inside it."""
    for _ in range(2):
        r = rng.uniform(1.5, 2.6) * k
        c = P - rng.uniform(0.3, 0.7) * r * n - rng.uniform(0.3, 0.7) * r * d + rng.normal(0, 0.3, 2) * k
        p.ellipse(p.carve, c, (r, r * rng.uniform(0.6, 1.0)), rng.uniform(0, 180), 0.8)


def _sclerosis(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """Dense triangle filling the corner (the 'shiny corner'), densest at the cortex, fading toward
    the centre of the body."""
    a, b = rng.uniform(5, 9) * k, rng.uniform(5, 8) * k
    apex = P - 0.4 * k * n - 0.4 * k * d
    for frac, val in ((1.0, 0.24), (0.7, 0.2), (0.45, 0.16)):
        tri = np.array([apex, apex - n * a * frac, apex - n * a * frac * 0.5 - d * b * frac * 0.4,
                        apex - d * b * frac])
        p.poly(p.haze, tri, val)


def _osteophyte(p: Painter, P: np.ndarray, n: np.ndarray, d: np.ndarray, k: float, rng: np.random.Generator) -> None:
    """A degenerative beak: it arises from the anterior border a few mm from the corner, runs
    horizontally forward and hooks toward the disc (unlike the vertical syndesmophyte)."""
    root = P - d * rng.uniform(2.0, 3.5) * k - n * 0.3 * k
    length = rng.uniform(3.5, 6.5) * k
    tip = root + n * length + d * length * rng.uniform(0.3, 0.6)
    beak = np.array([root - d * 2.0 * k - n * 0.8 * k, root + n * length * 0.55 - d * 0.4 * k, tip,
                     root + n * length * 0.4 + d * 1.0 * k, root + d * 1.2 * k - n * 0.8 * k])
    p.poly(p.bone, shapes.smooth_closed(beak, 32, 0.02), 0.6)
    p.line(p.cortex, beak[1:4], 0.5 * k, 0.25)
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




def _blur_local(layer: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a sparse layer, computed only in the bounding box of what was drawn."""
    rows, cols = np.nonzero(layer.any(axis=1))[0], np.nonzero(layer.any(axis=0))[0]
    out = np.zeros_like(layer)
    if rows.size:
        pad = int(4 * sigma) + 1
        y0, y1 = max(rows[0] - pad, 0), rows[-1] + pad + 1
        x0, x1 = max(cols[0] - pad, 0), cols[-1] + pad + 1
        out[y0:y1, x0:x1] = ndimage.gaussian_filter(layer[y0:y1, x0:x1], sigma)
    return out


def render_density(rng: np.random.Generator, region: str, anatomy: dict, layout: Layout,
                   plan: dict) -> tuple[np.ndarray, np.ndarray]:
    """The noiseless attenuation map of the case, and the vertebral bodies alone (for checks)."""
    p = Painter(layout)
    verts = anatomy["vertebrae"]
    if region == "cervical":
        _draw_cervical_context(p, verts, rng)
    else:
        _draw_lumbar_context(p, verts, rng)
    tilt = rng.uniform(0.0, 1.6) * (0.6 if region == "cervical" else 1.0)  # beam tilt: double endplates
    for k, v in enumerate(verts):
        pitch = float(np.hypot(*(verts[k + 1].center - v.center))) if k + 1 < len(verts) else v.h_ant + 5
        _draw_vertebra(p, v, region, pitch, tilt * rng.uniform(0.3, 1.0), rng)
    _draw_lesions(p, verts, region, plan, rng)
    _texture_slabs(p, verts, region, rng)
    # Trabecular contrast varies between patients (more visible vertical struts in osteopenia).
    tex = 1.0 + rng.uniform(0.12, 0.22) * p.texture
    body = (p.body * tex + p.body_cortex) * (1.0 - np.clip(p.carve, 0, 0.9))
    sp = layout.spacing
    density = np.array(wide_blur(p.soft + p.smooth, 2.0 / sp))  # skin edges and soft-tissue shadows are smooth
    density += wide_blur(p.air, max(1.0 / sp, 4.5)) if p.air.any() else 0.0  # >= 4.5 px: the fast path
    density += _blur_local(p.haze, 0.8 / sp) + p.bone * tex + p.other + p.cortex + body + p.metal
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
