"""The hip model's lesion decision: is there bone marrow edema on this side at all, and which voxels.

The segmenter's raw BME labels are kept only where (1) the image is brighter than the marrow of the bone
they lie in (its median outside the lesion) by a margin, (2) they form pieces of at least ``min_ml``, and
(3) a per-side, per-region probability that there is any edema, from the kept volume and its contrast, is
at least one half. The margin and the probability's weights are learnt (``fit_decision``) from phantoms
of a seed used neither in training nor in any test (``axspa train hip-segmenter --calibration``) and
stored in the bundle's ``configs/inference.json``; a bundle without them keeps every raw label.

Why: on real anatomy the network drew 1-2 mL of femoral BME in heads without any (red marrow islands,
vessels, uneven fat suppression); a true edema is brighter than its marrow, a look-alike barely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

MIN_LESION_ML = 0.05  # about 12 mm² on each of three 4-mm slices: smaller pieces are not reported
MARGINS = tuple(round(0.1 * i, 1) for i in range(21))  # 0 .. 2 times the marrow's median signal
# The smallest margin within this of the best pooled Dice is taken: phantom edema is far brighter than its
# marrow, and a margin pushed to the phantoms' limit would drop the fainter edema of real patients.
DICE_SLACK = 0.005
VOLUME_UNIT_ML = 0.05


@dataclass
class LesionDecision:
    # A BME voxel must exceed the bone's marrow median by this fraction of it. None: no intensity test (effusion-
    # synovitis lies in no bone; its decision rests on the kept volume alone).
    margin: Optional[float] = 0.0
    min_ml: float = MIN_LESION_ML
    weights: Sequence[float] = field(default_factory=tuple)  # bias, log-volume, contrast; empty: always keep

    def to_json(self) -> dict:
        return {"margin": self.margin, "min_ml": self.min_ml, "weights": [round(float(w), 6) for w in self.weights]}

    @classmethod
    def from_json(cls, doc: Optional[dict]) -> Optional[LesionDecision]:
        """None for a bundle without one (0.1): its raw labels are kept, as it was validated."""
        if not doc:
            return None
        margin = None if doc["margin"] is None else float(doc["margin"])
        return cls(margin, float(doc["min_ml"]), tuple(float(w) for w in doc.get("weights", ())))

    def apply(self, view: np.ndarray, bone: np.ndarray, lesion: np.ndarray, voxel_ml: float
              ) -> tuple[np.ndarray, float]:
        """(kept lesion mask, probability that there is any lesion) for one bone of one side."""
        kept, contrast = self.filter(view, bone, lesion, voxel_ml)
        p = self.probability(float(kept.sum()) * voxel_ml, contrast)
        return (kept if p >= 0.5 else np.zeros_like(kept)), p

    def filter(self, view: np.ndarray, bone: np.ndarray, lesion: np.ndarray, voxel_ml: float
               ) -> tuple[np.ndarray, float]:
        """Steps (1) and (2); returns the kept mask and its median contrast over the marrow (0 when empty)."""
        if not lesion.any():
            return lesion, 0.0
        if self.margin is None:
            box = _box(lesion)
            out = np.zeros_like(lesion)
            out[box] = _without_small_pieces(lesion[box], self.min_ml / voxel_ml)
            return out, 0.0
        box = _box(bone | lesion)
        v, b, les = view[box], bone[box], lesion[box]
        marrow = b & ~les
        ref = float(np.median(v[marrow])) if marrow.any() else float(np.median(v[b]))
        ratio = v / max(ref, 1e-6)
        kept = les & (ratio > 1.0 + self.margin)
        kept = _without_small_pieces(kept, self.min_ml / voxel_ml)
        out = np.zeros_like(lesion)
        out[box] = kept
        return out, (float(np.median(ratio[kept])) - 1.0) if kept.any() else 0.0

    def probability(self, volume_ml: float, contrast: float) -> float:
        if not len(self.weights):
            return 1.0 if volume_ml > 0 else 0.0
        return float(_sigmoid(np.dot(self.weights, _features(volume_ml, contrast))))


def _features(volume_ml: float, contrast: float) -> np.ndarray:
    return np.array([1.0, np.log1p(volume_ml / VOLUME_UNIT_ML), contrast])


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _box(mask: np.ndarray) -> tuple:
    from axspa.hip.model.shape import bounding_box

    return bounding_box(mask)


def _without_small_pieces(mask: np.ndarray, min_voxels: float) -> np.ndarray:
    from scipy import ndimage

    if min_voxels <= 1 or not mask.any():
        return mask
    labels, n = ndimage.label(mask)
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_voxels
    keep[0] = False
    return keep[labels]


@dataclass
class DecisionSample:
    """One bone of one side of a calibration case: the view, bone and raw predicted lesion cropped to where
    either lesion lies (with the bone), the truth lesion there, the voxel volume."""
    view: np.ndarray
    bone: np.ndarray
    raw: np.ndarray
    truth: np.ndarray
    voxel_ml: float

    @classmethod
    def crop(cls, view, bone, raw, truth, voxel_ml) -> DecisionSample:
        either = bone | raw | truth
        if not either.any():
            return cls(*(np.zeros((1, 1, 1), t) for t in (np.float32, bool, bool, bool)), voxel_ml)
        box = _box(either)
        return cls(view[box].astype(np.float32), bone[box], raw[box], truth[box], voxel_ml)


def fit_decision(samples: list[DecisionSample], min_ml: float = MIN_LESION_ML,
                 margins: Sequence[Optional[float]] = MARGINS) -> tuple[LesionDecision, dict]:
    """The smallest margin within DICE_SLACK of the best pooled Dice over the samples, then the logistic
    weights of 'any lesion' (truth holds voxels) on the kept volume and contrast. ``margins`` (None,): no
    intensity test, the volume alone (effusion-synovitis).
    Returns the decision and what was measured."""
    dice = {}
    for m in margins:
        rule = LesionDecision(m, min_ml)
        both = total = 0
        for s in samples:
            kept, _ = rule.filter(s.view, s.bone, s.raw, s.voxel_ml)
            both += int((kept & s.truth).sum())
            total += int(kept.sum() + s.truth.sum())
        dice[m] = 2.0 * both / total if total else 0.0
    best = max(dice.values())
    margin = min((m for m in margins if dice[m] >= best - DICE_SLACK), key=lambda m: -1.0 if m is None else m)
    rule = LesionDecision(margin, min_ml)
    x, y = [], []
    for s in samples:
        kept, contrast = rule.filter(s.view, s.bone, s.raw, s.voxel_ml)
        x.append(_features(float(kept.sum()) * s.voxel_ml, contrast))
        y.append(1.0 if s.truth.any() else 0.0)
    weights = _logistic(np.array(x), np.array(y))
    fitted = LesionDecision(margin, min_ml, tuple(weights))
    p = _sigmoid(np.array(x) @ weights)
    return fitted, {"samples": len(samples), "with_lesion": int(sum(y)), "pooled_dice_by_margin":
                    {str(k): round(v, 4) for k, v in dice.items()}, "margin": margin,
                    "accuracy_any_lesion": round(float(np.mean((p >= 0.5) == (np.array(y) > 0))), 4)}


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iterations: int = 50) -> np.ndarray:
    """Ridge-penalised logistic regression by Newton steps (a few features, a few hundred samples)."""
    w = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = _sigmoid(x @ w)
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w
