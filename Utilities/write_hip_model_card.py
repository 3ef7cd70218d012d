"""Write the held-out figures into the hip-segmenter bundle's model card and re-hash the bundle.

    python Utilities/write_hip_model_card.py BUNDLE [TIMES.md]

The figures come from BUNDLE/docs/evaluation.json (written by ``Utilities/evaluate_models.py hip-segmenter
--write``, which calls ``write_card``). Its outputs: ``test`` (``axspa evaluate hip --json`` on the held-out
phantoms), one per acquisition variant (axspa/hip/variants.py; ``original`` for the same cases unchanged) and
``real`` (``Utilities/check_hip_real_mri.py --json``; absent when the real series were not there). TIMES.md:
the reproduce section (command and measured time), in markdown; without it the card's own is kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

from axspa.hip.model.train import model_card
from axspa.hip.variants import VARIANTS
from axspa.training.bundle import reexport


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def _row(name: str, m: dict) -> str:
    seg = m["segments"]
    head = seg["femoral head (both sides)"]
    lesion = seg["all lesions"]
    u, d = m["unet_score"], m["femoral_head"]
    t, c = m.get("himriss_total", {}), m.get("clean_sides", {})
    return (f"| {name} ({m['evaluated']}) | {_f(head.get('dice_mean'))} | {_f(lesion.get('dice_mean'))} | "
            f"{_f(head.get('hd95_mm_mean'), 1)} | {_f(u['spearman'])} | {_f(t.get('within_rate'))} | "
            f"{_f(t.get('icc21'))} | {_f(c.get('clean_rate'))} ({c.get('n_sides')}) | "
            f"{d['found']}/{d['truth_heads']}, sides {d['side_correct']}/{d['found']} |")


def metrics_tables(outputs: dict) -> str:
    test = outputs["test"]
    rows = ["| set (cases) | head Dice | lesion Dice | head HD95 mm | UNet-score Spearman | HIMRISS-style total "
            "within 2 | its ICC(2,1) | clean sides < 0.5 mL (n) | heads found, sides right |",
            "|---|---|---|---|---|---|---|---|---|", _row("test", test)]
    for name in ("original",) + tuple(VARIANTS) + ("generator2",):
        if name in outputs:
            rows.append(_row(name, outputs[name]))
    rows += ["", "Per segment on the test set (Dice mean over cases holding it, pooled Dice, HD95, volume error):", "",
             "| segment | Dice mean (n) | pooled | HD95 mm (n) | volume error mL mean / abs |", "|---|---|---|---|---|"]
    for label, s in test["segments"].items():
        rows.append(f"| {label} | {_f(s.get('dice_mean'))} ({s.get('dice_n')}) | {_f(s.get('dice_pooled'))} | "
                    f"{_f(s.get('hd95_mm_mean'), 1)} ({s.get('hd95_n')}) | {_f(s.get('volume_error_ml_mean'), 2)} / "
                    f"{_f(s.get('volume_error_ml_mean_abs'), 2)} |")
    return "\n".join(rows)


def _target(text: str, value: Optional[float], goal: float, shown: Optional[str] = None) -> tuple[str, str]:
    got = shown or _f(value)
    return text, got + ("" if value is not None and value >= goal else " (missed)")


def targets(outputs: dict) -> str:
    """Issue 19's targets (phantoms of a seed never used in training; the semireal check; the real series)
    against what was measured."""
    m = outputs["test"]
    seg = m["segments"]
    real = outputs.get("real") or {}
    semi = outputs.get("semireal") or {}
    hips = [r for sides in real.values() for r in sides.values()]
    inside = sorted(r["inside_femur"] or 0.0 for r in hips)
    rows = [_target("femoral head Dice >= 0.95", seg["femoral head (both sides)"]["dice_mean"], 0.95),
            _target("lesion Dice (all BME + effusion) >= 0.80", seg["all lesions"]["dice_mean"], 0.80),
            _target("clean sides with < 0.5 mL predicted edema on >= 90%", m["clean_sides"]["clean_rate"], 0.9),
            _target("UNet-score Spearman >= 0.95", m["unet_score"]["spearman"], 0.95),
            _target("HIMRISS-style total within 2 on >= 90% of hips", m["himriss_total"]["within_rate"], 0.9),
            _target("HIMRISS-style total ICC(2,1) >= 0.95", m["himriss_total"]["icc21"], 0.95)]
    if semi:
        rows += [_target("semireal: femoral BME Dice >= 0.6", semi.get("dice_mean"), 0.6),
                 _target("semireal: clean heads clean on >= 80%", semi.get("clean_ok_share"), 0.8,
                         f"{semi.get('clean_ok')}/{semi.get('clean_heads')} ({_f(semi.get('clean_ok_share'))})")]
    if real:
        both = sum(all(r["found"] for r in sides.values()) for sides in real.values())
        rows += [_target("real T1: both heads found", both / len(real), 1.0, f"{both}/{len(real)}"),
                 _target("real T1: patient sides right", sum(r["side_correct"] for r in hips) / len(hips), 1.0,
                         f"{sum(r['side_correct'] for r in hips)}/{len(hips)} hips"),
                 _target("real T1: >= 90% of predicted head voxels inside the femur",
                         min(inside) if inside else None, 0.9,
                         f"{sum(v >= 0.9 for v in inside)}/{len(hips)} hips (median {_f(inside[len(inside) // 2])})")]
    return "\n".join(["| target | measured |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def semireal_text(outputs: dict) -> str:
    semi = outputs.get("semireal")
    if not semi:
        return "(not measured: ../shared/data/pelvis-mri-t1 was absent)"
    return (f"{semi['heads']} heads ({semi['painted_heads']} painted, {semi['clean_heads']} left clean), heads found "
            f"{semi['heads_found']}/{semi['heads']}: femoral BME Dice {_f(semi['dice_mean'])} (mean over painted "
            f"heads; pooled {_f(semi['dice_pooled'])}), clean heads with < 0.5 mL predicted BME {semi['clean_ok']}/"
            f"{semi['clean_heads']} (mean {_f(semi['clean_predicted_ml_mean'], 2)} mL), Spearman of predicted with "
            f"painted volume {_f(semi['spearman_painted'])} over the painted heads.")


def real_table(outputs: dict) -> str:
    if not outputs.get("real"):
        return "(not measured)"
    rows = ["| patient | right: found, side, inside femur | left: found, side, inside femur |", "|---|---|---|"]
    for patient, sides in outputs["real"].items():
        cells = [f"{'yes' if r['found'] else 'NO'}, {'right' if r['side_correct'] else 'WRONG'}, "
                 f"{_f(r['inside_femur'])}" for r in (sides["right"], sides["left"])]
        rows.append(f"| {patient} | {cells[0]} | {cells[1]} |")
    return "\n".join(rows)


def real_note(outputs: dict) -> str:
    """What the T1 check says and does not say, from its figures: heads placed outside the femur on T1 while the
    STIR-like version of the same anatomy (the semireal check) found them."""
    real, semi = outputs.get("real") or {}, outputs.get("semireal") or {}
    lost = sorted(p for p, sides in real.items() if any(not r["side_correct"] for r in sides.values()))
    if not lost:
        return ""
    return (f"On {', '.join(lost)} the heads were placed outside the femur: T1 is not what the model reads "
            "(marrow and fat bright, fluid dark) and this version's locator, trained on phantoms with the bright "
            "look-alikes of real hips, took bright T1 structures (bladder, fat) for heads; `axspa hip` warns that "
            "such a series does not look like STIR. On the STIR-like version of the same series (the semireal "
            f"check) the heads were found in {semi.get('heads_found', 'n/a')} of {semi.get('heads', 'n/a')}. "
            "The previous version (0.1) found both heads on their sides in all 8 T1 series.\n\n")


def _reproduce(card: str) -> str:
    """The card's own Reproduce section (up to the held-out metrics)."""
    text = card.split("## Reproduce\n", 1)[1] if "## Reproduce\n" in card else ""
    return text.split("\n## Held-out metrics")[0].strip()


