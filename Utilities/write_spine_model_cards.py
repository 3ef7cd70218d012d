"""Write the held-out figures into the spine bundles' model cards and re-hash the bundles.

    python Utilities/write_spine_model_cards.py BUNDLES_DIR [TIMES.json]

The figures come from each bundle's ``docs/evaluation.json`` (written by ``Utilities/evaluate_models.py
--write``, which calls ``write_card``): its outputs ``original``, ``original40`` and one per acquisition
variant (see Utilities/make_spine_variants.py) are ``axspa evaluate spine --json`` outputs. TIMES.json: the
Reproduce section per bundle (markdown lines); without it the card's own Reproduce section (and whatever
follows it before the held-out metrics) is kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

from axspa.spine.variants import VARIANTS
from axspa.training.bundle import reexport

CHECKED = ("Every figure here is regenerated and checked by `make evaluate-models` (evaluation.json beside this "
           "card).")


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def metrics_table(outputs: dict) -> str:
    """The card's tables from evaluation.json's ``outputs`` (``axspa evaluate spine --json`` per set)."""
    rows = ["| films | located | median mm | p95 mm | grade acc | QWK | bridge acc / sens / spec | segment MAE | ICC |",
            "|---|---|---|---|---|---|---|---|---|"]
    # Variants may be made of the first films only: their change is against those same films
    # ("original40"), else against the whole original set.
    base = outputs["original40" if "original40" in outputs else "original"]["grade_accuracy"]
    for name in ("original", "original40") + VARIANTS:
        if name not in outputs:
            continue
        m = outputs[name]
        b = m.get("bridge", {})
        seg = m.get("segment_score", {})
        drop = "" if name.startswith("original") else f" ({m['grade_accuracy'] - base:+.3f})"
        loc = m["localization_mm"]
        rows.append(f"| {name} ({m['films']}) | {_f(m['located_fraction'], 4)} | {_f(loc['median'])} | "
                    f"{_f(loc['p95'])} | {_f(m['grade_accuracy'])}{drop} | {_f(m.get('quadratic_kappa'))} | "
                    f"{_f(b.get('accuracy'))} / {_f(b.get('sensitivity'))} / {_f(b.get('specificity'))} | "
                    f"{_f(seg.get('mae'))} | {_f(seg.get('icc21'))} |")
    m = outputs["original"]
    conf = m.get("confusion_truth_rows")
    if conf:
        rows += ["", "Confusion on sites both graded (rows truth 0-3, columns model 0-3; Chen et al.'s Table 5):", ""]
        rows += ["| truth \\ model | 0 | 1 | 2 | 3 |", "|---|---|---|---|---|"]
        rows += [f"| {g} | " + " | ".join(str(v) for v in row) + " |" for g, row in enumerate(conf)]
    return "\n".join(rows)


def write_card(folder: Path, times: Optional[str] = None) -> None:
    """Rebuild the held-out part of ``folder``'s card from its docs/evaluation.json and re-hash the bundle."""
    evaluation = json.loads((folder / "docs" / "evaluation.json").read_text())
    table = metrics_table(evaluation["outputs"])
    card = (folder / "docs" / "README.md").read_text()
    if times is not None:
        # What training wrote stays; what this script appended before (Reproduce onwards) is replaced.
        card = card.split("## Reproduce")[0].split("## Held-out metrics")[0].rstrip() + "\n\n"
        card += "## Reproduce\n" + times + "\n\n"
    else:
        card = card.split("## Held-out metrics")[0].rstrip() + "\n\n"
    card += ("## Held-out metrics\n"
             "Both spine bundles together, on 100 phantom films of seed 303 (never used in training or "
             "validation; `axspa phantom spine --n 100 --seed 303 --out TEST`) and on acquisition variants of "
             "its first 40 films (`python Utilities/make_spine_variants.py TEST VAR 40`; `original40` is "
             "`VAR/original`, those 40 as they are), measured with\n"
             "`axspa spine FILMS --model-dir BUNDLES --out PRED` and `axspa evaluate spine --truth FILMS "
             "--pred PRED --json`. Grade accuracy counts 0-3 and unscorable as five categories, a site "
             "not located as wrong; a variant's change from the same original films is in brackets.\n"
             + CHECKED + "\n\n"
             + table + "\n\n"
             "## Limits\n- Trained and tested only on synthetic phantoms from this repository's generator; "
             "films drawn by another simulator or real films will do worse. It is not validated on patients.\n"
             "- Grade 1 is the weak point: squaring (a lost anterior concavity) and sclerosis are often "
             "missed, so many grade-1 sites come out 0 (see the confusion table); erosions, syndesmophytes, "
             "bridges and the unscorable findings are found far more reliably.\n"
             "- A site whose confidence is below 0.7 is flagged for review in the results.\n")
    reexport(folder, model_card=card)


if __name__ == "__main__":
    bundles = Path(sys.argv[1])
    times = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
    for name in ("spine-landmarks", "spine-corners"):
        write_card(bundles / name, times.get(name))
        print(f"{name}: model card written, bundle re-hashed")
