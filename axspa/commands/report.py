"""``axspa report DIR [--out FILE]``: one self-contained HTML report of a batch output folder."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="build one self-contained HTML report from an output folder",
        description="Collects *.spine.json, study.json, *.sij.json, hip.json, agreement.json, overlap.json and "
                    "progression.json under DIR into one HTML file with tables, thumbnails (sites coloured by "
                    "grade) and the PNG figures embedded.")
    p.add_argument("folder", metavar="DIR", help="output folder of a batch (searched recursively), or the cohort.csv "
                                                 "of `axspa batch` (its folder)")
    p.add_argument("--out", metavar="FILE", help="where to write the report (default DIR/report.html)")
    p.add_argument("--no-thumbnails", action="store_true", help="skip the per-image thumbnails (faster)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a report that differs from the new one (other than its date)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.report.html import build_report

    path = build_report(args.folder, args.out, thumbnails=not args.no_thumbnails, overwrite=args.overwrite)
    if path is not None:
        print(f"wrote {path}")
    return 0
