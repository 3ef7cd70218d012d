"""``axspa clinical VISITS.csv [--out DIR] [--json]``: ASDAS-CRP/ESR, BASDAI, BASFI and the high-risk flags of
a table of visits (axspa/clinical_table.py; the formulas in docs/scoring.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clinical", help="clinical indices (ASDAS, BASDAI, BASFI) of a table of visits",
                       description="Per visit: ASDAS-CRP and ASDAS-ESR with their disease-activity states, BASDAI, "
                                   "BASFI, the high-risk flags (BASDAI >= 2.1, BASFI >= 3.6) and the ASDAS-CRP change "
                                   "from the patient's previous visit. Columns: patient, visit_date, basdai_q1..q6, "
                                   "basfi_1..10, crp (mg/L), esr (mm/h), back_pain, patient_global, peripheral, "
                                   "stiffness (0-10 scales; any may be empty).")
    p.add_argument("visits", metavar="VISITS.csv", help="one row per visit")
    p.add_argument("--out", type=Path, metavar="DIR", help="write clinical.csv and clinical.json there")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.clinical_table import read_visits, visits_text, write_visits
    from axspa.texts import outputs_line

    rows = read_visits(args.visits)
    print(json.dumps(rows, indent=1) if args.json else visits_text(rows))
    if args.out:
        for message in write_visits(rows, args.out, args.overwrite):
            print(message, file=sys.stderr)
        print(outputs_line(args.out, ["clinical.csv", "clinical.json"]), file=sys.stderr if args.json else sys.stdout)
    return 0
