"""``axspa evaluate spine --truth DIR --pred DIR [--json]``: the held-out metrics model cards quote."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare model outputs with truth (held-out metrics)",
                       description="Compare predictions (axspa spine outputs) with truth documents "
                                   "(axspa phantom truth or a reference reading with points).")
    p.add_argument("family", choices=["spine"])
    p.add_argument("--truth", required=True, type=Path, help="folder of truth documents")
    p.add_argument("--pred", required=True, type=Path, help="folder of the model's outputs")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.spine.evaluate import evaluate_spine, format_report

    for folder in (args.truth, args.pred):
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: folder not found")
    metrics = evaluate_spine(args.truth, args.pred)
    print(json.dumps(metrics, indent=2) if args.json else format_report(metrics))
    return 0
