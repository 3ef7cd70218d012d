"""Training data of the hip network: annotated series (phantom cases or a group's own), prepared once
into fixed-pitch arrays, and the augmentation applied to every batch.

A case is a folder holding a series (``dicom/`` or one volume file) and its segmentation
(``truth.seg.nrrd`` from ``axspa phantom hip``, or any ``*.seg.nrrd`` with the spec's segment names,
e.g. saved from Slicer). Prepared per case:
- locator canvases: every coronal slice at 3 mm pixels on a 160-px canvas, with the femoral-head
  fraction of each canvas pixel as target;
- segmenter contexts: per hip, every slice within ``SEG_REACH_MM`` of the head centre, resampled to
  0.8 mm pixels on a 176-px square around the head (left hips mirrored), with the class labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as fn

from axspa.hip.model import network as net
from axspa.hip.model.crops import crop_grid, resize_to_pitch, sample
from axspa.hip.model.frame import SliceFrame, robust_scale
from axspa.hip.segments import segment

LOCATOR_CANVAS = 160  # stored canvas; training crops 128 px of it
SEG_CONTEXT_SIZE = 176  # stored context; training crops 128 px of it (shifted, rotated, zoomed)
SEG_REACH_MM = 40.0  # slices this far from the head centre (anterior-posterior) are segmented
CLASS_OF_REGION = {"femoral_head": 1, "acetabulum": 2, "femoral_bme": 3, "acetabular_bme": 4, "effusion": 5}


@dataclass
class HipArrays:
    locator_images: list = field(default_factory=list)  # (n, 160, 160) float16 per case
    locator_targets: list = field(default_factory=list)  # (n, 160, 160) uint8 (head fraction x 255)
    seg_images: list = field(default_factory=list)  # (m, 176, 176) float16 per hip
    seg_labels: list = field(default_factory=list)  # (m, 176, 176) uint8 per hip
    cases: list = field(default_factory=list)


def find_cases(dirs: Sequence[str | Path]) -> list[tuple[Path, Path]]:
    """(series, segmentation) pairs: every folder (the given ones and their sub-folders) that holds a
    ``truth.seg.nrrd`` or one other ``*.seg.nrrd`` beside a ``dicom/`` folder or one volume file."""
    found = []
    for d in dirs:
        for seg in sorted(Path(d).rglob("*.seg.nrrd")):
            case = seg.parent
            series = case / "dicom"
            if not series.is_dir():
                vols = [p for p in case.iterdir() if p.is_file() and not p.name.endswith(".seg.nrrd")
                        and p.suffix.lower() in (".nrrd", ".nii", ".gz", ".mha", ".mhd")]
                if len(vols) != 1:
                    continue
                series = vols[0]
            if seg.name == "truth.seg.nrrd" or not (case / "truth.seg.nrrd").exists():
                found.append((series, seg))
    return found


def label_map(masks: dict, shape: tuple) -> np.ndarray:
    """One class map (network.CLASSES) of both hips; lesions drawn over the bone they lie in."""
    labels = np.zeros(shape, np.uint8)
    for region in ("femoral_head", "acetabulum", "effusion", "femoral_bme", "acetabular_bme"):
        for side in ("right", "left"):
            m = masks.get(segment(side, region).name)
            if m is not None:
                labels[np.asarray(m, bool)] = CLASS_OF_REGION[region]
    return labels


def normalised_view(array: np.ndarray, frame: SliceFrame) -> np.ndarray:
    view = frame.to_view(np.nan_to_num(np.array(array, np.float32), copy=False))  # one copy, not two
    lo, hi = robust_scale(view)
    return np.clip((view - lo) / (hi - lo), 0.0, 1.5).astype(np.float32)


def head_centres(labels_view: np.ndarray, spacing: Sequence[float]) -> dict:
    """{"right"|"left": (slice, row, col)} centroid (view indices) of each true femoral head. In the
    view, columns run from the patient's right to left, so the right head has the smaller column."""
    head = (labels_view == 1) | (labels_view == 3)
    if not head.any():
        return {}
    cols = np.nonzero(head)[2]
    mid = (cols.min() + cols.max()) / 2.0
    out = {}
    for side, keep in (("right", lambda c: c < mid), ("left", lambda c: c >= mid)):
        idx = np.argwhere(head)
        idx = idx[keep(idx[:, 2])]
        if len(idx) > 50:
            out[side] = idx.mean(axis=0)
    return out


def seg_context(view: np.ndarray, labels: Optional[np.ndarray], centre: np.ndarray, spacing: Sequence[float],
                mirror: bool, size: int = SEG_CONTEXT_SIZE) -> tuple[np.ndarray, Optional[np.ndarray], range]:
    """The slices within SEG_REACH_MM of ``centre`` resampled at the segmenter's pitch around it."""
    reach = int(math.ceil(SEG_REACH_MM / spacing[0]))
    s0 = int(round(centre[0]))
    slices = range(max(0, s0 - reach), min(view.shape[0], s0 + reach + 1))
    grid = crop_grid(centre[1:], spacing[1:], view.shape[1:], size, net.SEG_PITCH_MM, mirror=mirror)
    grids = grid[None].expand(len(slices), -1, -1, -1)
    img = sample(torch.from_numpy(view[slices.start:slices.stop, None]), grids)[:, 0].numpy()
    lab = None
    if labels is not None:
        lab = sample(torch.from_numpy(labels[slices.start:slices.stop, None].astype(np.float32)), grids,
                     mode="nearest")[:, 0].numpy().astype(np.uint8)
    return img, lab, slices


