"""Training data for the spine models: annotated films -> compact arrays, and batch augmentation.

A training case is an ``axspa.spine/1`` document (a phantom's ``<id>.truth.json`` or a group's own
reading with points) beside its image. ``prepare`` reads each film once and keeps only what the
networks see: the letterboxed film (coarse stage), a context patch around every corner (refinement)
and around every disc level (findings), each twice as large as what training samples from it, so
rotation, scale and shift augmentation never runs off its edge. Heatmaps are made per batch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as nnf

from axspa.spine.model import network as net
from axspa.spine.model.geometry import film_to_patch, letterbox, normalise, sample_patches
from axspa.spine.sites import FINDINGS, REGIONS, VERTEBRAE, disc_levels

IMAGE_SUFFIXES = (".dcm", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".nrrd", "")
CONTEXT = 2.0  # stored context patches are this many times the training patch side


@dataclass
class Annotation:
    """The landmarks and findings of one film, in film pixels (NaN = not annotated / not visible)."""

    region: str
    centers: np.ndarray  # (7, 2) vertebrae of the region, top to bottom
    superior: np.ndarray  # (7, 2) anterior-superior corners
    inferior: np.ndarray  # (7, 2) anterior-inferior corners
    findings: dict  # site -> {finding: 0/1}
    points: dict  # site -> (x, y) or None

    @property
    def pitch(self) -> float:
        """Median centre-to-centre distance of neighbouring vertebrae (film pixels)."""
        c = self.centers
        d = np.linalg.norm(np.diff(c, axis=0), axis=1)
        d = d[np.isfinite(d)]
        if d.size:
            return float(np.median(d))
        return _pitch_from_sites(self.points)


def _pitch_from_sites(points: dict) -> float:
    xs = [np.asarray(p, float) for p in points.values() if p is not None]
    if len(xs) < 2:
        raise ValueError("fewer than two annotated corners: the vertebral pitch cannot be measured")
    span = np.linalg.norm(xs[0] - xs[-1])
    return float(span / max(len(xs) / 2.0 - 0.5, 1.0))


def annotation_from_document(doc: dict) -> Annotation:
    region = doc["region"]
    names = VERTEBRAE[region]
    nan = np.full((len(names), 2), np.nan)
    centers, sup, inf = nan.copy(), nan.copy(), nan.copy()
    for v in doc.get("vertebrae") or []:
        if v.get("name") in names:
            k = names.index(v["name"])
            for arr, key in ((centers, "center"), (sup, "anterior_superior"), (inf, "anterior_inferior")):
                if v.get(key) is not None:
                    arr[k] = v[key]
    points, findings = {}, {}
    for s in doc["sites"]:
        points[s["id"]] = s.get("point")
        findings[s["id"]] = {f: float(s["findings"].get(f, 0)) for f in FINDINGS}
        k = names.index(s["id"][:-1])
        # A site point is the corner as read: it wins over the vertebra list; a null point (cut off)
        # removes the corner from the targets.
        arr = sup if s["id"].endswith("s") else inf
        arr[k] = s["point"] if s.get("point") is not None else np.nan
    return Annotation(region, centers, sup, inf, findings, points)


def find_cases(dirs: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(image, document) pairs: ``*.truth.json`` / ``*.spine.json`` whose image is found beside it."""
    cases = []
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise FileNotFoundError(f"{d}: training data folder not found")
        for doc_path in sorted(list(d.glob("*.truth.json")) + list(d.glob("*.spine.json"))):
            doc = json.loads(doc_path.read_text())
            if doc.get("schema") != "axspa.spine/1":
                continue
            image = _image_of(doc_path, doc)
            if image is not None:
                cases.append((image, doc_path))
    return cases


def _image_of(doc_path: Path, doc: dict) -> Optional[Path]:
    named = (doc.get("input") or {}).get("path")
    if named:
        for cand in (doc_path.parent / named, doc_path.parent / Path(named).name):
            if cand.is_file():
                return cand
    stem = doc_path.name.split(".")[0]
    for suffix in IMAGE_SUFFIXES:
        cand = doc_path.parent / (stem + suffix)
        if cand.is_file() and cand != doc_path:
            return cand
    return None


# --------------------------------------------------------------------------------- preparation

