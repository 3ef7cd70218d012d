"""Checks of a hip segmentation against a reference bone labelmap (real anatomy without lesions, e.g. the
T1 pelvis series with manual femur masks): each femoral head found, on the right patient side, and the
share of its voxels inside the reference femur (precision; the femur label also holds the neck and
shaft, so recall against it means nothing)."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from axspa.image import Volume

FEMUR, SACRUM = 1, 4  # labels of the bone-labels.nrrd files (femur, sacrum)


def ras_x(volume: Volume) -> np.ndarray:
    """RAS x (patient right is +) of every voxel, shaped like the [k, j, i] array."""
    k, j, i = np.indices(volume.array.shape)
    m = volume.ijk_to_ras
    return m[0, 0] * i + m[0, 1] * j + m[0, 2] * k + m[0, 3]


def reference_femurs(volume: Volume, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The femur label split into patient right and left by RAS x against the sacrum's midline (or the
    femurs' own middle when no sacrum is labelled)."""
    x = ras_x(volume)
    femur = labels == FEMUR
    midline = float(x[labels == SACRUM].mean()) if (labels == SACRUM).any() else float(x[femur].mean())
    return {"right": femur & (x > midline), "left": femur & (x < midline)}


def check_heads(pred: Mapping[str, np.ndarray], femurs: Mapping[str, np.ndarray]) -> dict[str, dict]:
    """Per side: found (any voxel), side_correct (more of the predicted head in this side's femur than in
    the other's), inside_femur (share of predicted head voxels inside this side's femur) and voxels."""
    out = {}
    for side, other in (("right", "left"), ("left", "right")):
        head = np.asarray(pred.get(f"{side.capitalize()} femoral head", np.zeros(1, bool)), bool)
        n = int(head.sum())
        own = int((head & femurs[side]).sum()) if n else 0
        wrong = int((head & femurs[other]).sum()) if n else 0
        out[side] = {"found": n > 0, "side_correct": n > 0 and own > wrong,
                     "inside_femur": round(own / n, 4) if n else None, "voxels": n}
    return out
