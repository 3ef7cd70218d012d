"""``axspa spine IMAGE ... --region cervical|lumbar|auto --out DIR [--study]`` (docs/formats.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from axspa.commands.options import PROBABILITY


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spine", help="mSASSS on lateral cervical/lumbar spine radiographs",
                       description="Locate the 24 anterior vertebral corners, grade each mSASSS site, sum the score.")
    p.add_argument("images", nargs="+", help="radiographs: DICOM, PNG, JPEG, TIFF or NRRD")
    p.add_argument("--region", choices=["cervical", "lumbar", "auto"], default="auto",
                   help="spine segment on the films; auto lets the landmark model decide (default auto)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--study", action="store_true",
                   help="the images are one cervical and one lumbar view of one visit: also write study.json")
    p.add_argument("--threshold", type=PROBABILITY, default=0.5,
                   help="probability above which a finding counts (0.5; 0 to 1)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.add_argument("--model-dir", type=Path,
                   help="folder with your own spine-landmarks/ and spine-corners/ bundles (instead of the installed)")
    p.add_argument("--trust-bundle-code", action="store_true",
                   help="allow bundles to run their own code (predictor classes and network configs outside "
                        "axspa/MONAI); only for bundles from people you trust")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.spine.pipeline import score_batch
    from axspa.texts import outputs_line

    status = score_batch(args.images, args.out, region=args.region, threshold=args.threshold, study=args.study,
                         overwrite=args.overwrite, model_dir=args.model_dir, trust_code=args.trust_bundle_code)
    print(outputs_line(args.out))
    return status
