"""``axspa msasss TABLE.csv [--json]``: score a reading done by hand or exported from elsewhere."""

from __future__ import annotations

import argparse
import json

from axspa.msasss import SegmentScore, TotalScore, total_score
from axspa.readings import read_reading_table


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


def _fmt(value: float | None) -> str:
    if value is None:
        return "missing"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _segment_line(name: str, seg: SegmentScore) -> str:
    line = f"{name:<9} raw {_fmt(seg.raw)}, score {_fmt(seg.imputed)}"
    if seg.imputed_sites:
        line += f" (imputed {', '.join(seg.imputed_sites)})"
    elif seg.missing and seg.n_scored == 0 and len(seg.unscorable) == 12:
        line += " (no scored sites)"
    elif seg.missing:
        line += f" ({len(seg.unscorable)} unscorable: {', '.join(seg.unscorable)})"
    return line


def summary(score: TotalScore) -> str:
    """Human-readable lines: each segment's raw and imputed score, the imputed sites and the total."""
    return "\n".join([_segment_line("cervical", score.cervical), _segment_line("lumbar", score.lumbar),
                      f"{'total':<9} {_fmt(score.total)} (0-72)"])


def run(args: argparse.Namespace) -> int:
    score = total_score(read_reading_table(args.table, study=args.study))
    if args.json:
        print(json.dumps(score.to_dict()))
    else:
        print(summary(score))
    return 0
