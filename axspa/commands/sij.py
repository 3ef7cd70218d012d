"""``axspa sij IMAGE ... --out DIR``: modified New York grade per sacroiliac joint (docs/formats.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sij", help="sacroiliitis grades on AP pelvic radiographs",
                       description="Grade each sacroiliac joint (modified New York 0-4), decide definite "
                                   "radiographic sacroiliitis and write a heat map of what the model used.")
    p.add_argument("images", nargs="+", help="radiographs: DICOM, PNG, JPEG, TIFF or NRRD")
    p.add_argument("--out", required=True, type=Path,
                   help="output folder: <stem>.sij.json and <stem>.heatmap.nrrd per radiograph")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.add_argument("--model-dir", type=Path,
                   help="a sij-grader bundle folder (yours, or another version) instead of the installed one")
    p.add_argument("--trust-bundle-code", action="store_true",
                   help="allow the bundle to run its own code (predictor and network outside axspa/MONAI); "
                        "only for bundles from people you trust")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.sij.pipeline import score_batch
    from axspa.texts import outputs_line

    status = score_batch(args.images, args.out, overwrite=args.overwrite, model_dir=args.model_dir,
                         trust_code=args.trust_bundle_code)
    print(outputs_line(args.out))
    return status
