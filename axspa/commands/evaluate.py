"""``axspa evaluate spine|sij|hip --truth DIR --pred DIR [--json]``: the held-out metrics model cards quote."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare model outputs with truth (held-out metrics)",
                       description="Compare predictions with truth. spine: axspa spine outputs against truth "
                                   "documents (axspa phantom truth or a reference reading with points). sij: "
                                   "<stem>.sij.json as axspa sij writes them against axspa phantom pelvis "
                                   "truth (definite sacroiliitis AUC and accuracy, sensitivity and specificity "
                                   "at the stored operating points, side-grade accuracy, quadratic weighted "
                                   "kappa and confusion matrix, joints within 5 mm, DICOM vs photographs). hip: "
                                   "PRED/<case>/ as 'axspa hip TRUTH/<case>/dicom --out PRED/<case>' writes it "
                                   "against an axspa phantom hip folder (Dice, HD95, volume error, UNet-score "
                                   "Spearman and ICC, HIMRISS-style exact agreement). Exit code 1 when a case "
                                   "has no prediction.")
    p.add_argument("family", choices=["spine", "sij", "hip"],
                   help="which outputs to compare: spine, sij or hip")
    p.add_argument("--truth", required=True, type=Path, help="folder of truth documents (hip: of phantom cases)")
    p.add_argument("--pred", required=True, type=Path, help="folder of the model's outputs (hip: one folder per case)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for folder in (args.truth, args.pred):
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: folder not found")
    if args.family == "hip":
        from axspa.hip.evaluate import evaluate_hip as evaluate
        from axspa.hip.evaluate import format_report
    elif args.family == "sij":
        from axspa.sij.evaluate import evaluate_sij as evaluate
        from axspa.sij.evaluate import format_report
    else:
        from axspa.spine.evaluate import evaluate_spine as evaluate
        from axspa.spine.evaluate import format_report
    metrics = evaluate(args.truth, args.pred)
    print(json.dumps(metrics, indent=2) if args.json else format_report(metrics))
    return 1 if metrics.get("missing") else 0
