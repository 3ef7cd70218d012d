"""``axspa msasss TABLE.csv [--json]``: score a reading done by hand or exported from elsewhere."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "msasss", help="score an mSASSS reading table (CSV)",
        description="Score an mSASSS reading: TABLE has a 'site' column and either 'grade' (0-3, empty = "
                    "unscorable) or the eight finding columns (0/1). Segments with 1-3 unscorable sites "
                    "are imputed with the segment mean; with more, the segment score is missing.")
    p.add_argument("table", metavar="TABLE.csv", help="reading table, one row per site")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--study", help="the study to score when the table has a 'study' column with several")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.spine.readings import missing_rows_warning, read_reading_table
    from axspa.spine.rules import total_score
    from axspa.spine.texts import summary

    grades = read_reading_table(args.table, study=args.study)
    warning = missing_rows_warning(args.table, grades)
    if warning:
        print(f"axspa msasss: warning: {warning}", file=sys.stderr)
    score = total_score(grades)
    print(json.dumps(score.to_dict()) if args.json else summary(score))
    return 0
