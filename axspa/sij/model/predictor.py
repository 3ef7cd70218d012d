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

from axspa.sij.model.data import TYPICAL_JOINT_DISTANCE_MM, crop, crop_matrix, letterbox, paste_back
from axspa.sij.model.network import CROP_PX

SIDES = ("right", "left")
MIN_LOCATOR_CONFIDENCE = 0.3  # peak of a joint's heat map below which the joint counts as not found
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
        """{"right": {"column", "row", "confidence"}, "left": ...} from the locator's heat maps."""
        img, scale, (x0, y0) = letterbox(pixels)
        with torch.no_grad():
            heat = torch.sigmoid(self.model.locator(torch.from_numpy(img)[None, None]))[0].numpy()
        out = {}
        for k, side in enumerate(SIDES):
            h = heat[k]
            r, c = np.unravel_index(int(np.argmax(h)), h.shape)
            r0, r1, c0, c1 = max(r - 2, 0), min(r + 3, h.shape[0]), max(c - 2, 0), min(c + 3, h.shape[1])
            w = h[r0:r1, c0:c1]
            rr, cc = np.mgrid[r0:r1, c0:c1]
            yc, xc = float((w * rr).sum() / w.sum()), float((w * cc).sum() / w.sum())
            out[side] = {"column": (xc - x0) / scale, "row": (yc - y0) / scale, "confidence": float(h[r, c])}
        return out

    # ------------------------------------------------------------------------------------------ predict
    def predict(self, pixels, spacing_mm=None, joints: Optional[dict] = None) -> dict:
        pixels = np.asarray(pixels, np.float32)
        warnings: list[str] = []
        found = self.locate(pixels)
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
                "joints": {s: {k: round(float(v), 2) if k != "confidence" else round(float(v), 4)
                               for k, v in found[s].items()} for s in SIDES},
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
                trust = min(trust, 0.3)
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


def _rounded(p: np.ndarray) -> list:
    """Probabilities rounded for the document, still summing to 1 within the rules' tolerance."""
    p = np.asarray(p, np.float64)
    p = p / p.sum()
    return [round(float(v), 6) for v in p]
