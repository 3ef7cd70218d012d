"""The files of the spine family (docs/formats.md): ``<stem>.spine.json``, ``<stem>.mrk.json``,
``<stem>.sites.csv``, ``study.json``, and the reader-agreement and progression outputs. A file that
differs from the new result (a user's edit) is kept unless ``overwrite`` is set."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from axspa.image import Radiograph
from axspa.jobs import report_kept
from axspa.results import (
    PathLike,
    dumps,
    holds_other_input,
    input_sha256,
    stem_of,
    unique_stems,
    write_file_safely,
    write_output,
    write_text_output,
    write_text_safely,
)
from axspa.spine.sites import FINDINGS
from axspa.spine.texts import grade_description
from axspa.texts import cell


def output_stems(images: Sequence[str], out: Path) -> dict[str, str]:
    """The stem of each image's outputs in ``out`` (results.unique_stems): a ``<stem>.spine.json`` there
    belongs to the image when it records the image's SHA-256."""
    def holds_other(stem: str, image: str) -> bool:
        sha = input_sha256(image)
        return holds_other_input(out / f"{stem}.spine.json", [out / f"{stem}.mrk.json", out / f"{stem}.sites.csv"],
                                 lambda doc: sha is not None and doc.get("input", {}).get("sha256") == sha)
    return unique_stems(images, holds_other)


def write_spine_outputs(doc: dict, radiograph: Radiograph, out: Path, overwrite: bool = False,
                        stem: Optional[str] = None) -> list[str]:
    """``<stem>.spine.json``, ``<stem>.mrk.json`` and ``<stem>.sites.csv``; returns messages about kept files.

    ``stem`` defaults to the input file's; only ``radiograph.ijk_to_ras`` is used (where the control
    points go in ``.mrk.json``)."""
    from axspa.io.markups import write_markups_json

    stem = stem or stem_of(doc["input"]["path"] or "image")
    messages = []
    points = [(s["id"], _ras(radiograph.ijk_to_ras, s["point"])) for s in doc["sites"]]
    descriptions = {s["id"]: grade_description(s["grade"]) for s in doc["sites"]}
    outputs = [
        (out / f"{stem}.spine.json", lambda p: Path(p).write_text(dumps(doc), encoding="utf-8")),
        (out / f"{stem}.mrk.json", lambda p: write_markups_json(p, points, name=f"{stem} mSASSS sites",
                                                                descriptions=descriptions)),
        (out / f"{stem}.sites.csv", lambda p: Path(p).write_text(sites_csv_text(doc["sites"]), encoding="utf-8")),
    ]
    for path, writer in outputs:
        if not write_file_safely(path, writer, overwrite):
            messages.append(report_kept(path))
            print(messages[-1])
    return messages


def study_name(study: dict, out: Path, stems: Sequence[str]) -> str:
    """``study.json``, or ``<stem>_<stem>.study.json`` (the images' output stems) when ``out`` already holds
    the study of other images: never one study's total under another's name."""
    path = out / "study.json"
    if not path.exists() or not holds_other_input(
            path, [], lambda doc: sorted(map(str, doc.get("inputs") or [])) == sorted(study["inputs"])):
        return path.name
    return "_".join(stems) + ".study.json"


def write_study(study: dict, out: Path, overwrite: bool = False, name: str = "study.json") -> Optional[str]:
    """``study.json`` (pipeline.study_document; ``name`` from study_name) in ``out``; returns the message
    when a different file was kept."""
    path = out / name
    if not write_text_safely(path, dumps(study), overwrite):
        print(report_kept(path))
        return report_kept(path)
    return None


def _ras(ijk_to_ras: np.ndarray, point: Optional[list[float]]) -> Optional[tuple[float, float, float]]:
    if point is None:
        return None
    ras = ijk_to_ras @ np.array([point[0], point[1], 0.0, 1.0])
    return (float(ras[0]), float(ras[1]), float(ras[2]))


def sites_csv_text(sites: list[dict]) -> str:
    """CSV with one row per site: id, pixel and mm coordinates, grade, confidence, findings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["site", "x", "y", "x_mm", "y_mm", "grade", "confidence", *FINDINGS])
    for s in sites:
        point = s.get("point") or [None, None]
        point_mm = s.get("point_mm") or [None, None]
        findings = s.get("findings", {})
        writer.writerow([s["id"], *map(cell, point), *map(cell, point_mm), cell(s.get("grade")),
                         cell(s.get("confidence")), *(cell(findings.get(f)) for f in FINDINGS)])
    return out.getvalue()


# ------------------------------------------------------------------------------ agreement, progression

def write_agreement(doc: dict, folder: PathLike, overwrite: bool = False) -> None:
    """``axspa agree scores --plot``: ``bland_altman.png`` (reader 2 - reader 1 totals, when at least two
    studies have both) and ``agreement.json`` (the document, naming the figure) in ``folder``; atomically,
    a file that differs from the new result kept unless ``overwrite`` (results.write_output). Without
    matplotlib the figure is not drawn and ``figures_skipped`` in the document says why."""
    from axspa.evaluation import figures

    folder = Path(folder)
    total = doc["total"]
    names = total["readers"]
    pairs = [(a, b) for a, b in zip(total["totals"][names[0]], total["totals"][names[1]])
             if a is not None and b is not None]
    if len(pairs) >= 2:
        a, b = zip(*pairs)
        path = figures.bland_altman_plot(a, b, folder / "bland_altman.png", names[0], names[1], overwrite=overwrite)
        if path is not None:
            doc["figures"] = {"bland_altman": path.name}
        else:
            doc["figures_skipped"] = f"bland_altman.png not drawn: {figures.MISSING}"
    write_text_output(folder / "agreement.json", json.dumps(doc, indent=1) + "\n", overwrite)


COHORT_COLUMNS = ("patient", "baseline_date", "followup_date", "years", "baseline_total", "followup_total",
                  "change", "change_per_year", "change_2y", "progressor", "new_syndesmophytes", "new_bridges")


def write_cohort_csv(doc: dict, path: PathLike, overwrite: bool = False) -> Path:
    """One row per interval; site lists joined with spaces; missing values empty (atomically; a different
    existing file kept unless ``overwrite``)."""
    path = Path(path)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COHORT_COLUMNS)
    for r in doc["intervals"]:
        writer.writerow([cell(r[c]) for c in COHORT_COLUMNS])
    write_output(path, lambda tmp: Path(tmp).write_bytes(text.getvalue().encode("utf-8")), overwrite)
    return path


def write_progression(doc: dict, folder: PathLike, overwrite: bool = False) -> None:
    """``axspa progression --out``: ``progression.csv``, ``cumulative_probability.png`` (each patient's
    first-to-last change scaled to 2 years, on the threshold's scale) and ``progression.json``. Without
    matplotlib the figure is not drawn and ``figures_skipped`` in the document says why."""
    from axspa.evaluation import figures

    out = Path(folder)
    write_cohort_csv(doc, out / "progression.csv", overwrite)
    changes = [p["change_2y"] for p in doc["patients"] if p["change_2y"] is not None]
    path = figures.cumulative_probability_plot(changes, out / "cumulative_probability.png", sdc=doc["threshold"],
                                               units="mSASSS units per 2 years", overwrite=overwrite)
    if path is not None:
        doc["figures"] = {"cumulative_probability": path.name}
    else:
        doc["figures_skipped"] = f"cumulative_probability.png not drawn: {figures.MISSING}"
    write_text_output(out / "progression.json", json.dumps(doc, indent=1) + "\n", overwrite)
