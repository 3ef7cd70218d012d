"""mSASSS on lateral spine radiographs: landmark model -> corner model -> engine rules, one image or a
batch (``axspa spine``), and the study total of a cervical + lumbar pair.

Predictor protocols (see axspa/bundles.py for how bundles name them):
- landmarks ``predict(pixels, spacing_mm, region) -> {"region": "cervical"|"lumbar",
  "vertebrae": [{"name", "anterior_superior", "anterior_inferior", "center"}],
  "sites": {site_id: (x, y) | None}, "region_confidence": 0-1 (optional)}``; ``region`` may be "auto".
  ``region_confidence`` is how sure the model is of the returned region: below 0.5 when it was asked for a
  region its own call is the other one (the shipped LandmarkPredictor reports 1 - its confidence then).
- corners ``predict(pixels, spacing_mm, points: {site_id: (x, y)}) ->
  {site_id: {finding: probability}}`` for the located sites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from axspa.bundles import load_predictor
from axspa.image import InputError, Radiograph
from axspa.jobs import Cancel, Progress, report, run_batch
from axspa.results import validate
from axspa.spine import rules
from axspa.spine.header import header_region, not_lateral_spine, radiograph_tags
from axspa.spine.sites import FINDINGS, REGIONS

LANDMARK_BUNDLE = "spine-landmarks"
CORNER_BUNDLE = "spine-corners"


# A site whose confidence (the least sure of its point and of the flags that decided its grade) is
# below this is flagged for a reader's review.
REVIEW_BELOW = 0.7

# The landmark model's own region call below this confidence is reported as unsure and the film flagged for a
# reader. On the 100 phantom test films (out/evaluate/spine, originals) every call was right, at 0.87-1.00,
# 14 of them below 0.9; on real lateral lumbar films held back by the maintainers it said "cervical" at
# 0.90-1.00. So even a high confidence is no proof on real films, and 0.9 errs toward asking a reader.
REGION_SURE = 0.9


@dataclass
class RegionChoice:
    """Which region the landmark model is asked for and why: ``source`` "user" (given), "header" (the DICOM
    header names it) or "image" (``asked`` "auto": the model decides); ``said`` quotes the header field."""

    asked: str
    source: str
    said: str = ""
    warnings: list[str] = field(default_factory=list)


class SpineModels:
    """Both predictors, loaded once for a whole batch; ``model_dir`` holds a group's own bundles."""

    def __init__(self, model_dir: Optional[Path] = None, trust_code: bool = False) -> None:
        self.landmarks = load_predictor(LANDMARK_BUNDLE, model_dir, trust_code)
        self.corners = load_predictor(CORNER_BUNDLE, model_dir, trust_code)


def score_radiograph(radiograph: Radiograph, region: str = "auto", models: Optional[SpineModels] = None,
                     progress: Progress = None, cancel: Cancel = None, threshold: float = 0.5) -> dict:
    """Score one radiograph into an ``axspa.spine/1`` document."""
    choice = choose_region(radiograph, region)  # a film whose header says it is no lateral spine stops here
    models = models or SpineModels()
    report(progress, 0.0, "locating vertebral corners", cancel)
    located = models.landmarks.predict(radiograph.pixels, radiograph.spacing_mm, choice.asked)
    region_warnings, review = check_region(choice, located["region"], located.get("region_confidence"))
    points = {k: v for k, v in located["sites"].items() if v is not None}
    report(progress, 0.5, "grading corners", cancel)
    findings = models.corners.predict(radiograph.pixels, radiograph.spacing_mm, points) if points else {}
    report(progress, 1.0, "done", cancel)
    model_ids = {"landmarks": models.landmarks.bundle_id, "corners": models.corners.bundle_id}
    doc = build_spine_document(radiograph, located["region"], located["vertebrae"], located["sites"],
                               findings, model_ids, threshold=threshold,
                               point_confidence=located.get("point_confidence"),
                               warnings=choice.warnings + region_warnings + list(located.get("warnings", ())))
    if located.get("region_confidence") is not None:
        doc["region_confidence"] = located["region_confidence"]
    doc["region_source"], doc["region_review"] = choice.source, review
    return doc


