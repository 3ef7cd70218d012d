"""``axspa agree scores R1.csv R2.csv [...]`` and ``axspa agree masks A B``: reader agreement statistics.

JSON output (``--json``) is stable; docs/agreement.md documents every key.
"""

from __future__ import annotations

import argparse
import json
import sys

from axspa.commands.options import SEED, integer
from axspa.image import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("agree", help="reader agreement: mSASSS reader tables or two segmentations",
                              description="Agreement statistics the way reader studies report them.")
    sub = p.add_subparsers(dest="agree_kind", metavar="KIND")
    s = sub.add_parser(
        "scores", help="agreement of mSASSS reader tables (columns study, site, grade)",
        description="Per site (reader 1 vs reader 2): exact agreement, confusion matrix, Cohen's kappa "
                    "linear- and quadratic-weighted with seeded bootstrap 95% CIs. On the totals (engine "
                    "rules, imputation included) for all readers: ICC(2,1) with 95% CI, ICC(3,1), ICC(1,1), "
                    "Bland-Altman bias and limits of agreement, SEM and smallest detectable change.")
    s.add_argument("tables", nargs="+", metavar="READER.csv", help="two or more reader tables")
    s.add_argument("--json", action="store_true", help="print the full result as JSON")
    s.add_argument("--plot", metavar="DIR", help="write bland_altman.png and agreement.json into DIR")
    s.add_argument("--bootstrap", type=integer(100, 1_000_000), default=2000, metavar="N",
                   help="bootstrap resamples (2000; 100 to 1000000)")
    s.add_argument("--seed", type=SEED, default=0, help="bootstrap seed (0); same seed, same intervals")
    s.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    s.set_defaults(agree_func=run_scores)
    m = sub.add_parser(
        "masks", help="Dice, volume similarity, volumes and HD95 of two segmentations",
        description="Compare segmentations on the same grid (NIfTI, NRRD, or .seg.nrrd with a segment name "
                    "given as PATH#NAME or --segment). Dice = 2|A∩B|/(|A|+|B|); volume similarity = "
                    "1 - |Va-Vb|/(Va+Vb); HD95 in mm.")
    m.add_argument("masks", nargs="*", metavar="MASK", help="two masks A B (or none with --pairs)")
    m.add_argument("--pairs", metavar="PAIRS.csv", help="table of many pairs: columns a, b, optional id")
    m.add_argument("--segment", metavar="NAME", help="segment name for .seg.nrrd inputs")
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    m.add_argument("--out", metavar="DIR", help="also write overlap.json (and overlap.csv for --pairs) here")
    m.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    m.set_defaults(agree_func=run_masks)

    def dispatch(args: argparse.Namespace) -> int:
        if getattr(args, "agree_func", None) is None:
            p.print_help()
            return 2
        return args.agree_func(args)

    p.set_defaults(func=dispatch)


def run_scores(args: argparse.Namespace) -> int:
    from axspa.spine.agreement import agree_scores
    from axspa.spine.outputs import write_agreement
    from axspa.spine.texts import agreement_text

    if len(args.tables) < 2:
        raise InputError("agree scores needs at least two reader tables")
    if args.bootstrap < 100:
        raise InputError(f"--bootstrap {args.bootstrap}: use at least 100 resamples")
    doc = agree_scores(args.tables, n_boot=args.bootstrap, seed=args.seed)
    if args.plot:
        write_agreement(doc, args.plot, args.overwrite)
    print(json.dumps(doc, indent=1) if args.json else agreement_text(doc))
    if args.plot:
        _say_outputs(args.plot, ["agreement.json"] + (["bland_altman.png"] if doc.get("figures") else []), args.json)
        if doc.get("figures_skipped"):
            print(doc["figures_skipped"], file=sys.stderr)
    return 0


def run_masks(args: argparse.Namespace) -> int:
    from axspa.evaluation.overlap import overlap_document, overlap_text, write_overlap

    doc = overlap_document(args.masks, pairs=args.pairs, segment=args.segment)
    if args.out:
        write_overlap(doc, args.out, args.overwrite)
    print(json.dumps(doc, indent=1) if args.json else overlap_text(doc))
    if args.out:
        _say_outputs(args.out, ["overlap.json"] + (["overlap.csv"] if "pairs" in doc else []), args.json)
    return 0


def _say_outputs(folder: str, names: list[str], json_mode: bool) -> None:
    """Where the files went: the last line, on stderr when stdout is JSON (so it stays parseable)."""
    from axspa.texts import outputs_line

    print(outputs_line(folder, names), file=sys.stderr if json_mode else sys.stdout)
