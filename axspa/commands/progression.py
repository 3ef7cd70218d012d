"""``axspa progression MANIFEST.csv [--out DIR] [--json]``: mSASSS change between visits per patient."""

from __future__ import annotations

import argparse
import json
import sys

from axspa.commands.options import number


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "progression", help="longitudinal mSASSS change per patient (manifest of visits)",
        description="MANIFEST has columns patient, visit_date (YYYY-MM-DD) and result (a .spine.json or a "
                    "site,grade table; several rows per visit are merged). Per patient: change in total between "
                    "consecutive visits, per year and over 2 years, progressor (>= 2 units over 2 years), new "
                    "syndesmophytes and bridges. The cohort.csv of `axspa batch` is such a manifest (its rows of "
                    "other jobs are left out). --out writes progression.csv, progression.json and "
                    "cumulative_probability.png.")
    p.add_argument("manifest", metavar="MANIFEST.csv",
                   help="table of visits: patient, visit_date, result (paths relative to the manifest's folder)")
    p.add_argument("--out", metavar="DIR", help="folder for the cohort CSV, JSON and the figure")
    p.add_argument("--threshold", type=number(0.0, 72.0), default=2.0,
                   help="progression threshold in units over 2 years (2; 0 to 72)")
    p.add_argument("--min-interval", type=number(0.0, 100.0), default=0.5, metavar="YEARS",
                   help="shortest interval extrapolated to a rate per 2 years (0.5); shorter ones are reported "
                        "without a rate or progressor flag")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.spine.outputs import write_progression
    from axspa.spine.progression import analyse
    from axspa.spine.texts import progression_text
    from axspa.texts import outputs_line

    doc = analyse(args.manifest, threshold=args.threshold, min_years=args.min_interval)
    if args.out:
        write_progression(doc, args.out, args.overwrite)
    print(json.dumps(doc, indent=1) if args.json else progression_text(doc))
    if args.out:
        figure = ["cumulative_probability.png"] if doc.get("figures") else []
        print(outputs_line(args.out, ["progression.csv", "progression.json"] + figure),
              file=sys.stderr if args.json else sys.stdout)
        if doc.get("figures_skipped"):
            print(doc["figures_skipped"], file=sys.stderr)
    return 0
