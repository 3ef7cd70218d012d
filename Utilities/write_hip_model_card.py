"""Write the held-out figures into the hip-segmenter bundle's model card and re-hash the bundle.

    python Utilities/write_hip_model_card.py EVAL_DIR BUNDLE TIMES.md

EVAL_DIR holds ``test.json`` (``axspa evaluate hip --json`` on the held-out phantoms), one
``<variant>.json`` per acquisition variant (axspa/hip/variants.py; ``original.json`` for the same cases
unchanged) and ``real.json`` (``Utilities/check_hip_real_mri.py --json``). TIMES.md: the reproduce section
(command and measured time), in markdown.
"""

import json
import sys
from pathlib import Path

from axspa.hip.variants import VARIANTS
from axspa.training.bundle import reexport


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def _row(name: str, m: dict) -> str:
    seg = m["segments"]
    head = seg["femoral head (both sides)"]
    lesion = seg["all lesions"]
    u, h, d = m["unet_score"], m["himriss_exact"], m["femoral_head"]
    return (f"| {name} ({m['evaluated']}) | {_f(head.get('dice_mean'))} | {_f(lesion.get('dice_mean'))} | "
            f"{_f(head.get('hd95_mm_mean'), 1)} | {_f(u['spearman'])} | {_f(u['icc21'])} | {_f(h['total'])} | "
            f"{d['found']}/{d['truth_heads']}, sides {d['side_correct']}/{d['found']} |")


def metrics_tables(eval_dir: Path) -> str:
    test = json.loads((eval_dir / "test.json").read_text())
    rows = ["| set (cases) | head Dice | lesion Dice | head HD95 mm | UNet-score Spearman | ICC | HIMRISS-style "
            "total exact | heads found, sides right |", "|---|---|---|---|---|---|---|---|", _row("test", test)]
    for name in ("original",) + tuple(VARIANTS):
        path = eval_dir / f"{name}.json"
        if path.is_file():
            rows.append(_row(name, json.loads(path.read_text())))
    rows += ["", "Per segment on the test set (Dice mean over cases holding it, pooled Dice, HD95, volume error):", "",
             "| segment | Dice mean (n) | pooled | HD95 mm (n) | volume error mL mean / abs |", "|---|---|---|---|---|"]
    for label, s in test["segments"].items():
        rows.append(f"| {label} | {_f(s.get('dice_mean'))} ({s.get('dice_n')}) | {_f(s.get('dice_pooled'))} | "
                    f"{_f(s.get('hd95_mm_mean'), 1)} ({s.get('hd95_n')}) | {_f(s.get('volume_error_ml_mean'), 2)} / "
                    f"{_f(s.get('volume_error_ml_mean_abs'), 2)} |")
    return "\n".join(rows)


def real_table(eval_dir: Path) -> str:
    path = eval_dir / "real.json"
    if not path.is_file():
        return "(not measured)"
    rows = ["| patient | right: found, side, inside femur | left: found, side, inside femur |", "|---|---|---|"]
    for patient, sides in json.loads(path.read_text()).items():
        cells = [f"{'yes' if r['found'] else 'NO'}, {'right' if r['side_correct'] else 'WRONG'}, "
                 f"{_f(r['inside_femur'])}" for r in (sides["right"], sides["left"])]
        rows.append(f"| {patient} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


if __name__ == "__main__":
    eval_dir, bundle, times = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]).read_text()
    card = (bundle / "docs" / "README.md").read_text()
    card = card.split("## Reproduce")[0].rstrip() + "\n\n"  # what this script wrote before is replaced
    card += "## Reproduce\n" + times.strip() + "\n\n"
    card += ("## Held-out metrics (phantoms)\n"
             "40 phantom cases of seed 303 (`axspa phantom hip --n 40 --seed 303 --out TEST`; never used in training "
             "or validation), segmented with `python Utilities/predict_hip_cases.py TEST PRED --model-dir BUNDLE` and "
             "measured with `axspa evaluate hip --truth TEST --pred PRED --json`. Acquisition variants of the first "
             "20 cases: `python Utilities/make_hip_variants.py TEST VAR 20` (`original` = those 20 unchanged), each "
             "against its own recomputed truth. Lesion Dice pools all BME and effusion of a case.\n\n"
             + metrics_tables(eval_dir) + "\n\n"
             "## Real anatomy (T1, not STIR)\n"
             "The 8 real coronal pelvis T1 series of `../shared/data/pelvis-mri-t1` (not shipped; none used in "
             "training) with their manual femur labels: `python Utilities/check_hip_real_mri.py "
             "../shared/data/pelvis-mri-t1 --model-dir BUNDLE`. Inside femur = share of predicted femoral-head "
             "voxels inside that side's reference femur label (head, neck and shaft).\n\n"
             + real_table(eval_dir) + "\n\n"
             "## Limits\n"
             "- Trained and tested on synthetic phantoms from this repository's generator only; real STIR will do "
             "worse. **It is not validated on patients.**\n"
             "- On a T1 or non-fat-suppressed series, bright marrow fat may be segmented as edema: `axspa hip` warns "
             "when a series does not look like STIR (tags and femoral-head marrow brightness).\n"
             "- Slices further than 40 mm from a femoral head's centre (anterior-posterior) are not segmented.\n")
    reexport(bundle, model_card=card)
    print(f"{bundle}: model card written, bundle re-hashed")
