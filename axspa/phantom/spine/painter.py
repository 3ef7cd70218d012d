"""The Painter's attenuation layers and its drawing tools, and the trabecular bone texture."""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.phantom import shapes
from axspa.phantom.spine.anatomy import Layout, Vertebra


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
