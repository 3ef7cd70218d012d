"""Femoral heads from the locator's probability stack: 3-D connected blobs, the two most likely kept,
each given its patient side from the image geometry (RAS x against the body's midline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

MIN_HEAD_ML = 4.0  # a femoral head is 30-90 mL; blobs smaller than this are noise
HEAD_LEVEL = 0.5


@dataclass
class FoundHead:
    side: str  # patient side, "right" or "left"
    centre: np.ndarray  # (slice, row, col) in the native view's indices
    confidence: float  # mean locator probability over the blob
    volume_ml: float


def find_heads(prob: np.ndarray, to_view: Callable[[np.ndarray], np.ndarray], voxel_ml: float,
               ras_x: Callable[[np.ndarray], float], midline_x: float) -> list[FoundHead]:
    """``prob`` (slices, rows, cols) on the locator canvas; ``to_view`` maps canvas (slice, row, col) to
    native view indices, ``ras_x`` native view indices to RAS x; ``midline_x`` is the body's midline."""
    from scipy import ndimage

    labels, n = ndimage.label(prob >= HEAD_LEVEL)
    blobs = []
    for k in range(1, n + 1):
        idx = np.argwhere(labels == k)
        vol = len(idx) * voxel_ml
        if vol < MIN_HEAD_ML:
            continue
        weights = prob[labels == k]
        centre = to_view((idx * weights[:, None]).sum(axis=0) / weights.sum())
        blobs.append(FoundHead("", centre, float(weights.mean()), vol))
    best: dict[str, FoundHead] = {}
    for blob in blobs:
        blob.side = "right" if ras_x(blob.centre) > midline_x else "left"
        held = best.get(blob.side)
        if held is None or blob.volume_ml * blob.confidence > held.volume_ml * held.confidence:
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
