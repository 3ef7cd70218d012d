"""Sacroiliitis on AP pelvic radiographs: grader model -> modified New York rules, one image or a batch
(``axspa sij``).

Predictor protocol: ``predict(pixels, spacing_mm, joints=None) -> {"right": [p0..p4], "left": [p0..p4],
"heatmap": float array on the image grid or None}`` with per-side grade probabilities, and optionally
"joints" ({side: {"column", "row", "confidence"}}), "definite_direct", "operating_points" (thresholds on
P(definite) by name) and "warnings". ``joints`` ({side: (column, row)}) puts the joints where the user says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from axspa.bundles import load_predictor
from axspa.image import Radiograph
from axspa.jobs import Cancel, Progress, report, run_batch
from axspa.sij import rules

SIJ_BUNDLE = "sij-grader"


def load_models(model_dir: Optional[Path] = None, trust_code: bool = False) -> Any:
    """The sij-grader predictor: installed, or the bundle folder ``model_dir`` (see bundles.read_bundle)."""
    return load_predictor(SIJ_BUNDLE, model_dir, trust_code)


def score_pelvis(radiograph: Radiograph, model: Optional[Any] = None, progress: Progress = None,
                 cancel: Cancel = None, joints: Optional[dict] = None) -> tuple[dict, Any]:
    """Score one radiograph; returns the ``axspa.sij/1`` document and the heat map (or None). ``joints``:
    {"right": (column, row), "left": (column, row)} to grade at the user's points instead of the located ones."""
    model = model or load_models()
    report(progress, 0.0, "grading sacroiliac joints", cancel)
    out = model.predict(radiograph.pixels, radiograph.spacing_mm, joints=joints) if joints else \
        model.predict(radiograph.pixels, radiograph.spacing_mm)
    report(progress, 1.0, "done", cancel)
    doc = build_sij_document(radiograph, out["right"], out["left"], model.bundle_id)
    _add_model_extras(doc, out)
    return doc, out.get("heatmap")


def _add_model_extras(doc: dict, out: dict) -> None:
    """What a model gives beyond the grade probabilities: joint positions, the direct P(definite), the operating
    points (each with its decision for this film) and warnings."""
    for side, joint in (out.get("joints") or {}).items():
        if side in doc["sides"] and joint is not None:
            doc["sides"][side]["joint"] = {k: float(joint[k]) for k in ("column", "row", "confidence") if k in joint}
    if out.get("definite_direct") is not None:
        doc["definite_probability_direct"] = float(out["definite_direct"])
    points = out.get("operating_points")
    if points:
        p = doc["definite_probability"]
        doc["operating_points"] = {name: {"threshold": float(t), "definite": bool(p >= t)}
                                   for name, t in points.items()}
    doc["warnings"] += [w for w in out.get("warnings", []) if w not in doc["warnings"]]


def build_sij_document(radiograph: Radiograph, p_right: list[float], p_left: list[float],
                       model_id: str) -> dict:
    sides = {}
    for side, p in (("right", p_right), ("left", p_left)):
        sides[side] = {"grade_probabilities": [float(v) for v in p], "grade": rules.grade_from_probabilities(p)}
    return {
        "schema": "axspa.sij/1",
        "input": {"path": radiograph.path, "sha256": radiograph.sha256, "rows": radiograph.rows,
                  "columns": radiograph.columns,
                  "pixel_spacing_mm": list(radiograph.spacing_mm) if radiograph.spacing_mm else None},
        "model": {"grader": model_id},
        "sides": sides,
        "definite": rules.is_definite(sides["right"]["grade"], sides["left"]["grade"]),
        "definite_probability": rules.definite_probability(p_right, p_left),
        "heatmap": None,
        "warnings": list(radiograph.warnings),
    }


def score_batch(images: Sequence[str], out: Path, overwrite: bool = False, model_dir: Optional[Path] = None,
                trust_code: bool = False) -> int:
    """``axspa sij``: grade each radiograph into ``out`` (outputs.py), going on past a bad one; returns the
    exit status. Each film's warnings (e.g. not an adult AP pelvis) are printed with its line."""
    from axspa.io.radiograph import read_radiograph
    from axspa.sij import outputs, texts

    model = load_models(model_dir, trust_code)
    stems = outputs.output_stems(images, out)

    def work(path: str) -> str:
        radiograph = read_radiograph(path)
        doc, heatmap = score_pelvis(radiograph, model)
        outputs.write_sij_outputs(path, doc, heatmap, radiograph.ijk_to_ras, out, overwrite, stem=stems[path])
        return "\n".join([texts.radiograph_line(path, doc)] + [f"  warning: {w}" for w in doc["warnings"]])

    return run_batch(images, out, work, "sij")