def prepare_case(series: Path, seg: Path) -> tuple[np.ndarray, np.ndarray, list, list]:
    from axspa.hip.pipeline import masks_on_grid
    from axspa.hip.segments import match_hip_segments
    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    volume = read_volume(str(series))
    masks, seg_ijk = read_seg_nrrd(seg)
    masks, _ = match_hip_segments(masks)
    masks = masks_on_grid(masks, seg_ijk, volume, str(seg))
    frame = SliceFrame.from_ijk_to_ras(volume.ijk_to_ras)
    view = normalised_view(volume.array, frame)
    labels = frame.to_view(label_map(masks, volume.array.shape))
    loc_img, _, _ = resize_to_pitch(view, frame.spacing[1:], net.LOCATOR_PITCH_MM, LOCATOR_CANVAS)
    head = ((labels == 1) | (labels == 3)).astype(np.float32)
    loc_tgt, _, _ = resize_to_pitch(head, frame.spacing[1:], net.LOCATOR_PITCH_MM, LOCATOR_CANVAS)
    seg_imgs, seg_labs = [], []
    for side, centre in head_centres(labels, frame.spacing).items():
        img, lab, _ = seg_context(view, labels, centre, frame.spacing, mirror=side == "left")
        seg_imgs.append(img.astype(np.float16))
        seg_labs.append(lab)
    return (loc_img.astype(np.float16), np.round(loc_tgt * 255).astype(np.uint8), seg_imgs, seg_labs)


def prepare(cases: Sequence[tuple[Path, Path]], on_case: Optional[Callable[[int, int], None]] = None) -> HipArrays:
    arrays = HipArrays()
    for n, (series, seg) in enumerate(cases):
        li, lt, si, sl = prepare_case(series, seg)
        arrays.locator_images.append(li)
        arrays.locator_targets.append(lt)
        arrays.seg_images.extend(si)
        arrays.seg_labels.extend(sl)
        arrays.cases.append(str(series))
        if on_case:
            on_case(n + 1, len(cases))
    return arrays


# ------------------------------------------------------------------------------- augmentation

def _smooth_field(rng: np.random.Generator, n: int, size: int, amplitude: float) -> torch.Tensor:
    coarse = torch.from_numpy(rng.normal(0, 1, (n, 1, 4, 4)).astype(np.float32))
    field_ = fn.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)
    return torch.exp(amplitude * field_)


def augment_intensity(x: torch.Tensor, rng: np.random.Generator, invert_p: float = 0.2) -> torch.Tensor:
    """Contrast far beyond what the phantoms draw, the same for every channel of a sample: gamma,
    gain, bias field, random non-monotonic curves, a T1-like inversion of the tissue range (fat and
    marrow bright, fluid dark; the real series here are T1), blur and noise."""
    b, _, h, _ = x.shape
    x = x.clamp(min=0.0)
    gamma = torch.from_numpy(np.exp(rng.uniform(-0.6, 0.6, b)).astype(np.float32)).view(b, 1, 1, 1)
    x = x ** gamma
    inv = torch.from_numpy((rng.random(b) < invert_p).astype(np.float32)).view(b, 1, 1, 1)
    if inv.any():
        t = torch.from_numpy(rng.uniform(0.01, 0.08, b).astype(np.float32)).view(b, 1, 1, 1)
        tissue = torch.sigmoid((x - t) / 0.01)
        x = inv * (tissue * (1.1 - x).clamp(min=0.0) + (1 - tissue) * x) + (1 - inv) * x
    curve = rng.random(b) < 0.25
    for i in np.flatnonzero(curve):  # random piecewise-linear curve through (0, ~0)
        knots = torch.tensor([0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5])
        values = torch.from_numpy(np.r_[0.0, rng.uniform(0.0, 1.2, 6)].astype(np.float32))
        x[i] = _piecewise(x[i], knots, values)
    x = x * _smooth_field(rng, b, h, float(rng.uniform(0.0, 0.35)))
    x = x * torch.from_numpy(rng.uniform(0.75, 1.3, b).astype(np.float32)).view(b, 1, 1, 1)
    if rng.random() < 0.3:
        x = fn.avg_pool2d(x, 3, stride=1, padding=1)
    sigma = torch.from_numpy(rng.uniform(0.0, 0.06, b).astype(np.float32)).view(b, 1, 1, 1)
    x = x + sigma * torch.from_numpy(rng.normal(0, 1, tuple(x.shape)).astype(np.float32))
    return x


def _piecewise(x: torch.Tensor, knots: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    xc = x.clamp(float(knots[0]), float(knots[-1]))
    idx = torch.bucketize(xc, knots[1:-1])
    x0, x1 = knots[idx], knots[idx + 1]
    y0, y1 = values[idx], values[idx + 1]
    return y0 + (y1 - y0) * (xc - x0) / (x1 - x0)


def degrade_resolution(x: torch.Tensor, rng: np.random.Generator, p: float = 0.3) -> torch.Tensor:
    """Some samples down- and up-sampled (a coarser matrix than the crop's pitch: 1-1.6 mm pixels)."""
    if rng.random() >= p:
        return x
    size = x.shape[-1]
    f = float(rng.uniform(0.5, 0.8))
    small = fn.interpolate(x, size=(max(8, int(size * f)),) * 2, mode="area")
    return fn.interpolate(small, size=(size, size), mode="bilinear", align_corners=False)
