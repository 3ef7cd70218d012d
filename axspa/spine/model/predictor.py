"""The predictors that shipped bundles name (see axspa.spine.pipeline for the protocol).

``LandmarkPredictor``: coarse heatmaps on the letterboxed film -> region (C2 vs S1 anchor) and the
chain of named vertebrae -> corner peaks -> two passes of full-resolution refinement per corner.
``CornerPredictor``: one crop per disc level, rotated so the column runs down it, averaged with its
mirror image -> the eight findings of both corners.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

import numpy as np
import torch

from axspa.spine.model import decode
from axspa.spine.model import network as net
from axspa.spine.model.data import level_frame, site_pitch
from axspa.spine.model.geometry import letterbox, normalise, patch_to_film, sample_patches
from axspa.spine.sites import FINDINGS, REGIONS, VERTEBRAE, disc_levels

ANCHOR_FOUND = 0.15  # anchor heatmap peak above which C2 / S1 is taken as found
FEW_SITES = 6  # fewer corners than this of the region's 12: not a lateral film of that region
NOT_A_SPINE = ("the film does not look like a lateral {what} spine radiograph (anchor vertebra found with "
               "confidence {conf:.2f}, {n} vertebrae, {sites} of 12 corners); check the image and the region")


def _load(folder: Path, info: dict) -> torch.nn.Module:
    from axspa.training.bundle import load_network

    return load_network(Path(folder), info)


class LandmarkPredictor:
    def __init__(self, folder: Optional[Path] = None, info: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None):
        self.model = model if model is not None else _load(folder, info or {})
        self.model.eval()

    def predict(self, pixels: np.ndarray, spacing_mm=None, region: str = "auto") -> dict:
        with torch.no_grad():
            return self._predict(pixels, region)

    def _predict(self, pixels: np.ndarray, region: str) -> dict:
        small, scale, offset = letterbox(pixels, net.COARSE_SIZE)
        hm = torch.sigmoid(self.model.coarse(small))[0].numpy()
        centers = decode.peaks(hm[0], 0.25)
        # The anchor is C2 or S1, whichever the film shows; where it lies on the column (its top or its
        # bottom end) says the region, which the two anchor channels alone tell apart less reliably.
        anchor_map = np.maximum(hm[3], hm[4])
        ay, ax = np.unravel_index(int(anchor_map.argmax()), anchor_map.shape)
        anchor = np.array(decode.refine_peak(anchor_map, int(ax), int(ay)))
        found_region, region_conf = decode.region_from_anchor(anchor, centers)
        if region == "auto":
            region = found_region
        elif region != found_region:
            region_conf = 1.0 - region_conf
        anchor_value = float(anchor[2])
        if anchor_value < ANCHOR_FOUND:
            anchor = None  # count from the end of the column instead
        chain = decode.fill_missing_centres(decode.chain_vertebrae(centers, anchor, region, net.COARSE_SIZE))
        pitch = _chain_pitch(chain)
        axes = decode.inferior_axes(chain)
        sup_peaks, inf_peaks = decode.peaks(hm[1], 0.2), decode.peaks(hm[2], 0.2)
        side = decode.anterior_side(chain, axes, np.vstack([sup_peaks, inf_peaks]), pitch)
        sup = decode.assign_corners(chain, axes, sup_peaks, True, pitch, side)
        inf = decode.assign_corners(chain, axes, inf_peaks, False, pitch, side)
        film = torch.from_numpy(normalise(pixels))[None, None]
        h, w = pixels.shape
        to_film = lambda p: (np.asarray(p[:2]) - offset) / scale  # noqa: E731
        corners = {}  # (vertebra index, "s"|"i") -> (film point, confidence)
        for k in range(len(chain)):
            for kind, found in (("s", sup[k]), ("i", inf[k])):
                if found is not None:
                    corners[(k, kind)] = (to_film(found), float(found[2]))
        corners = self._refine(film, corners, pitch / scale)
        return _result(region, region_conf, chain, corners, to_film, (h, w), anchor_value)

    def _refine(self, film: torch.Tensor, corners: dict, pitch_film: float) -> dict:
        if not corners:
            return corners
        keys = list(corners)
        side = net.REFINE_SIDE * pitch_film
        size = net.REFINE_SIZE
        pts = np.array([corners[k][0] for k in keys])
        conf = np.array([corners[k][1] for k in keys])
        refine_conf = np.zeros(len(keys))
        for _ in range(2):  # the second pass is centred on the first pass's answer
            patches = sample_patches(film, pts, [side] * len(keys), [0.0] * len(keys), size)
            hm = torch.sigmoid(self.model.refine(patches)).numpy()
            for n, key in enumerate(keys):
                chan = hm[n, 0 if key[1] == "s" else 1]
                cand = decode.peaks(chan, 0.1)
                if not len(cand):
                    refine_conf[n] = 0.0
                    continue
                mid = (size - 1) / 2.0
                score = np.linalg.norm(cand[:, :2] - mid, axis=1) - 8.0 * cand[:, 2]
                best = cand[int(np.argmin(score))]
                x, y, v = decode.refine_peak(chan, int(round(best[0])), int(round(best[1])), r=2)
                pts[n] = patch_to_film(np.array([x, y]), pts[n], side, 0.0, size)
                refine_conf[n] = v
        return {k: (pts[n], point_confidence(conf[n], refine_conf[n])) for n, k in enumerate(keys)}


# Heatmap peaks of well-located corners sit at 0.5-0.6 (dev films, seed 404, not the test set): a peak
# of PEAK_CLEAR counts as sure, weaker ones as doubt (squared, so that doubt shows).
PEAK_CLEAR = 0.55


def point_confidence(coarse_peak: float, refine_peak: float) -> float:
    """0-1 confidence of a corner from its coarse and refined heatmap peaks."""
    peak = float(np.sqrt(max(coarse_peak, 0.0) * max(refine_peak, 0.0)))
    return round(min(1.0, peak / PEAK_CLEAR) ** 2, 4)


def _chain_pitch(chain: list) -> float:
    found = [(k, c[:2]) for k, c in enumerate(chain) if c is not None]
    steps = [np.linalg.norm(b - a) / (j - i) for (i, a), (j, b) in zip(found, found[1:])]
    return float(np.median(steps)) if steps else 20.0


def _result(region: str, region_conf: float, chain: list, corners: dict, to_film, shape: tuple,
            anchor_value: float) -> dict:
    names = VERTEBRAE[region]
    h, w = shape
    vertebrae, sites, confidence = [], {}, {}
    for k, name in enumerate(names):
        c = chain[k]
        entry = {"name": name, "center": _xy(to_film(c)) if c is not None else None,
                 "anterior_superior": None, "anterior_inferior": None}
        for kind, key in (("s", "anterior_superior"), ("i", "anterior_inferior")):
            if (k, kind) not in corners:
                continue
            p, conf = corners[(k, kind)]
            if not (-0.5 <= p[0] <= w - 0.5 and -0.5 <= p[1] <= h - 0.5):
                continue  # off the film: missing, never invented
            entry[key] = _xy(p)
            if name + kind in REGIONS[region]:
                sites[name + kind], confidence[name + kind] = _xy(p), round(conf, 4)
        vertebrae.append(entry)
    warnings = []
    n_found = sum(c is not None for c in chain)
    n_sites = sum(p is not None for p in sites.values())
    if anchor_value < ANCHOR_FOUND or n_found < 4 or n_sites < FEW_SITES:
        warnings.append(NOT_A_SPINE.format(what=region, conf=anchor_value, n=n_found, sites=n_sites))
    return {"region": region, "region_confidence": round(float(region_conf), 4), "vertebrae": vertebrae,
            "sites": {s: sites.get(s) for s in REGIONS[region]}, "point_confidence": confidence,
            "warnings": warnings}


def _xy(p) -> list:
    return [round(float(p[0]), 2), round(float(p[1]), 2)]


class CornerPredictor:
    def __init__(self, folder: Optional[Path] = None, info: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None):
        self.model = model if model is not None else _load(folder, info or {})
        self.model.eval()

    def predict(self, pixels: np.ndarray, spacing_mm, points: Mapping[str, tuple]) -> dict:
        with torch.no_grad():
            return self._predict(pixels, points)

    def _predict(self, pixels: np.ndarray, points: Mapping[str, tuple]) -> dict:
        pts = {s: np.asarray(p, float) for s, p in points.items() if p is not None}
        if not pts:
            return {}
        region = "cervical" if next(iter(pts)) in REGIONS["cervical"] else "lumbar"
        frames = level_frames(pts, region)
        if not frames:
            return {}
        film = torch.from_numpy(normalise(pixels))[None, None]
        centers = [f[3] for f in frames]
        angles = [f[4] for f in frames]
        side = net.CORNER_SIDE * frames[0][5]
        n = len(frames)
        x = sample_patches(film, centers * 2, [side] * 2 * n, angles * 2, net.CORNER_SIZE,
                           flips=[False] * n + [True] * n, aspects=[net.CORNER_ASPECT] * 2 * n)
        prob = torch.sigmoid(self.model(x)).numpy()
        prob = (prob[:n] + prob[n:]) / 2.0  # mirror-averaged: the film may face either way
        out = {}
        for (upper, lower, _, _, _, _), p in zip(frames, prob):
            for site, values in ((upper, p[:8]), (lower, p[8:])):
                if site in pts:
                    out[site] = {f: round(float(v), 4) for f, v in zip(FINDINGS, values)}
        return out


def level_frames(pts: Mapping[str, np.ndarray], region: str) -> list[tuple]:
    """(upper, lower, level, centre, angle, pitch) for every disc level with at least one corner."""
    order = [s for s in REGIONS[region] if s in pts]
    pitch = site_pitch(pts, region)
    gaps = [np.linalg.norm(pts[b] - pts[a]) for _, a, b in disc_levels(region) if a in pts and b in pts]
    gap = float(np.median(gaps)) if gaps else 0.25 * pitch
    axis = pts[order[-1]] - pts[order[0]] if len(order) >= 2 else np.array([0.0, 1.0])
    axis = axis / max(np.linalg.norm(axis), 1e-9)
    frames = []
    for level, a, b in disc_levels(region):
        if a in pts and b in pts:
            center, angle = level_frame(pts[a], pts[b])
        elif a in pts or b in pts:
            p = pts[a] if a in pts else pts[b]
            center = p + axis * gap / 2 * (1 if a in pts else -1)
            _, angle = level_frame(center - axis, center + axis)
        else:
            continue
        frames.append((a, b, level, center, angle, pitch))
    return frames
