"""Femoral heads from the locator's probability stack: 3-D connected blobs, each optionally checked by
the segmenter (``verify``: how much its crop looks like a femoral head), the pair as far apart as two
hips kept, each given its patient side from the image geometry (RAS x)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

MIN_HEAD_ML = 4.0  # a femoral head is 30-90 mL; blobs smaller than this are noise
HEAD_LEVEL = 0.5
# With a verifier, weaker blobs are candidates too (on real T1 series a head may reach only 0.3-0.5),
# at most MAX_CANDIDATES of them, and one counts only when its crop looks like a head.
CANDIDATE_LEVEL, CANDIDATE_ML, MAX_CANDIDATES, MIN_VERIFIED = 0.3, 1.0, 8, 0.25
# Centre-to-centre distance of the femoral heads, left-right: 150-215 mm on the phantoms and on the
# real series here; the range leaves room for small and large patients.
HEAD_DISTANCE_MM = (110.0, 280.0)


@dataclass
class FoundHead:
    side: str  # patient side, "right" or "left"
    centre: np.ndarray  # (slice, row, col) in the native view's indices
    confidence: float  # mean locator probability over the blob
    volume_ml: float
    verified: Optional[float] = None  # the segmenter's head probability at the centre, when checked


def find_heads(prob: np.ndarray, to_view: Callable[[np.ndarray], np.ndarray], voxel_ml: float,
               ras_x: Callable[[np.ndarray], float], midline_x: float,
               verify: Optional[Callable[[FoundHead], float]] = None) -> list[FoundHead]:
    """``prob`` (slices, rows, cols) on the locator canvas; ``to_view`` maps canvas (slice, row, col) to
    native view indices, ``ras_x`` native view indices to RAS x; ``midline_x`` is the body's midline
    (used only when no pair of blobs lies as far apart as two femoral heads)."""
    from scipy import ndimage

    level, min_ml = (CANDIDATE_LEVEL, CANDIDATE_ML) if verify else (HEAD_LEVEL, MIN_HEAD_ML)
    labels, n = ndimage.label(prob >= level)
    blobs = []
    for k in range(1, n + 1):
        idx = np.argwhere(labels == k)
        vol = len(idx) * voxel_ml
        if vol < min_ml:
            continue
        weights = prob[labels == k]
        centre = to_view((idx * weights[:, None]).sum(axis=0) / weights.sum())
        blobs.append(FoundHead("", centre, float(weights.mean()), vol))
    for blob in blobs:
        blob.side = "right" if ras_x(blob.centre) > midline_x else "left"
    if verify:
        blobs = sorted(blobs, key=lambda b: -b.volume_ml * b.confidence)[:MAX_CANDIDATES]
        for blob in blobs:
            blob.verified = float(verify(blob))
        blobs = [b for b in blobs if b.verified >= MIN_VERIFIED]
    return _pick_pair(blobs, ras_x) or _best_per_side(blobs)


def _strength(blob: FoundHead) -> float:
    if blob.verified is not None:  # the segmenter's word first; the locator's size breaks ties
        return blob.verified + 1e-3 * blob.volume_ml * blob.confidence
    return blob.volume_ml * blob.confidence


def _pick_pair(blobs: list[FoundHead], ras_x: Callable[[np.ndarray], float]) -> list[FoundHead]:
    """The strongest two blobs as far apart as two femoral heads are (HEAD_DISTANCE_MM); the one further
    to the patient's right (larger RAS x) is the right head. [] when no pair fits."""
    best, pair = 0.0, []
    for n, a in enumerate(blobs):
        for b in blobs[n + 1:]:
            xa, xb = ras_x(a.centre), ras_x(b.centre)
            if HEAD_DISTANCE_MM[0] <= abs(xa - xb) <= HEAD_DISTANCE_MM[1] and _strength(a) + _strength(b) > best:
                best = _strength(a) + _strength(b)
                pair = [a, b] if xa > xb else [b, a]
    if pair:
        pair[0].side, pair[1].side = "right", "left"
    return pair


def _best_per_side(blobs: list[FoundHead]) -> list[FoundHead]:
    """Without a pair (one hip in the field of view, or one head not found): the strongest blob of each
    side of the body's midline."""
    best: dict[str, FoundHead] = {}
    for blob in blobs:
        held = best.get(blob.side)
        if held is None or _strength(blob) > _strength(held):
            best[blob.side] = blob
    return [best[s] for s in ("right", "left") if s in best]


def body_midline_column(view: np.ndarray) -> float:
    """Column (native view) of the body's midline: the centre of the signal above a fifth of its mean,
    weighted over every slice (air is dark in STIR and T1 alike)."""
    profile = view.mean(axis=(0, 1))
    body = profile > 0.2 * profile.mean()
    cols = np.flatnonzero(body)
    if not len(cols):
        return (view.shape[2] - 1) / 2.0
    return float((cols.min() + cols.max()) / 2.0)
