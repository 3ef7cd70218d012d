"""``axspa hip SERIES --out DIR``: hip STIR segmentation and inflammation scores (docs/formats.md).

With ``--seg FILE`` the scores are computed from an existing segmentation (a reader's, or one
edited in Slicer) instead of the model's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from axspa.commands.options import integer, number


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hip", help="hip inflammation on coronal STIR MRI",
                       description="Segment femoral heads, acetabula, bone marrow edema and effusion-synovitis; "
                                   "compute the UNet-score and HIMRISS-style slice sums per side.")
    p.add_argument("series", help="DICOM folder or volume file (NRRD, NIfTI); of a folder holding several series "
                                   "the one coronal STIR series is scored")
    p.add_argument("--out", required=True, type=Path,
                   help="output folder: hip.json, <stem>.slices.csv and (from the model) <stem>.seg.nrrd")
    p.add_argument("--series-uid", help="SeriesInstanceUID when the folder holds several series")
    p.add_argument("--seg", type=Path, help="score this segmentation (.seg.nrrd) instead of running the model")
    p.add_argument("--half-width", type=integer(0, 1000), default=7,
                   help="scoring slices on each side of the largest femoral-head slice (default 7)")
    p.add_argument("--min-area", type=number(0.0), default=5.0,
                   help="smallest lesion area in mm² that counts in the HIMRISS-style sums (default 5)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.add_argument("--model-dir", type=Path,
                   help="a hip-segmenter bundle folder (yours, or another version) instead of the installed one")
    p.add_argument("--trust-bundle-code", action="store_true",
                   help="allow the bundle to run its own code (predictor and network outside axspa/MONAI); "
                        "only for bundles from people you trust")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.hip.pipeline import score_case
    from axspa.hip.scores import HipScoreConfig
    from axspa.hip.texts import side_lines
    from axspa.texts import outputs_line

    config = HipScoreConfig(half_width=args.half_width, min_lesion_area_mm2=args.min_area)
    doc = score_case(args.series, args.out, seg=args.seg, series_uid=args.series_uid, config=config,
                     overwrite=args.overwrite, model_dir=args.model_dir, trust_code=args.trust_bundle_code)
    print(side_lines(doc))
    for warning in doc.get("warnings", []):
        print(f"axspa hip: warning: {warning}", file=sys.stderr)
    print(outputs_line(args.out))
    return 0