def choose_region(radiograph: Radiograph, region: str = "auto") -> RegionChoice:
    """The region to ask the landmark model for. The user's wins; else the DICOM header's, as a prior: real
    headers are right far more often than a model trained on phantoms is on real films (it called real lumbar
    films cervical, sure of it). InputError when the header says the film is not a lateral spine view."""
    tags = radiograph_tags(radiograph.meta)
    refused = not_lateral_spine(tags)
    if refused:
        raise InputError(f"{radiograph.path or 'the radiograph'}: not scored: DICOM header {refused} "
                         "(if the header is wrong, correct it or give the film as PNG)")
    named, said = header_region(tags)
    if region in REGIONS:
        clash = [f"the header says {named} ({said}), the region given is {region}: scored as {region}"]
        return RegionChoice(region, "user", said if named else "", clash if named and named != region else [])
    if named:
        return RegionChoice(named, "header", said)
    return RegionChoice("auto", "image", "", [f"{said}: region from the image"] if said else [])


def check_region(choice: RegionChoice, region: str, confidence: Optional[float]) -> tuple[list[str], bool]:
    """(warnings, review): the film is flagged when the image disagrees with the header, or when the image
    alone decided and is unsure. A region the user gave is not second-guessed; a model that reports no
    confidence cannot be checked."""
    if confidence is None or choice.source == "user":
        return [], False
    if choice.source == "header" and confidence < 0.5:
        other = next(r for r in REGIONS if r != region)
        return [f"header says {region} ({choice.said}), the image looks {other} ({1 - confidence:.2f}): "
                f"scored as {region}; check the region"], True
    if choice.source == "image" and confidence < REGION_SURE:
        return [f"region unsure: the image looks {region} ({confidence:.2f}) and the file's header does not "
                "say; check the region (or give it: --region)"], True
    return [], False


def grade_points(radiograph: Radiograph, points: Mapping[str, Sequence[float]], corners: Any,
                 known_findings: Optional[Mapping[str, Mapping[str, float]]] = None, threshold: float = 0.5,
                 progress: Progress = None, cancel: Cancel = None) -> dict:
    """Re-grade sites at given pixel points (a reader moved or placed them): the corner model runs at
    these points only, and the grades come from the engine's rules over these findings together with
    ``known_findings`` of the other sites (rule 1: bridging at a disc level makes both of its sites 3).

    Returns ``{"sites": {site: entry}, "grades": {site: grade}}``: one document-style site entry per
    point (point, point_mm, findings, grade, confidence, review; the confidence is that of the findings,
    as a reader placed the point), and the grade of every site graded (the points' and the known ones).
    """
    report(progress, 0.0, "grading corners at the moved points", cancel)
    wanted = {site: (float(p[0]), float(p[1])) for site, p in points.items()}
    findings = corners.predict(radiograph.pixels, radiograph.spacing_mm, wanted) if wanted else {}
    report(progress, 1.0, "done", cancel)
    merged = {site: f for site, f in (known_findings or {}).items() if site not in wanted}
    merged.update({site: findings[site] for site in wanted if site in findings})
    grades = rules.grade_sites(merged, threshold=threshold)
    sites = {}
    for site, point in wanted.items():
        entry = _site_entry(site, point, findings.get(site), grades.get(site), radiograph.spacing_mm)
        entry["review"] = entry["confidence"] is not None and entry["confidence"] < REVIEW_BELOW
        sites[site] = entry
    return {"sites": sites, "grades": grades}