@dataclass
class SpineArrays:
    """Everything training needs, in memory (float16 images)."""

    coarse: list = field(default_factory=list)  # (256, 256) letterboxed films
    coarse_points: list = field(default_factory=list)  # (3, 7, 2) centres / AS / AI in coarse pixels
    anchor: list = field(default_factory=list)  # (2,) C2 and S1 centre in coarse pixels (NaN if absent)
    refine: list = field(default_factory=list)  # (128, 128) context around a corner
    refine_points: list = field(default_factory=list)  # (2, 14, 2) AS / AI corners in context pixels
    refine_side: list = field(default_factory=list)  # context side in film pixels
    corner: list = field(default_factory=list)  # (160, 160) context around a disc level, column down
    corner_labels: list = field(default_factory=list)  # (16,) findings of upper then lower site
    case_of_corner: list = field(default_factory=list)


def prepare(cases: Sequence[tuple[Path, Path]], read: Callable, progress: Callable | None = None) -> SpineArrays:
    """Read every film once; ``read(path) -> Radiograph``."""
    out = SpineArrays()
    for n, (image_path, doc_path) in enumerate(cases):
        ann = annotation_from_document(json.loads(doc_path.read_text()))
        pixels = read(image_path).pixels
        add_case(out, pixels, ann, n)
        if progress:
            progress(n + 1, len(cases))
    return out


def add_case(out: SpineArrays, pixels: np.ndarray, ann: Annotation, case_index: int) -> None:
    small, scale, offset = letterbox(pixels, net.COARSE_SIZE)
    out.coarse.append(small[0, 0].numpy().astype(np.float16))
    pts = np.stack([ann.centers, ann.superior, ann.inferior]) * scale + offset
    out.coarse_points.append(pts.astype(np.float32))
    anchor = np.full((2, 2), np.nan, np.float32)
    anchor[0 if ann.region == "cervical" else 1] = pts[0, 0 if ann.region == "cervical" else -1]
    out.anchor.append(anchor)
    film = torch.from_numpy(normalise(pixels))[None, None]
    pitch = ann.pitch
    _add_refine_contexts(out, film, ann, pitch)
    _add_corner_contexts(out, film, ann, case_index)


def _add_refine_contexts(out: SpineArrays, film: torch.Tensor, ann: Annotation, pitch: float) -> None:
    corners = np.stack([ann.superior, ann.inferior])  # (2, 7, 2)
    found = [c for c in corners.reshape(-1, 2) if np.isfinite(c).all()]
    if not found:
        return
    side = net.REFINE_SIDE * pitch * CONTEXT
    size = net.REFINE_SIZE * int(CONTEXT)
    patches = sample_patches(film, found, [side] * len(found), [0.0] * len(found), size)
    for c, patch in zip(found, patches):
        out.refine.append(patch[0].numpy().astype(np.float16))
        out.refine_points.append(film_to_patch(corners, c, side, 0.0, size).astype(np.float32))
        out.refine_side.append(side)


def _add_corner_contexts(out: SpineArrays, film: torch.Tensor, ann: Annotation, case: int) -> None:
    pts = {s: np.asarray(p, float) for s, p in ann.points.items() if p is not None}
    if len(pts) < 2:
        return
    side = net.CORNER_SIDE * site_pitch(pts, ann.region) * CONTEXT  # as the predictor measures it
    size = net.CORNER_SIZE * int(CONTEXT)
    for _, upper, lower in disc_levels(ann.region):
        a, b = ann.points.get(upper), ann.points.get(lower)
        if a is None or b is None:
            continue
        center, angle = level_frame(np.asarray(a, float), np.asarray(b, float))
        patch = sample_patches(film, [center], [side], [angle], size, aspects=[net.CORNER_ASPECT])
        out.corner.append(patch[0, 0].numpy().astype(np.float16))
        labels = [ann.findings[upper][f] for f in FINDINGS] + [ann.findings[lower][f] for f in FINDINGS]
        out.corner_labels.append(np.asarray(labels, np.float32))
        out.case_of_corner.append(case)


def site_pitch(pts: dict, region: str) -> float:
    """Vertebral pitch from site points: the distance between like corners of neighbouring vertebrae."""
    sites = REGIONS[region]
    steps = []
    for k in range(len(sites) - 2):
        a, b = sites[k], sites[k + 2]  # same corner type on neighbouring vertebrae
        if a in pts and b in pts:
            steps.append(np.linalg.norm(pts[b] - pts[a]))
    if steps:
        return float(np.median(steps))
    gaps = [np.linalg.norm(pts[b] - pts[a]) for _, a, b in disc_levels(region) if a in pts and b in pts]
    return 4.0 * float(np.median(gaps)) if gaps else 50.0