DATA = "out/models/data"


def write_card(bundle: Path, times: Optional[str] = None) -> None:
    """Rebuild ``bundle``'s card from its docs/evaluation.json and re-hash the bundle."""
    outputs = json.loads((bundle / "docs" / "evaluation.json").read_text())["outputs"]
    if times is None:
        times = _reproduce((bundle / "docs" / "README.md").read_text())
    t = json.loads((bundle / "bundle.json").read_text())["training"]
    inference = json.loads((bundle / "configs" / "inference.json").read_text())
    decisions = {k: inference[k] for k in ("lesion_decision", "effusion_decision") if k in inference}
    # The card's head as training writes it, with the data named by the commands that make it.
    card = model_card([f"{DATA}/hip3-train (`axspa phantom hip --n 240 --seed 101`)"],
                      [f"{DATA}/hip3-val (`axspa phantom hip --n 12 --seed 202 --size small`)"],
                      t["locator_steps"], t["steps"], t["seed"], t["cases"], t["minutes"], t["history"],
                      [f"{DATA}/hip3-calibration (`axspa phantom hip --n 30 --seed 404`)"], decisions)
    card = card.rstrip() + "\n\n"
    card += "## Reproduce\n" + times.strip() + "\n\n"
    card += ("## Held-out metrics (phantoms)\n"
             "40 phantom cases of seed 303 (`axspa phantom hip --n 40 --seed 303 --out TEST`; never used in training, "
             "validation or calibration), segmented with `python Utilities/predict_hip_cases.py TEST PRED --model-dir "
             "BUNDLE` and measured with `axspa evaluate hip --truth TEST --pred PRED --json`. Acquisition variants of "
             "the first 20 cases: `python Utilities/make_hip_variants.py TEST VAR 20` (`original` = those 20 "
             "unchanged), each against its own recomputed truth. `generator2`: the second, independent simulator, "
             "the same 40 seeds drawn by the previous phantom generator (`axspa phantom hip --generator 2 --n 40 "
             "--seed 303`: no confounders, heads 45-54 mm). Lesion Dice pools all BME and effusion of a case; a "
             "clean side is one whose truth holds no femoral or acetabular BME.\n"
             "Every figure here is regenerated and checked by `make evaluate-models` (evaluation.json beside this "
             "card).\n\n"
             + metrics_tables(outputs) + "\n\n"
             "Per-segment Dice means count every case where truth or model has that segment, so a few voxels of "
             "effusion the model draws in a hip without any (or misses in one with a trace) count 0: the pooled "
             "Dice is the better figure of its overlap.\n\n"
             "## Against the targets\n" + targets(outputs) + "\n\n"
             "The HIMRISS-style total is a sum of up to 45 slice decisions per hip (three regions on up to 15 "
             "slices, each lesion area against 5 mm²): exact agreement on the test hips "
             + _f(outputs["test"]["himriss_exact"]["total"], 2) + " (components " + ", ".join(
                 f"{_f(outputs['test']['himriss_exact'][k], 2)} {k.replace('_', ' ')}"
                 for k in ("femoral_bme", "acetabular_bme", "effusion")) + "); misses are of a lesion's faint first "
             "or last slice, so agreement within 2 and the ICC of the totals are the figures to read (trained "
             "readers: inter-reader ICC 0.99, Man et al. 2021).\n\n"
             "## Semireal check (real anatomy, painted edema)\n"
             "The 8 real T1 series of `../shared/data/pelvis-mri-t1` turned STIR-like by our own mapping (fat and "
             "fatty marrow dark, muscle grey; `axspa/hip/semireal.py`), with edema painted inside their real "
             "femoral heads with exact truth and about half of the heads left clean, three draws per patient: "
             "`python Utilities/check_hip_semireal.py ../shared/data/pelvis-mri-t1 --model-dir BUNDLE`. An "
             "evaluation set, never training data, never shipped. Its limits: T1 cannot show free fluid, so these "
             "images lack the bright bladder and joint fluid of a real STIR (the model's intensity scale is then "
             "set by muscle and painted edema is at the top of it), and the mapping is ours, not a scanner's.\n\n"
             + semireal_text(outputs) + "\n\n"
             "## Real anatomy (T1, not STIR)\n"
             "The same 8 series with their manual femur labels: `python Utilities/check_hip_real_mri.py "
             "../shared/data/pelvis-mri-t1 --model-dir BUNDLE`. Inside femur = share of predicted femoral-head "
             "voxels inside that side's reference femur label (head, neck and shaft). No weight was trained on "
             "them, but they were used during development (the candidate check, the search across the midline, "
             "the ball that keeps the head, and the range of head sizes drawn by the phantoms), so they are a "
             "development figure; the product is to be checked on other patients.\n\n"
             + real_table(outputs) + "\n\n" + real_note(outputs) +
             "## Limits\n"
             "- Trained and tested on synthetic phantoms from this repository's generators only; real STIR will do "
             "worse. **It is not validated on patients.**\n"
             "- Edema fainter than the fitted margin over its bone's marrow, or smaller than the minimum piece, is "
             "not reported; the margin was fitted on phantoms, whose edema may be brighter than a patient's.\n"
             "- Effusion-synovitis is reported only when the kept volume makes it probable (about 3 mL and more "
             "with the fitted weights): the phantoms draw no smaller effusions, so a small real effusion is left "
             "out (and a physiological film of joint fluid is not reported as effusion).\n"
             "- On a T1 or non-fat-suppressed series, bright marrow fat may be segmented as edema: `axspa hip` warns "
             "when a series does not look like STIR (tags and femoral-head marrow brightness).\n"
             "- Slices further than 40 mm from a femoral head's centre (anterior-posterior) are not segmented.\n"
             "- Not validated: children (open physes), hip prostheses, other sequences than coronal STIR.\n")
    reexport(bundle, model_card=card)


if __name__ == "__main__":
    bundle = Path(sys.argv[1])
    write_card(bundle, Path(sys.argv[2]).read_text() if len(sys.argv) > 2 else None)
    print(f"{bundle}: model card written, bundle re-hashed")
