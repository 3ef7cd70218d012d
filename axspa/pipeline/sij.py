"""Sacroiliitis on an AP pelvic radiograph: grader model -> modified New York rules.

Predictor protocol: ``predict(pixels, spacing_mm) -> {"right": [p0..p4], "left": [p0..p4],
"heatmap": float array on the image grid or None}`` with per-side grade probabilities.
"""

from __future__ import annotations

from typing import Any, Optional

from axspa import sij
from axspa.image import Radiograph
from axspa.pipeline import Cancel, Progress, load_predictor, report

SIJ_BUNDLE = "sij-grader"


def load_models() -> Any:
    return load_predictor(SIJ_BUNDLE)


def score_pelvis(radiograph: Radiograph, model: Optional[Any] = None, progress: Progress = None,
                 cancel: Cancel = None) -> tuple[dict, Any]:
    """Score one radiograph; returns the ``axspa.sij/1`` document and the heat map (or None)."""
    model = model or load_models()
    report(progress, 0.0, "grading sacroiliac joints", cancel)
    out = model.predict(radiograph.pixels, radiograph.spacing_mm)
    report(progress, 1.0, "done", cancel)
    return build_sij_document(radiograph, out["right"], out["left"], model.bundle_id), out.get("heatmap")


def build_sij_document(radiograph: Radiograph, p_right: list[float], p_left: list[float],
                       model_id: str) -> dict:
    sides = {}
    for side, p in (("right", p_right), ("left", p_left)):
        sides[side] = {"grade_probabilities": [float(v) for v in p], "grade": sij.grade_from_probabilities(p)}
    return {
        "schema": "axspa.sij/1",
        "input": {"path": radiograph.path, "sha256": radiograph.sha256, "rows": radiograph.rows,
                  "columns": radiograph.columns,
                  "pixel_spacing_mm": list(radiograph.spacing_mm) if radiograph.spacing_mm else None},
        "model": {"grader": model_id},
        "sides": sides,
        "definite": sij.is_definite(sides["right"]["grade"], sides["left"]["grade"]),
        "definite_probability": sij.definite_probability(p_right, p_left),
        "heatmap": None,
        "warnings": list(radiograph.warnings),
    }