def build_spine_document(radiograph: Radiograph, region: str, vertebrae: list[dict],
                         points: Mapping[str, Any], findings: Mapping[str, Mapping[str, float]],
                         model_ids: Mapping[str, str], threshold: float = 0.5,
                         point_confidence: Optional[Mapping[str, float]] = None,
                         warnings: Sequence[str] = ()) -> dict:
    """Assemble the document: grades and score come from the engine's rules, never the model."""
    if region not in REGIONS:
        raise ValueError(f"region must be cervical or lumbar, got {region!r}")
    warnings = list(radiograph.warnings) + list(warnings)
    located = {s: findings[s] for s in REGIONS[region] if points.get(s) is not None and s in findings}
    grades = rules.grade_sites(located, threshold=threshold)
    sites = []
    for site in REGIONS[region]:
        point = points.get(site)
        if point is None or site not in findings:
            warnings.append(f"{site}: corner not located; site left unscored")
        entry = _site_entry(site, point, findings.get(site), grades.get(site), radiograph.spacing_mm)
        if entry["confidence"] is not None and point_confidence and site in point_confidence:
            entry["confidence"] = round(min(entry["confidence"], float(point_confidence[site])), 4)
        entry["review"] = entry["confidence"] is not None and entry["confidence"] < REVIEW_BELOW
        sites.append(entry)
    segment = rules.segment_score({s: g for s, g in grades.items()}, region)
    return {
        "schema": "axspa.spine/1",
        "input": {"path": radiograph.path, "sha256": radiograph.sha256, "rows": radiograph.rows,
                  "columns": radiograph.columns,
                  "pixel_spacing_mm": list(radiograph.spacing_mm) if radiograph.spacing_mm else None,
                  "photometric": radiograph.photometric},
        "region": region,
        "model": dict(model_ids),
        "vertebrae": vertebrae,
        "sites": sites,
        "score": segment.to_dict(),
        "warnings": warnings,
    }


def _site_entry(site: str, point: Any, findings: Optional[Mapping[str, float]], grade: Optional[int],
                spacing_mm: Optional[tuple[float, float]]) -> dict:
    located = point is not None and findings is not None
    probs = {f: float(findings.get(f, 0.0)) for f in FINDINGS} if findings else dict.fromkeys(FINDINGS, 0.0)
    entry = {"id": site, "point": [float(point[0]), float(point[1])] if located else None,
             "point_mm": None, "findings": probs, "grade": grade if located else None,
             "confidence": _confidence(probs) if located else None}
    if located and spacing_mm:
        entry["point_mm"] = [float(point[0]) * spacing_mm[1], float(point[1]) * spacing_mm[0]]
    return entry


def _confidence(probs: Mapping[str, float]) -> float:
    # How sure the model is of the flags that decided the grade: the least decisive probability.
    return float(min(max(p, 1.0 - p) for p in probs.values()))


def study_document(docs: Sequence[Mapping[str, Any]]) -> dict:
    """``study.json``: the total 0-72 from one cervical and one lumbar ``axspa.spine/1`` result."""
    regions = sorted(d["region"] for d in docs)
    if regions != ["cervical", "lumbar"]:
        raise InputError(f"--study needs one cervical and one lumbar image; got {', '.join(regions)}")
    grades = {s["id"]: s["grade"] for d in docs for s in d["sites"]}
    total = rules.total_score(grades)
    return {"schema": "axspa.study/1", "inputs": [d["input"]["path"] for d in docs], **total.to_dict()}


def score_batch(images: Sequence[str], out: Path, region: str = "auto", threshold: float = 0.5,
                study: bool = False, overwrite: bool = False, model_dir: Optional[Path] = None,
                trust_code: bool = False) -> int:
    """``axspa spine``: score each image into ``out`` (outputs.py), going on past a bad one; with ``study``
    (one cervical and one lumbar image) also ``study.json``. Returns the exit status."""
    from axspa.io.radiograph import read_radiograph
    from axspa.spine import outputs, texts

    if study and len(images) != 2:
        raise InputError("--study takes exactly two images: one cervical and one lumbar view")
    models = SpineModels(model_dir, trust_code)  # once for the batch; a missing bundle stops here
    stems = outputs.output_stems(images, out)  # unique: never one image's result under another's name
    docs: list[dict] = []

    def work(path: str) -> str:
        radiograph = read_radiograph(path)
        doc = score_radiograph(radiograph, region, models=models, threshold=threshold)
        validate(doc, "spine")
        outputs.write_spine_outputs(doc, radiograph, out, overwrite, stem=stems[path])
        docs.append(doc)
        return texts.radiograph_line(path, doc)

    status = run_batch(images, out, work, "spine")
    if study and status == 0:
        document = study_document(docs)
        outputs.write_study(document, out, overwrite, outputs.study_name(document, out, [stems[p] for p in images]))
        print(texts.study_line(document))
    return status
