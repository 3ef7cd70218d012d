"""Regenerate every figure of the shipped model cards from nothing and check it (``make evaluate-models``).

    python Utilities/evaluate_models.py [BUNDLE ...] [--work DIR] [--write] [--quick] [--model-root DIR]

For each bundle (default: every shipped one with a recipe) its recipe (axspa/model_cards/figures.py) writes
phantoms of the held-out seed and their acquisition variants into --work (reused by a rerun of the same
command), predicts them with the bundle and evaluates them. Without --write the figures are compared with the
committed ``<bundle>/docs/evaluation.json``: exit 1 listing each figure off beyond its tolerance or missing
(figures whose inputs are absent, such as the real series of ../shared/data, are listed as not run), exit 0
with the table figure / card / measured otherwise. With --write, evaluation.json is written, the card's tables
are rebuilt from it (Utilities/write_spine_model_cards.py, Utilities/write_hip_model_card.py) and the bundle is
re-hashed. --quick runs a few cases per set (a smoke test of the recipe) and never writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the card writers beside this script


def write_card(bundle: str, folder: Path) -> None:
    """Rebuild ``folder``'s card from its docs/evaluation.json and re-hash the bundle."""
    if bundle.startswith("spine-"):
        import write_spine_model_cards

        write_spine_model_cards.write_card(folder)
    elif bundle == "sij-grader":
        import write_sij_model_card

        write_sij_model_card.write_card(folder)
    else:
        import write_hip_model_card

        write_hip_model_card.write_card(folder)


def main(argv: Optional[list[str]] = None) -> int:
    from axspa.model_cards.figures import DEFAULT_MODEL_ROOT, DEFAULT_WORK, RECIPES, evaluate_models

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bundles", nargs="*", metavar="BUNDLE", help=f"bundles to evaluate (default: {', '.join(RECIPES)})")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help=f"folder for generated data ({DEFAULT_WORK})")
    p.add_argument("--write", action="store_true", help="write evaluation.json and the card, re-hash the bundle")
    p.add_argument("--quick", action="store_true", help="a few cases per set (smoke test); never writes")
    p.add_argument("--model-root", type=Path, default=DEFAULT_MODEL_ROOT,
                   help="folder holding the bundles (default Resources/Models)")
    p.add_argument("--real-hip-data", type=Path, help="real T1 pelvis series (default ../shared/data/pelvis-mri-t1)")
    args = p.parse_args(argv)
    if args.write and args.quick:
        p.error("--quick never writes")
    bundles = args.bundles or [b for b in RECIPES if (args.model_root / b / "bundle.json").is_file()]
    unknown = [b for b in bundles if b not in RECIPES]
    if unknown:
        p.error(f"no recipe for {', '.join(unknown)} (known: {', '.join(RECIPES)})")
    return evaluate_models(bundles, work=args.work.resolve(), model_root=args.model_root.resolve(), write=args.write,
                           quick=args.quick, write_card=write_card, real_hip_data=args.real_hip_data)


if __name__ == "__main__":
    sys.exit(main())
