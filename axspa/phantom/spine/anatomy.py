"""Vertebrae on a lordotic or kyphotic curve (mm) with their outlines, and where the spine lies in the image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from axspa.phantom import shapes
from axspa.phantom.spine.findings import SpineConfig
from axspa.spine.sites import VERTEBRAE


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
