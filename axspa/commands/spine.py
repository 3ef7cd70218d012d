"""``axspa spine IMAGE ... --region cervical|lumbar|auto --out DIR [--study]`` (SPEC: File contracts)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from axspa import msasss
from axspa.commands._batch import report_kept, run_batch
from axspa.image import InputError, Radiograph
from axspa.results import dumps, sites_csv_text, stem_of, validate, write_file_safely, write_text_safely


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spine", help="mSASSS on lateral cervical/lumbar spine radiographs",
                       description="Locate the 24 anterior vertebral corners, grade each mSASSS site, sum the score.")
    p.add_argument("images", nargs="+", help="radiographs: DICOM, PNG, JPEG, TIFF or NRRD")
    p.add_argument("--region", choices=["cervical", "lumbar", "auto"], default="auto")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--study", action="store_true",
                   help="the images are one cervical and one lumbar view of one visit: also write study.json")
    p.add_argument("--threshold", type=float, default=0.5, help="probability above which a finding counts")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.io.radiograph import read_radiograph
    from axspa.pipeline.spine import SpineModels, score_radiograph

    if args.study and len(args.images) != 2:
        raise InputError("--study takes exactly two images: one cervical and one lumbar view")
    models = SpineModels()  # once for the whole batch; a missing bundle stops here with one line
    docs: list[dict] = []

    def work(path: str) -> str:
        radiograph = read_radiograph(path)
        doc = score_radiograph(radiograph, args.region, models=models, threshold=args.threshold)
        validate(doc, "spine")
        write_spine_outputs(doc, radiograph, args.out, args.overwrite)
        docs.append(doc)
        score = doc["score"]
        return f"{path}: {doc['region']} raw {score['raw']}, imputed {score['imputed']}"

    status = run_batch(args.images, args.out, work, "spine")
    if args.study and status == 0:
        write_study(docs, args.out, args.overwrite)
    return status


def write_spine_outputs(doc: dict, radiograph: Radiograph, out: Path, overwrite: bool = False) -> list[str]:
    """``<stem>.spine.json``, ``<stem>.mrk.json`` and ``<stem>.sites.csv``; returns messages about kept files."""
    from axspa.markupsfile import write_markups_json

    stem = stem_of(doc["input"]["path"] or "image")
    messages = []
    points = [(s["id"], _ras(radiograph.ijk_to_ras, s["point"])) for s in doc["sites"]]
    descriptions = {s["id"]: _grade_text(s["grade"]) for s in doc["sites"]}
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


def write_study(docs: list[dict], out: Path, overwrite: bool = False) -> dict:
    """study.json: the total 0-72 from one cervical and one lumbar result."""
    regions = sorted(d["region"] for d in docs)
    if regions != ["cervical", "lumbar"]:
        raise InputError(f"--study needs one cervical and one lumbar image; got {', '.join(regions)}")
    grades = {s["id"]: s["grade"] for d in docs for s in d["sites"]}
    total = msasss.total_score(grades)
    study = {"schema": "axspa.study/1", "inputs": [d["input"]["path"] for d in docs], **total.to_dict()}
    path = out / "study.json"
    if not write_text_safely(path, dumps(study), overwrite):
        print(report_kept(path))
    print(f"study total (0-72): {study['total']}")
    return study


def _ras(ijk_to_ras: np.ndarray, point: list[float] | None) -> tuple[float, float, float] | None:
    if point is None:
        return None
    ras = ijk_to_ras @ np.array([point[0], point[1], 0.0, 1.0])
    return (float(ras[0]), float(ras[1]), float(ras[2]))


def _grade_text(grade: int | None) -> str:
    return "unscorable" if grade is None else f"grade {grade}"
