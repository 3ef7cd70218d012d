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

from axspa.hip.model.train import model_card
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


def targets(eval_dir: Path) -> str:
    """The development targets (phantoms of a seed never used in training; the real series) against what
    was measured."""
    m = json.loads((eval_dir / "test.json").read_text())
    real = json.loads((eval_dir / "real.json").read_text()) if (eval_dir / "real.json").is_file() else {}
    hips = [r for sides in real.values() for r in sides.values()]
    inside = sorted(r["inside_femur"] or 0.0 for r in hips)
    median = _f(inside[len(inside) // 2]) if inside else "n/a"
    rows = [("femoral head Dice >= 0.92", _f(m["segments"]["femoral head (both sides)"]["dice_mean"])),
            ("lesion Dice (all BME + effusion) >= 0.75", _f(m["segments"]["all lesions"]["dice_mean"])),
            ("UNet-score Spearman >= 0.9", _f(m["unet_score"]["spearman"])),
            ("HIMRISS-style total exact on >= 90% of hips", f"{_f(m['himriss_exact']['total'])} (missed)"
             if m["himriss_exact"]["total"] < 0.9 else _f(m["himriss_exact"]["total"])),
            ("real T1: both heads found in every patient",
             f"{sum(all(r['found'] for r in sides.values()) for sides in real.values())}/{len(real)}"),
            ("real T1: patient sides right", f"{sum(r['side_correct'] for r in hips)}/{len(hips)} hips"),
            ("real T1: >= 90% of predicted head voxels inside the femur",
             f"{sum(v >= 0.9 for v in inside)}/{len(hips)} hips (median {median})"
             + (" (missed)" if any(v < 0.9 for v in inside) else ""))]
    return "\n".join(["| target | measured |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


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
    t = json.loads((bundle / "bundle.json").read_text())["training"]
    # The card's head as training writes it, with the data named by the commands that make it.
    card = model_card(["out/models/data/hip-train (`axspa phantom hip --n 240 --seed 101`)"],
                      ["out/models/data/hip-val (`axspa phantom hip --n 12 --seed 202 --size small`)"],
                      t["locator_steps"], t["steps"], t["seed"], t["cases"], t["minutes"], t["history"])
    card = card.rstrip() + "\n\n"
    card += "## Reproduce\n" + times.strip() + "\n\n"
    card += ("## Held-out metrics (phantoms)\n"
             "40 phantom cases of seed 303 (`axspa phantom hip --n 40 --seed 303 --out TEST`; never used in training "
             "or validation), segmented with `python Utilities/predict_hip_cases.py TEST PRED --model-dir BUNDLE` and "
             "measured with `axspa evaluate hip --truth TEST --pred PRED --json`. Acquisition variants of the first "
             "20 cases: `python Utilities/make_hip_variants.py TEST VAR 20` (`original` = those 20 unchanged), each "
             "against its own recomputed truth. Lesion Dice pools all BME and effusion of a case.\n\n"
             + metrics_tables(eval_dir) + "\n\n"
             "Per-segment Dice means count every case where truth or model has that segment, so a few voxels of "
             "effusion the model draws in a hip without any (or misses in one with a trace) count 0: the pooled "
             "Dice (0.9+ for effusion) is the better figure of its overlap.\n\n"
             "## Against the development targets\n" + targets(eval_dir) + "\n\n"
             "The HIMRISS-style total is a sum of up to 45 slice decisions per hip (three regions on up to 15 "
             "slices, each lesion area against 5 mm²), so one slice off makes it inexact: the components alone are "
             "exact on " + ", ".join(f"{_f(json.loads((eval_dir / 'test.json').read_text())['himriss_exact'][k], 2)} "
                                     f"({k.replace('_', ' ')})" for k in ("femoral_bme", "acetabular_bme", "effusion"))
             + " of the test hips; the misses are of one or two slices (a lesion's faint first or last slice), and "
             "the scoring window itself (the largest-head slice) moves by one slice where two central slices "
             "hold nearly the same head area. The UNet-score, a sum of proportions, is far less fragile.\n\n"
             "## Real anatomy (T1, not STIR)\n"
             "The 8 real coronal pelvis T1 series of `../shared/data/pelvis-mri-t1` (not shipped; none used in "
             "training) with their manual femur labels: `python Utilities/check_hip_real_mri.py "
             "../shared/data/pelvis-mri-t1 --model-dir BUNDLE`. Inside femur = share of predicted femoral-head "
             "voxels inside that side's reference femur label (head, neck and shaft). No weight was trained on "
             "them, but they were used during development: the candidate check by the segmenter, the search "
             "across the midline for a missing head and the ball that keeps the head (marrow behind it was "
             "labelled head) were added after looking at these series, so they are a development figure; the "
             "product is to be checked on other patients. The share inside the femur falls short of 0.9 at the "
             "head's rim (taking one pixel off the model's head raises it by about 0.04) and on its first and "
             "last slices, 5.2 mm apart here.\n\n"
             + real_table(eval_dir) + "\n\n"
             "## Limits\n"
             "- Trained and tested on synthetic phantoms from this repository's generator only; real STIR will do "
             "worse. **It is not validated on patients.**\n"
             "- On a T1 or non-fat-suppressed series, bright marrow fat may be segmented as edema: `axspa hip` warns "
             "when a series does not look like STIR (tags and femoral-head marrow brightness).\n"
             "- Slices further than 40 mm from a femoral head's centre (anterior-posterior) are not segmented.\n")
    reexport(bundle, model_card=card)
    print(f"{bundle}: model card written, bundle re-hashed")
