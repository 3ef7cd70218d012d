"""Acquisition effects shared by the radiograph phantoms.

The anatomy renderers produce a noiseless *attenuation* map D (line integral of mu, no units).
``acquire`` turns it into stored detector values the way a CR/DX chain does: Beer-Lambert
transmission with a heel-effect gradient, scatter (a very wide blur of the primary), focal-spot
and detector blur, quantum noise, log transform, automatic ranging and a tone curve, unsharp-mask
edge enhancement, collimation, burned-in markers, bit depth and MONOCHROME1/2. ``photograph_screen``
makes the smartphone-photo-of-a-monitor variant (perspective, moire, glare, colour cast, JPEG).
Everything draws from the case's numpy Generator, so the same seed gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage


@dataclass
class Acquisition:
    """The acquisition parameters of one image (recorded in the truth file)."""

    exposure: float  # photons per pixel behind the median patient thickness (sets the noise)
    scatter_fraction: float
    blur_px: float
    heel: float  # fractional intensity change across the image, along rows
    edge_enhance: float
    gamma: float
    photometric: str
    bits_stored: int
    modality: str
    spacing_tag: str
    collimation: tuple[int, int, int, int]  # x0, y0, x1, y1 of the exposed field (pixels)
    shutter_black: bool  # collimated area shown black (electronic shutter) instead of white
    markers: list[str]

    def to_dict(self) -> dict:
        """JSON-ready: tuples become lists, numbers rounded for a readable truth file."""
        d = asdict(self)
        d["collimation"] = list(d["collimation"])
        for k in ("exposure", "scatter_fraction", "blur_px", "heel", "edge_enhance", "gamma"):
            d[k] = round(float(d[k]), 4)
        return d


def sample_acquisition(rng: np.random.Generator, shape: tuple[int, int], spacing_mm: float,
                       markers: list[str]) -> Acquisition:
    """Draw a plausible CR/DX acquisition for an image of ``shape``."""
    h, w = shape
    modality = "DX" if rng.random() < 0.5 else "CR"
    bits = int(rng.choice([8, 10, 12, 12, 14, 16])) if modality == "CR" else int(rng.choice([12, 14, 16]))
    # Collimation: usually a margin on some sides, sometimes none.
    margins = [int(rng.random() < 0.45) * int(rng.uniform(0.02, 0.09) * s) for s in (w, h, w, h)]
    coll = (margins[0], margins[1], w - margins[2], h - margins[3])
    return Acquisition(
        exposure=float(np.exp(rng.uniform(np.log(150), np.log(3000)))) * (spacing_mm / 0.15) ** 2,
        scatter_fraction=float(rng.uniform(0.05, 0.35)),
        blur_px=float(rng.uniform(0.4, 1.1) * 0.15 / spacing_mm + rng.uniform(0, 0.6)),
        heel=float(rng.uniform(-0.2, 0.2)),
        edge_enhance=float(rng.uniform(0.0, 1.2)),
        gamma=float(rng.uniform(0.8, 1.3)),
        photometric="MONOCHROME1" if rng.random() < 0.35 else "MONOCHROME2",
        bits_stored=bits,
        modality=modality,
        spacing_tag=str(rng.choice(["PixelSpacing", "ImagerPixelSpacing", "both"])),
        collimation=coll,
        shutter_black=bool(rng.random() < 0.3),
        markers=markers,
    )


def wide_blur(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur with a wide kernel, computed on a downsampled copy (Pillow's C resamplers down
    and back up): scatter, soft-tissue shadows and unsharp masks are smooth, so this loses nothing."""
    h, w = img.shape
    f = max(sigma_px / 3.0, 1.0)
    if f < 1.5:
        return ndimage.gaussian_filter(img, sigma_px).astype(np.float32)
    sw, sh = max(int(round(w / f)), 2), max(int(round(h / f)), 2)
    small = np.asarray(Image.fromarray(img.astype(np.float32)).resize((sw, sh), Image.Resampling.BOX))
    small = ndimage.gaussian_filter(small, sigma_px * sw / w, mode="nearest")
    big = Image.fromarray(small.astype(np.float32)).resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(big, dtype=np.float32)


def detect(density: np.ndarray, acq: Acquisition, rng: np.random.Generator) -> np.ndarray:
    """Attenuation map -> log-domain detector signal (float32, larger = more attenuation)."""
    h, w = density.shape
    primary = np.exp(-density, dtype=np.float32)
    ramp = np.linspace(1 - acq.heel / 2, 1 + acq.heel / 2, h, dtype=np.float32)[:, None]
    primary *= ramp
    scatter = wide_blur(primary, 0.08 * max(h, w)) * acq.scatter_fraction
    signal = primary + scatter
    x0, y0, x1, y1 = acq.collimation
    coll = np.full_like(signal, 0.02)  # what leaks through the collimator blades
    coll[y0:y1, x0:x1] = 1.0
    signal *= coll
    if acq.blur_px > 0.3:
        signal = ndimage.gaussian_filter(signal, acq.blur_px)
    # Quantum noise: Poisson counts, approximated as Gaussian with variance = mean counts.
    # The technologist sets mAs for the patient: scale so the median exposed pixel gets `exposure`.
    gain = acq.exposure / max(float(np.median(signal[y0:y1:8, x0:x1:8])), 1e-6)
    counts = signal * gain
    counts += np.sqrt(np.maximum(counts, 1.0)) * rng.standard_normal(counts.shape, dtype=np.float32)
    return -np.log(np.maximum(counts, 0.5) / gain).astype(np.float32)


