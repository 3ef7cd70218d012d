"""``axspa sij IMAGE ... --out DIR``: modified New York grade per sacroiliac joint (SPEC: File contracts)."""

from __future__ import annotations

import argparse
from pathlib import Path

from axspa.commands._batch import report_kept, run_batch
from axspa.results import dumps, stem_of, validate, write_file_safely


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sij", help="sacroiliitis grades on AP pelvic radiographs",
                       description="Grade each sacroiliac joint (modified New York 0-4), decide definite "
                                   "radiographic sacroiliitis and write a heat map of what the model used.")
    p.add_argument("images", nargs="+", help="radiographs: DICOM, PNG, JPEG, TIFF or NRRD")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.io.nrrdfile import write_nrrd
    from axspa.io.radiograph import read_radiograph
    from axspa.pipeline.sij import load_models, score_pelvis

    model = load_models()

    def work(path: str) -> str:
        radiograph = read_radiograph(path)
        doc, heatmap = score_pelvis(radiograph, model)
        stem = stem_of(path)
        if heatmap is not None:
            heat_path = args.out / f"{stem}.heatmap.nrrd"
            doc["heatmap"] = heat_path.name
            if not write_file_safely(heat_path, lambda p: write_nrrd(p, heatmap, radiograph.ijk_to_ras),
                                     args.overwrite):
                print(report_kept(heat_path))
        validate(doc, "sij")
        json_path = args.out / f"{stem}.sij.json"
        if not write_file_safely(json_path, lambda p: Path(p).write_text(dumps(doc)), args.overwrite):
            print(report_kept(json_path))
        s = doc["sides"]
        return (f"{path}: right {s['right']['grade']}, left {s['left']['grade']}, "
                f"definite {'yes' if doc['definite'] else 'no'} (p={doc['definite_probability']:.2f})")

    return run_batch(args.images, args.out, work, "sij")
