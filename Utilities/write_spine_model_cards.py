"""Append the held-out figures (``axspa evaluate spine --json`` outputs) to the spine bundles' model
cards and re-hash the bundles.

    python Utilities/write_spine_model_cards.py EVAL_DIR BUNDLES_DIR TIMES.json

EVAL_DIR holds ``original.json`` and one ``<variant>.json`` per acquisition variant (see
Utilities/make_spine_variants.py); TIMES.json the measured training times per bundle (markdown lines).
"""

import json
import sys
from pathlib import Path

from axspa.spine.variants import VARIANTS
from axspa.training.bundle import reexport


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def metrics_table(eval_dir: Path) -> str:
    rows = ["| films | located | median mm | p95 mm | grade acc | QWK | bridge acc / sens / spec | segment MAE | ICC |",
            "|---|---|---|---|---|---|---|---|---|"]
    # Variants may be made of the first films only: their change is against those same films
    # ("original40"), else against the whole original set.
    base_name = "original40" if (eval_dir / "original40.json").is_file() else "original"
    base = json.loads((eval_dir / f"{base_name}.json").read_text())["grade_accuracy"]
    for name in ("original", "original40") + VARIANTS:
        path = eval_dir / f"{name}.json"
        if not path.is_file():
            continue
        m = json.loads(path.read_text())
        b = m.get("bridge", {})
        seg = m.get("segment_score", {})
        drop = "" if name.startswith("original") else f" ({m['grade_accuracy'] - base:+.3f})"
        loc = m["localization_mm"]
        rows.append(f"| {name} ({m['films']}) | {_f(m['located_fraction'], 4)} | {_f(loc['median'])} | "
                    f"{_f(loc['p95'])} | {_f(m['grade_accuracy'])}{drop} | {_f(m.get('quadratic_kappa'))} | "
                    f"{_f(b.get('accuracy'))} / {_f(b.get('sensitivity'))} / {_f(b.get('specificity'))} | "
                    f"{_f(seg.get('mae'))} | {_f(seg.get('icc21'))} |")
    m = json.loads((eval_dir / "original.json").read_text())
    conf = m.get("confusion_truth_rows")
    if conf:
        rows += ["", "Confusion on sites both graded (rows truth 0-3, columns model 0-3; Chen et al.'s Table 5):", ""]
        rows += ["| truth \\ model | 0 | 1 | 2 | 3 |", "|---|---|---|---|---|"]
        rows += [f"| {g} | " + " | ".join(str(v) for v in row) + " |" for g, row in enumerate(conf)]
    return "\n".join(rows)


if __name__ == "__main__":
    eval_dir, bundles, times = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text())
    table = metrics_table(eval_dir)
    for name in ("spine-landmarks", "spine-corners"):
        card = (bundles / name / "docs" / "README.md").read_text()
        # What training wrote stays; what this script appended before (Reproduce onwards) is replaced.
        card = card.split("## Reproduce")[0].split("## Held-out metrics")[0].rstrip() + "\n\n"
        card += "## Reproduce\n" + times[name] + "\n\n"
        card += ("## Held-out metrics\n"
                 "Both spine bundles together, on 100 phantom films of seed 303 (never used in training or "
                 "validation; `axspa phantom spine --n 100 --seed 303 --out TEST`) and on acquisition variants of "
                 "its first 40 films (`python Utilities/make_spine_variants.py TEST VAR 40`; `original40` is "
                 "`VAR/original`, those 40 as they are), measured with\n"
                 "`axspa spine FILMS --model-dir BUNDLES --out PRED` and `axspa evaluate spine --truth FILMS "
                 "--pred PRED --json`. Grade accuracy counts 0-3 and unscorable as five categories, a site "
                 "not located as wrong; a variant's change from the same original films is in brackets.\n\n"
                 + table + "\n\n"
                 "## Limits\n- Trained and tested only on synthetic phantoms from this repository's generator; "
                 "films drawn by another simulator or real films will do worse. It is not validated on patients.\n"
                 "- Grade 1 is the weak point: squaring (a lost anterior concavity) and sclerosis are often "
                 "missed, so many grade-1 sites come out 0 (see the confusion table); erosions, syndesmophytes, "
                 "bridges and the unscorable findings are found far more reliably.\n"
                 "- A site whose confidence is below 0.7 is flagged for review in the results.\n")
        reexport(bundles / name, model_card=card)
        print(f"{name}: model card written, bundle re-hashed")