def process(log_signal: np.ndarray, acq: Acquisition) -> np.ndarray:
    """Detector log signal -> presentation values in [0, 1] (bone bright), as CR/DX processing does:
    auto-ranging on the exposed field, unsharp masking, a tone curve, shutter over the collimated area."""
    x0, y0, x1, y1 = acq.collimation
    field = log_signal[y0:y1:4, x0:x1:4].ravel()
    # Exposure recognition ignores direct exposure (air beside the patient), as CR/DX processing
    # does, so the anatomy gets the grey range and air goes black.
    ref = np.percentile(field, 70)
    anatomy = field[field > ref - 1.2]
    lo, hi = np.percentile(anatomy if anatomy.size > 100 else field, [0.5, 99.5])
    v = (log_signal - lo) / max(hi - lo, 1e-6)
    if acq.edge_enhance > 0:
        v = v + acq.edge_enhance * (v - wide_blur(v, 6.0))
    v = np.clip(v, 0, 1)
    v = 1.0 / (1.0 + np.exp(-(v - 0.5) * 5.0 * acq.gamma))  # film-like S curve
    inside = np.zeros(v.shape, dtype=bool)
    inside[y0:y1, x0:x1] = True
    v[~inside] = 0.0 if acq.shutter_black else 1.0
    return v.astype(np.float32)


def burn_markers(v: np.ndarray, acq: Acquisition, rng: np.random.Generator) -> None:
    """Burn text markers (lead 'L'/'R', labels) into the presentation image, in place."""
    h, w = v.shape
    size = max(int(0.035 * max(h, w)), 10)
    font = ImageFont.load_default(size=size)
    layer = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = acq.collimation
    for i, text in enumerate(acq.markers):
        tx = int(rng.uniform(x0 + 0.03 * w, max(x0 + 0.04 * w, x1 - 0.25 * w)))
        ty = int(y0 + 0.03 * h + i * 1.4 * size) if rng.random() < 0.6 else int(y1 - 0.06 * h - i * 1.4 * size)
        draw.text((tx, ty), text, fill=255, font=font)
    m = np.asarray(layer, dtype=np.float32) / 255.0
    v[:] = np.maximum(v, m)


def quantize(v: np.ndarray, acq: Acquisition) -> np.ndarray:
    """Presentation [0, 1] -> stored integers with the photometric interpretation applied."""
    top = (1 << acq.bits_stored) - 1
    if acq.photometric == "MONOCHROME1":
        v = 1.0 - v
    q = np.rint(v * top)
    return q.astype(np.uint8 if acq.bits_stored <= 8 else np.uint16)


def acquire(density: np.ndarray, acq: Acquisition, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Attenuation map -> (stored pixels, presentation image in [0, 1] with bone bright)."""
    v = process(detect(density, acq, rng), acq)
    if acq.markers:
        burn_markers(v, acq, rng)
    return quantize(v, acq), v


# ------------------------------------------------------------------------- photographed screen

def photograph_screen(v: np.ndarray, rng: np.random.Generator, quality: int | None = None) -> tuple[bytes, dict]:
    """A smartphone photo of the image shown on a monitor: returns JPEG bytes and the parameters.

    ``v`` is the presentation image in [0, 1]. The photo shows the screen in perspective inside a
    dark surround, with moire from the pixel grid, a glare spot, a colour cast and JPEG loss.
    """
    h, w = v.shape
    # Moire: beat between the screen's pixel grid and the camera's sensor grid.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    f = rng.uniform(0.08, 0.2)
    ang = rng.uniform(0, np.pi)
    moire = 1.0 + rng.uniform(0.02, 0.07) * np.sin(2 * np.pi * f * (xx * np.cos(ang) + yy * np.sin(ang)))
    img = v * moire
    # Glare: a soft bright spot from a window or ceiling light.
    gx, gy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
    gr = rng.uniform(0.1, 0.3) * max(h, w)
    img = img + rng.uniform(0.1, 0.35) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * gr * gr))
    cast = np.array([rng.uniform(0.85, 1.05), rng.uniform(0.9, 1.05), rng.uniform(0.9, 1.15)], dtype=np.float32)
    rgb = np.clip(img[..., None] * cast * 0.9 + 0.04, 0, 1)
    screen = Image.fromarray((rgb * 255).astype(np.uint8))
    # Perspective: the screen's corners land at jittered positions inside a larger photo.
    pad = 0.12
    out_w, out_h = int(w * (1 + 2 * pad)), int(h * (1 + 2 * pad))
    jitter = rng.uniform(-0.07, 0.07, size=(4, 2)) * (w, h)
    dst = np.array([[pad * w, pad * h], [pad * w + w, pad * h], [pad * w + w, pad * h + h],
                    [pad * w, pad * h + h]]) + jitter
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
    coeffs = _perspective_coeffs(dst, src)
    photo = screen.transform((out_w, out_h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                             fillcolor=(int(rng.integers(10, 40)),) * 3)
    q = int(quality if quality is not None else rng.integers(60, 92))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=q)
    return buf.getvalue(), {"moire_frequency": float(f), "glare": [float(gx), float(gy), float(gr)],
                            "colour_cast": [float(c) for c in cast], "jpeg_quality": q,
                            "screen_corners": dst.round(2).tolist()}


def _perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> tuple[float, ...]:
    """Coefficients PIL wants: for each output (dst) pixel, where to sample in the input (src)."""
    a = []
    b = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.extend([u, v])
    return tuple(np.linalg.solve(np.array(a, dtype=float), np.array(b, dtype=float)).tolist())
