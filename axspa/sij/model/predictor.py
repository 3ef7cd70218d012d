"""The predictor the shipped ``sij-grader`` bundle names (protocol: axspa.sij.pipeline).

Film letterboxed -> locator -> both joint centres (or the user's points) -> a 64 mm crop around each at 0.5 mm
(the right one mirrored) -> grade probabilities, the direct P(definite) and a Grad-CAM map of each crop laid
back on the film grid. A film on which the joints are not found with confidence, or not where an adult AP
pelvis has them, is flagged and its probabilities are pulled toward uniform: never a confident grade there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from axspa.sij.model.data import TYPICAL_JOINT_DISTANCE_MM, crop, crop_matrix, letterbox, paste_back, to_film
from axspa.sij.model.network import CROP_PX, REFINE_MM, REFINE_PX

SIDES = ("right", "left")
MIN_PEAK_SEPARATION = 15  # letterbox pixels (about 30 mm): the second joint is another peak
MIN_LOCATOR_CONFIDENCE = 0.35  # peak of a joint's heat map below which the joint counts as not found
JOINT_DISTANCE_MM = (65.0, 135.0)  # plausible centre-to-centre distance on an adult AP film (detector mm)


class SijPredictor:
    def __init__(self, folder: Optional[Path] = None, info: Optional[dict] = None,
                 model: Optional[torch.nn.Module] = None, settings: Optional[dict] = None):
        if model is None:
            from axspa.training.bundle import load_network

            model = load_network(Path(folder), info or {})
            settings = json.loads((Path(folder) / "configs" / "inference.json").read_text())
        self.model = model.eval()
        settings = settings or {}
        self.operating_points = settings.get("operating_points")
        self.joint_distance_mm = float(settings.get("typical_joint_distance_mm", TYPICAL_JOINT_DISTANCE_MM))

    # ----------------------------------------------------------------------------------------- locate
    def locate(self, pixels: np.ndarray) -> dict:
        """{"right": {"column", "row", "confidence"}, "left": ...}: the two strongest peaks of the locator's heat
        map at least MIN_PEAK_SEPARATION apart, the one on the image left being the patient's right (AP film)."""
        img, scale, (x0, y0) = letterbox(pixels)
        with torch.no_grad():
            heat = torch.sigmoid(self.model.locator(torch.from_numpy(img)[None, None]))[0, 0].numpy()
        peaks = []
        h = heat.copy()
        for _ in range(2):
            xc, yc, peak = _peak(h)
            peaks.append({"column": (xc - x0) / scale, "row": (yc - y0) / scale, "confidence": peak})
            r, c, k = int(round(yc)), int(round(xc)), MIN_PEAK_SEPARATION
            h[max(r - k, 0):r + k + 1, max(c - k, 0):c + k + 1] = 0
        peaks.sort(key=lambda p: p["column"])
        return dict(zip(SIDES, peaks))

    def refine(self, pixels: np.ndarray, found: dict, mm_per_px: float) -> dict:
        """Each joint centre refined at 1 mm in a REFINE_MM square around the locator's point; ``refined``
        is the peak of that heat map (low when nothing there looks like a joint)."""
        out = {}
        for side in SIDES:
            m = crop_matrix((found[side]["column"], found[side]["row"]), mm_per_px, side == "right", REFINE_PX,
                            REFINE_MM)
            x = torch.from_numpy(crop(pixels, m, REFINE_PX))[None, None]
            with torch.no_grad():
                h = torch.sigmoid(self.model.refine(x))[0, 0].numpy()
            xc, yc, peak = _peak(h)
            col, row = to_film(m, np.array([xc, yc]))[0]
            out[side] = {**found[side], "column": float(col), "row": float(row), "refined": peak}
        return out

    # ------------------------------------------------------------------------------------------ predict
    def predict(self, pixels, spacing_mm=None, joints: Optional[dict] = None) -> dict:
        pixels = np.asarray(pixels, np.float32)
        warnings: list[str] = []
        found = self.locate(pixels)
        found = self.refine(pixels, found, self._scale(found, spacing_mm))
        if joints:
            for side in SIDES:
                if side in joints and joints[side] is not None:
                    col, row = joints[side]
                    found[side] = {"column": float(col), "row": float(row), "confidence": 1.0}
        trust = self._plausibility(found, spacing_mm, warnings)
        mm_per_px = self._scale(found, spacing_mm)
        matrices = {side: crop_matrix((found[side]["column"], found[side]["row"]), mm_per_px, side == "right")
                    for side in SIDES}
        crops = {side: torch.from_numpy(crop(pixels, matrices[side]))[None, None] for side in SIDES}
        with torch.no_grad():
            lr, ll, ld = self.model.grade_pair(crops["right"], crops["left"])
        probs = {"right": torch.softmax(lr, 1)[0].numpy(), "left": torch.softmax(ll, 1)[0].numpy()}
        direct = float(torch.sigmoid(ld)[0])
        if trust < 1.0:  # unlike an adult AP pelvis: toward uniform, so no grade is confident
            probs = {s: trust * p + (1 - trust) * np.full(5, 0.2, np.float32) for s, p in probs.items()}
            direct = trust * direct + (1 - trust) * 0.5
        heatmap = self._gradcam(crops, probs, matrices, pixels.shape)
        return {"right": _rounded(probs["right"]), "left": _rounded(probs["left"]), "heatmap": heatmap,
                "joints": {s: {"column": round(found[s]["column"], 2), "row": round(found[s]["row"], 2),
                               "confidence": round(min(found[s]["confidence"], found[s].get("refined", 1.0)), 4)}
                           for s in SIDES},
                "definite_direct": round(direct, 6), "operating_points": self.operating_points,
                "warnings": warnings}

    def _plausibility(self, found: dict, spacing_mm, warnings: list) -> float:
        """1 when both joints are found where an AP pelvis has them; less (down to 0.1) otherwise, with warnings."""
        trust = 1.0
        weak = [s for s in SIDES if found[s]["confidence"] < MIN_LOCATOR_CONFIDENCE]
        if weak:
            warnings.append("sacroiliac joint not found with confidence ("
                            + ", ".join(f"{s} {found[s]['confidence']:.2f}" for s in weak)
                            + "): this does not look like an adult AP pelvis film; grades are unreliable, review")
            # the weaker the peak, the closer to uniform: from 0.1 (no peak) to 0.55 (just under the floor)
            trust = min(trust, 0.1 + 0.9 * min(found[s]["confidence"] for s in SIDES) / MIN_LOCATOR_CONFIDENCE * 0.5)
        dx = found["left"]["column"] - found["right"]["column"]
        dy = found["left"]["row"] - found["right"]["row"]
        if dx <= 0 or abs(dy) > 0.4 * abs(dx):
            warnings.append("the two sacroiliac joints found are not side by side as on an AP pelvis film "
                            "(right joint on the image left): grades are unreliable, review")
            trust = min(trust, 0.1)
        elif spacing_mm:
            dist = float(np.hypot(dx, dy)) * float(spacing_mm[1])
            if not JOINT_DISTANCE_MM[0] <= dist <= JOINT_DISTANCE_MM[1]:
                lo, hi = JOINT_DISTANCE_MM
                warnings.append(f"the sacroiliac joints found are {dist:.0f} mm apart (an adult AP pelvis: "
                                f"{lo:.0f}-{hi:.0f} mm): a child, another body part or a wrong pixel spacing? "
                                "Grades are unreliable, review")
                trust = min(trust, 0.1)
        return trust

    def _scale(self, found: dict, spacing_mm) -> float:
        """Film mm per pixel: the pixel spacing, or for a photo the typical distance of the joints found."""
        if spacing_mm:
            return float(spacing_mm[1])
        dist = float(np.hypot(found["left"]["column"] - found["right"]["column"],
                              found["left"]["row"] - found["right"]["row"]))
        return self.joint_distance_mm / max(dist, 1.0)

    def _gradcam(self, crops: dict, probs: dict, matrices: dict, shape) -> Optional[np.ndarray]:
        """Grad-CAM (monai.visualize) of each side's most probable grade, laid back on the film grid, 0..1."""
        from monai.visualize import GradCAM

        cam = GradCAM(nn_module=self.model.grader, target_layers="backbone.layer4")
        heat = np.zeros(shape, np.float32)
        for side in SIDES:
            with torch.enable_grad():
                m = cam(crops[side].clone().requires_grad_(True), class_idx=int(np.argmax(probs[side])))
            m = np.asarray(m.detach()[0, 0], np.float32).reshape(CROP_PX, CROP_PX)
            np.maximum(heat, paste_back(m, matrices[side], shape), out=heat)
        return np.clip(heat, 0, 1)


def _peak(h: np.ndarray) -> tuple[float, float, float]:
    """(x, y) of a heat map's maximum, refined by the weighted centre of the 5 x 5 around it, and its value."""
    r, c = np.unravel_index(int(np.argmax(h)), h.shape)
    r0, r1, c0, c1 = max(r - 2, 0), min(r + 3, h.shape[0]), max(c - 2, 0), min(c + 3, h.shape[1])
    w = h[r0:r1, c0:c1]
    rr, cc = np.mgrid[r0:r1, c0:c1]
    return float((w * cc).sum() / w.sum()), float((w * rr).sum() / w.sum()), float(h[r, c])


def _rounded(p: np.ndarray) -> list:
    """Probabilities rounded for the document, still summing to 1 within the rules' tolerance."""
    p = np.asarray(p, np.float64)
    p = p / p.sum()
    return [round(float(v), 6) for v in p]