def level_frame(upper: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and angle of a disc-level crop: the midpoint, rotated so upper -> lower points down."""
    u = lower - upper
    return (upper + lower) / 2.0, math.atan2(-u[0], u[1])


# -------------------------------------------------------------------------------- augmentation

def augment_intensity(x: torch.Tensor, rng: np.random.Generator, fine: bool = False) -> torch.Tensor:
    """Acquisition variety far beyond one generator: contrast curves, exposure ramps, blur,
    sharpening, noise, collimation bands, burned-in text and rulers. ``x``: (B, 1, H, W) in [0, 1].

    ``fine``: for lesion crops, milder blur and noise (an erosion is a few pixels; heavier blur than
    any film shows would teach the network that lesions may be invisible)."""
    max_blur, max_noise = (0.9, 0.03) if fine else (1.8, 0.06)
    b, _, h, w = x.shape
    out = []
    for i in range(b):
        y = x[i:i + 1]
        lo, hi = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
        y = ((y - lo) / (hi - lo)).clamp(0, 1) ** float(np.exp(rng.uniform(-0.7, 0.7)))
        if rng.random() < 0.5:  # exposure ramp (heel effect, uneven exposure)
            ramp = torch.linspace(-1, 1, h if rng.random() < 0.5 else w)
            ramp = ramp[:, None] if ramp.numel() == h else ramp[None, :]
            y = y * (1.0 + rng.uniform(-0.25, 0.25) * ramp)
        if rng.random() < 0.35:
            y = _blur(y, rng.uniform(0.3, max_blur))
        if rng.random() < 0.3:  # edge enhancement as processing software applies it
            y = y + rng.uniform(0.3, 1.5) * (y - _blur(y, rng.uniform(1.0, 3.0)))
        y = _overlays(y, rng)
        y = y + torch.randn_like(y) * rng.uniform(0.0, max_noise)
        out.append(y)
    return torch.cat(out).clamp(0, 1)


def _blur(y: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(2.5 * sigma))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=y.dtype) ** 2 / (2 * sigma ** 2))
    k = k / k.sum()
    y = nnf.conv2d(nnf.pad(y, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
    return nnf.conv2d(nnf.pad(y, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))


def _overlays(y: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    y = y.clone()
    _, _, h, w = y.shape
    if rng.random() < 0.3:  # collimation band or detector edge
        val, t = float(rng.random() < 0.5), int(rng.uniform(0.02, 0.08) * (h if rng.random() < 0.5 else w))
        edge = int(rng.integers(0, 4))
        sl = [(slice(None), slice(0, t)), (slice(None), slice(w - t, w)),
              (slice(0, t), slice(None)), (slice(h - t, h), slice(None))][edge]
        y[0, 0][sl] = val
    for _ in range(int(rng.poisson(1.0))):  # burned-in text, markers
        ph, pw = int(rng.integers(2, max(3, h // 12))), int(rng.integers(2, max(3, w // 8)))
        r0, c0 = int(rng.integers(0, max(1, h - ph))), int(rng.integers(0, max(1, w - pw)))
        y[0, 0, r0:r0 + ph, c0:c0 + pw] = float(rng.uniform(0.7, 1.0)) if rng.random() < 0.8 else 0.0
    if rng.random() < 0.15:  # a ruler or a line across
        if rng.random() < 0.5:
            r0 = int(rng.integers(0, h))
            y[0, 0, r0:r0 + max(1, h // 100)] = float(rng.uniform(0.6, 1.0))
        else:
            c0 = int(rng.integers(0, w))
            y[0, 0, :, c0:c0 + max(1, w // 100)] = float(rng.uniform(0.6, 1.0))
    return y


def heatmaps(points: Sequence[np.ndarray], size: int, sigma: float) -> torch.Tensor:
    """Gaussian heatmaps (B, C, size, size) from per-sample point sets (C, K, 2); NaN points skipped."""
    grid = torch.arange(size, dtype=torch.float32)
    out = torch.zeros(len(points), points[0].shape[0], size, size)
    for b, pts in enumerate(points):
        for c, chan in enumerate(pts):
            chan = chan[np.isfinite(chan).all(axis=1)]
            if not len(chan):
                continue
            p = torch.from_numpy(np.asarray(chan, np.float32))
            gx = torch.exp(-(grid[None, :] - p[:, :1]) ** 2 / (2 * sigma ** 2))  # (K, W)
            gy = torch.exp(-(grid[None, :] - p[:, 1:]) ** 2 / (2 * sigma ** 2))  # (K, H)
            out[b, c] = (gy[:, :, None] * gx[:, None, :]).amax(0)
    return out
