"""``axspa agree scores R1.csv R2.csv [...]`` and ``axspa agree masks A B``: reader agreement statistics.

JSON output (``--json``) is stable; docs/agreement.md documents every key.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from axspa.image import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("agree", help="reader agreement: mSASSS reader tables or two segmentations",
                              description="Agreement statistics the way reader studies report them.")
    sub = p.add_subparsers(dest="agree_kind", metavar="KIND")
    s = sub.add_parser(
        "scores", help="agreement of mSASSS reader tables (columns study, site, grade)",
        description="Per site (reader 1 vs reader 2): exact agreement, confusion matrix, Cohen's kappa "
                    "linear- and quadratic-weighted with seeded bootstrap 95%% CIs. On the totals (engine "
                    "rules, imputation included) for all readers: ICC(2,1) with 95%% CI, ICC(3,1), ICC(1,1), "
                    "Bland-Altman bias and limits of agreement, SEM and smallest detectable change.")
    s.add_argument("tables", nargs="+", metavar="READER.csv", help="two or more reader tables")
    s.add_argument("--json", action="store_true", help="print the full result as JSON")
    s.add_argument("--plot", metavar="DIR", help="write bland_altman.png and agreement.json into DIR")
    s.add_argument("--bootstrap", type=int, default=2000, metavar="N", help="bootstrap resamples (2000)")
    s.add_argument("--seed", type=int, default=0, help="bootstrap seed (0); same seed, same intervals")
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
    m.set_defaults(agree_func=run_masks)

    def dispatch(args: argparse.Namespace) -> int:
        if getattr(args, "agree_func", None) is None:
            p.print_help()
            return 2
        return args.agree_func(args)

    p.set_defaults(func=dispatch)


def run_scores(args: argparse.Namespace) -> int:
    from axspa.agreement import agree_scores

    if len(args.tables) < 2:
        raise InputError("agree scores needs at least two reader tables")
    if args.bootstrap < 100:
        raise InputError(f"--bootstrap {args.bootstrap}: use at least 100 resamples")
    doc = agree_scores(args.tables, n_boot=args.bootstrap, seed=args.seed)
    if args.plot:
        _write_plots(doc, Path(args.plot))
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(format_scores(doc))
    return 0


def _write_plots(doc: dict, folder: Path) -> None:
    from axspa import plots

    folder.mkdir(parents=True, exist_ok=True)
    total = doc["total"]
    names = total["readers"]
    pairs = [(a, b) for a, b in zip(total["totals"][names[0]], total["totals"][names[1]])
             if a is not None and b is not None]
    if len(pairs) >= 2:
        a, b = zip(*pairs)
        path = plots.bland_altman_plot(a, b, folder / "bland_altman.png", names[0], names[1])
        doc["figures"] = {"bland_altman": path.name}
    (folder / "agreement.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def _f(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ci(ci) -> str:
    return "" if not ci else f" [{_f(ci[0])}, {_f(ci[1])}]"


def format_scores(doc: dict) -> str:
    """Human-readable summary: the per-site table, the pooled line and the totals block."""
    lines = [f"readers: {', '.join(r['name'] for r in doc['readers'])}; studies: {doc['n_studies']}",
             f"per site ({doc['site_comparison']}; kappa 95% CI by bootstrap, n={doc['bootstrap']['n']}, "
             f"seed={doc['bootstrap']['seed']}):",
             f"  {'site':<5} {'n':>4} {'exact':>6}  {'kappa linear':<22} {'kappa quadratic':<22}"]
    rows = list(doc["sites"].items()) + [("all", doc["all_sites"])]
    for site, r in rows:
        lines.append(f"  {site:<5} {r['n']:>4} {_f(r['exact_agreement']):>6}  "
                     f"{(_f(r['kappa_linear']) + _ci(r['kappa_linear_ci'])):<22} "
                     f"{(_f(r['kappa_quadratic']) + _ci(r['kappa_quadratic_ci'])):<22}")
    t = doc["total"]
    lines.append(f"total mSASSS ({t['n_complete']} of {t['n_studies']} studies with a total from every reader):")
    if t.get("icc_2_1") is None:
        lines.append(f"  {t.get('note', 'not enough data')}")
        return "\n".join(lines)
    lines += [f"  ICC(2,1) {_f(t['icc_2_1'])}{_ci(t['icc_2_1_ci'])}   ICC(3,1) {_f(t['icc_3_1'])}"
              f"{_ci(t['icc_3_1_ci'])}   ICC(1,1) {_f(t['icc_1_1'])}{_ci(t['icc_1_1_ci'])}",
              f"  {t['readers'][1]} - {t['readers'][0]}: mean difference {_f(t['mean_difference'])}, "
              f"limits of agreement {_f(t['loa'][0])} to {_f(t['loa'][1])}",
              f"  SEM {_f(t['sem'])}, smallest detectable change {_f(t['sdc'])} units"]
    return "\n".join(lines)


def run_masks(args: argparse.Namespace) -> int:
    from axspa import overlap

    if args.pairs and args.masks:
        raise InputError("give either two masks or --pairs PAIRS.csv, not both")
    if args.pairs:
        rows = overlap.read_pairs(args.pairs)
        results = []
        for row in rows:
            result = overlap.compare_masks(overlap.read_mask(row["a"], _seg(row["a"], args.segment)),
                                           overlap.read_mask(row["b"], _seg(row["b"], args.segment)))
            results.append({"id": row["id"], "a": row["a"], "b": row["b"], **result.to_dict()})
        doc = {"schema": "axspa.overlap/1", "pairs": results, "summary": overlap.summarize(results)}
    else:
        if len(args.masks) != 2:
            raise InputError(f"agree masks needs exactly two masks A B (got {len(args.masks)}), or --pairs")
        a, b = args.masks
        result = overlap.compare_masks(overlap.read_mask(a, _seg(a, args.segment)),
                                       overlap.read_mask(b, _seg(b, args.segment)))
        doc = {"schema": "axspa.overlap/1", "a": a, "b": b, **result.to_dict()}
    if args.out:
        _write_overlap(doc, Path(args.out))
    print(json.dumps(doc, indent=1) if args.json else format_masks(doc))
    return 0


def _seg(spec: str, segment: str | None) -> str | None:
    return None if "#" in spec else segment


def _write_overlap(doc: dict, folder: Path) -> None:
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overlap.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    if "pairs" in doc:
        keys = ["id", "a", "b", "dice", "volume_similarity", "volume_a_ml", "volume_b_ml", "hd95_mm"]
        with open(folder / "overlap.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(doc["pairs"])


def _mask_line(r: dict) -> str:
    return (f"Dice {_f(r['dice'], 3)}  VS {_f(r['volume_similarity'], 3)}  "
            f"volumes {_f(r['volume_a_ml'])} / {_f(r['volume_b_ml'])} mL  HD95 {_f(r['hd95_mm'], 1)} mm")


def format_masks(doc: dict) -> str:
    """One line for a single pair; for many, one line per pair then the summary and the ICC of volumes."""
    if "pairs" not in doc:
        return _mask_line(doc)
    width = max(len(r["id"]) for r in doc["pairs"])
    lines = [f"{r['id']:<{width}}  {_mask_line(r)}" for r in doc["pairs"]]
    s = doc["summary"]
    for key, label in (("dice", "Dice"), ("volume_similarity", "VS"), ("hd95_mm", "HD95 mm")):
        if s.get(key):
            lines.append(f"{label}: mean {_f(s[key]['mean'], 3)} (SD {_f(s[key]['sd'], 3)}), "
                         f"median {_f(s[key]['median'], 3)}, range {_f(s[key]['min'], 3)}-{_f(s[key]['max'], 3)}")
    icc = s.get("volume_icc")
    if icc:
        lines.append(f"volumes: ICC(2,1) {_f(icc['icc_2_1'], 3)}{_ci(icc['icc_2_1_ci'])}, "
                     f"ICC(3,1) {_f(icc['icc_3_1'], 3)}")
    return "\n".join(lines)
