"""``axspa progression MANIFEST.csv [--out DIR] [--json]``: mSASSS change between visits per patient."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "progression", help="longitudinal mSASSS change per patient (manifest of visits)",
        description="MANIFEST has columns patient, visit_date (YYYY-MM-DD) and result (a .spine.json or a "
                    "site,grade table; several rows per visit are merged). Per patient: change in total between "
                    "consecutive visits, per year and over 2 years, progressor (>= 2 units over 2 years), new "
                    "syndesmophytes and bridges. --out writes progression.csv, progression.json and "
                    "cumulative_probability.png.")
    p.add_argument("manifest", metavar="MANIFEST.csv")
    p.add_argument("--out", metavar="DIR", help="folder for the cohort CSV, JSON and the figure")
    p.add_argument("--threshold", type=float, default=2.0, help="progression threshold in units over 2 years (2)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.longitudinal import analyse, write_cohort_csv

    doc = analyse(args.manifest, threshold=args.threshold)
    if args.out:
        out = Path(args.out)
        write_cohort_csv(doc, out / "progression.csv")
        # Each patient's first-to-last change scaled to 2 years, on the same scale as the threshold.
        changes = [p["change_2y"] for p in doc["patients"] if p["change_2y"] is not None]
        from axspa import plots

        plots.cumulative_probability_plot(changes, out / "cumulative_probability.png", sdc=args.threshold,
                                          units="mSASSS units per 2 years")
        doc["figures"] = {"cumulative_probability": "cumulative_probability.png"}
        (out / "progression.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=1) if args.json else format_progression(doc))
    return 0


def _f(value, fmt: str = ".2f") -> str:
    return "n/a" if value is None else format(value, fmt)


def format_progression(doc: dict) -> str:
    """One line per interval and a cohort line."""
    lines = [f"{'patient':<10} {'from':<10} {'to':<10} {'years':>5} {'base':>6} {'follow':>6} {'change':>6} "
             f"{'per 2y':>6}  progressor  new syndesmophytes / bridges"]
    for r in doc["intervals"]:
        prog = "n/a" if r["progressor"] is None else ("yes" if r["progressor"] else "no")
        lines.append(f"{r['patient']:<10} {r['baseline_date']:<10} {r['followup_date']:<10} {r['years']:>5.2f} "
                     f"{_f(r['baseline_total'], '.1f'):>6} {_f(r['followup_total'], '.1f'):>6} "
                     f"{_f(r['change'], '.1f'):>6} {_f(r['change_2y'], '.1f'):>6}  {prog:<10}  "
                     f"{' '.join(r['new_syndesmophytes']) or '-'} / {' '.join(r['new_bridges']) or '-'}")
    lines.append(f"{doc['n_patients']} patients, {doc['n_visits']} visits; progressors (first to last visit, "
                 f">= {doc['threshold']:g} units per 2 years): {doc['n_progressors']} of {doc['n_with_change']}")
    return "\n".join(lines)
