"""Write the held-out figures into the sij-grader bundle's model card and re-hash the bundle.

    python Utilities/write_sij_model_card.py BUNDLE

The figures come from BUNDLE/docs/evaluation.json (written by ``Utilities/evaluate_models.py sij-grader --write``,
which calls ``write_card``). Its outputs (each ``axspa evaluate sij --json``): ``test`` (generator 2 at the
held-out seed 303, a tenth photographed), ``painter`` (the 2-D painter, generator 1, same seed), ``photos``
(every film photographed off a screen, seed 505) and ``full`` (full-size films, 0.14-0.2 mm pixels, seed 606).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

from axspa.training.bundle import reexport

SETS = {"test": "generator 2, held-out seed 303 (0.4 mm films, a tenth photographed)",
        "painter": "the 2-D painter (generator 1), seed 303: the other simulator",
        "photos": "photographs of a screen (perspective, moire, glare, JPEG), seed 505",
        "full": "full-size films (0.14-0.2 mm pixels), seed 606"}


def _f(x, digits=3):
    return "n/a" if x is None else f"{x:.{digits}f}"


def _row(name: str, m: dict) -> str:
    d, g, j = m["definite"], m["grades"], m["joints"]
    return (f"| {name} ({m['evaluated']}/{m['cases']}) | {_f(d['auc'])} | {_f(d.get('auc_direct'))} | "
            f"{_f(d['accuracy'])} | {_f(g['accuracy'])} | {_f(g['within_one'])} | {_f(g['quadratic_kappa'])} | "
            f"{_f(j.get('within_rate'))} ({j.get('n_sides')}) | {_f(j.get('distance_mm_median'), 1)} | "
            f"{_f(m.get('review', {}).get('rate'))} |")


def metrics_tables(outputs: dict) -> str:
    rows = ["| set (evaluated/cases) | definite AUC (grades) | definite AUC (direct) | definite accuracy | "
            "grade accuracy | within one grade | quadratic kappa | joints within 5 mm (sides) | joint error mm "
            "median | flagged for review |", "|---|---|---|---|---|---|---|---|---|---|"]
    rows += [_row(name, outputs[name]) for name in SETS if name in outputs]
    rows += ["", "Sets: " + "; ".join(f"**{k}**: {v}" for k, v in SETS.items()) + ".", "",
             "Recall per grade (both sides pooled):", "", "| set | 0 | 1 | 2 | 3 | 4 |", "|---|---|---|---|---|---|"]
    for name in SETS:
        if name in outputs:
            r = outputs[name]["grades"]["recall"]
            rows.append(f"| {name} | " + " | ".join(_f(r.get(str(g))) for g in range(5)) + " |")
    rows += ["", "Operating points on P(definite) from the grade probabilities, chosen on the validation phantoms "
             "(seed 202) as Bressem et al. did: favouring sensitivity (the highest threshold keeping sensitivity "
             ">= 0.95 there), balanced (largest Youden index), favouring specificity (the lowest threshold keeping "
             "specificity >= 0.95 there). Where validation cases separate well, the sensitivity-favouring threshold "
             "lies above the specificity-favouring one: both constraints hold over a range. Sensitivity / "
             "specificity here:", "",
             "| set | threshold: sensitive | balanced | specific |", "|---|---|---|---|"]
    for name in SETS:
        if name in outputs:
            ops = outputs[name]["operating_points"]
            rows.append(f"| {name} | " + " | ".join(
                f"{_f(ops[k]['threshold'], 3)}: {_f(ops[k]['sensitivity'])} / {_f(ops[k]['specificity'])}"
                for k in ("sensitive", "balanced", "specific")) + " |")
    confusion = outputs["test"]["grades"].get("confusion_truth_rows")
    if confusion:
        rows += ["", "Confusion on the test set (rows truth 0-4, columns predicted 0-4):", "",
                 "| truth | 0 | 1 | 2 | 3 | 4 |", "|---|---|---|---|---|---|"]
        rows += [f"| {t} | " + " | ".join(str(v) for v in row) + " |" for t, row in enumerate(confusion)]
    return "\n".join(rows)


def _target(text: str, value: Optional[float], goal: float) -> str:
    return f"| {text} | {_f(value)}{'' if value is not None and value >= goal else ' (missed)'} |"


def targets(outputs: dict) -> str:
    t, p, ph = outputs["test"], outputs.get("painter"), outputs.get("photos")
    rows = ["| target (issue 16) | measured |", "|---|---|",
            _target("definite AUC >= 0.98 (test)", t["definite"]["auc"], 0.98),
            _target("grade accuracy >= 0.85 (test)", t["grades"]["accuracy"], 0.85),
            _target("quadratic weighted kappa >= 0.85 (test)", t["grades"]["quadratic_kappa"], 0.85),
            _target("joints within 5 mm >= 0.99 (test, films with a pixel spacing)", t["joints"]["within_rate"], 0.99)]
    if p:
        rows.append(_target("definite AUC >= 0.90 on the other simulator (painter)", p["definite"]["auc"], 0.90))
    if ph:
        rows.append(_target("definite AUC >= 0.95 on photographed films", ph["definite"]["auc"], 0.95))
    return "\n".join(rows)


def across_simulators(outputs: dict) -> str:
    """What the other simulator says, in words, from its figures."""
    p = outputs.get("painter")
    if not p:
        return ""
    r = p.get("review", {})
    return ("## Across simulators\n"
            "On the 2-D painter's films (generator 1, never trained on) the definite AUC is "
            f"{_f(p['definite']['auc'])} "
            f"and grade accuracy {_f(p['grades']['accuracy'])}: this model does not transfer to the other simulator's "
            f"look (its joints are located within 5 mm on {_f(p['joints'].get('within_rate'))} of sides). It says so: "
            f"{r.get('flagged')} of {r.get('n')} of those films ({_f(r.get('rate'))}) are flagged for review with "
            "their probabilities pulled toward uniform, where on its own generator's films "
            f"{_f(outputs['test'].get('review', {}).get('rate'))} are. Expect real films to be flagged at least as "
            "often until the model is trained on more varied anatomy; a flagged film needs a reader.\n\n")


def write_card(bundle: Path, times: Optional[str] = None) -> None:
    evaluation = json.loads((bundle / "docs" / "evaluation.json").read_text())
    outputs = evaluation["outputs"]
    info = json.loads((bundle / "bundle.json").read_text())
    training = info.get("training", {})
    inference = json.loads((bundle / "configs" / "inference.json").read_text())
    card = (f"# sij-grader {info['version']}\n\n"
            "Modified New York grade (0-4) of each sacroiliac joint on an AP pelvis radiograph, the probability of "
            "definite radiographic sacroiliitis (by the rule from the grade probabilities, and a direct estimate), "
            "and a Grad-CAM map. Anatomy-aware, as Dorfner, Bressem et al. (2024): a MONAI UNet finds both joint "
            "centres on the film letterboxed to 192 px (one heat map for both; the one on the image left is the "
            "patient's right), a second UNet refines each centre at 1 mm in a 96 mm square, a small MONAI ResNet "
            "grades a 64 mm crop around each at 0.5 mm (the right joint mirrored), and a linear head on both "
            "crops' features gives the direct "
            "P(definite). When the joints are not found with confidence or not where an adult AP pelvis has them, "
            "the film is flagged for review and its probabilities are pulled toward uniform.\n\n"
            "## Training\n"
            f"`make sij-models`: {training.get('cases')} AP pelvis phantoms of generator 2 (3-D anatomy projected "
            "by a cone beam, `axspa/phantom/pelvis3d`; seed 101, 0.4 mm films, no photographs: the joints must be "
            "marked), validation seed 202; locator "
            f"{training.get('locator_steps')} steps, refinement {training.get('refine_steps')} steps, grader "
            f"{training.get('steps')} steps, seed {training.get('seed')}; {training.get('minutes')} min of "
            "`axspa train` on 2 CPU threads; the 1200 phantoms are made first (`axspa phantom` prints its "
            "films per second: about 1 s per film on one core). Augmentation: crops "
            "turned (8 degrees "
            "sd), zoomed (12 %), shifted (3 mm sd), gamma, contrast windows, blur or unsharp masking, noise, moire, "
            "JPEG. The 2-D painter (generator 1) is never trained on.\n"
            f"Operating points (validation): {json.dumps(inference.get('operating_points'))}. Typical joint "
            f"distance used to scale photographs without a pixel spacing: "
            f"{inference.get('typical_joint_distance_mm')} mm.\n\n"
            "## Targets\n" + targets(outputs) + "\n\n"
            "## Held-out figures\n"
            "Every figure is regenerated by `make evaluate-models` (`python Utilities/evaluate_models.py "
            "sij-grader`), which runs `axspa phantom pelvis`, `axspa sij --model-dir` and `axspa evaluate sij` "
            "(commands and full outputs in `docs/evaluation.json`).\n\n" + metrics_tables(outputs) + "\n\n"
            + across_simulators(outputs) +
            "## Limits\n"
            "- Trained and tested on synthetic phantoms from this repository's generators only. **It is not "
            "validated on patients**; published models reach per-side grade accuracy of about 0.64 on external "
            "real films (Meng et al. 2025), and real films will do worse than these phantoms.\n"
            "- Not validated: children and adolescents (unfused apophyses, wide physiological joints: out of scope), "
            "inlet/outlet or oblique views, films after sacroiliac fusion surgery, prostheses.\n"
            "- Confounders drawn: osteitis condensans ilii and anterior osteophytes on normal joints, bowel gas and "
            "stool over the joints, pelvic rotation and tilt, gonad shields, clips. Not drawn: diffuse idiopathic "
            "skeletal hyperostosis, Paget's disease, fractures, infection.\n"
            "- Photographs have no pixel spacing; their scale comes from the distance between the joints found and "
            "the phantoms' median, so an unusually small or large pelvis is cropped at a wrong scale.\n")
    reexport(bundle, model_card=card)


if __name__ == "__main__":
    bundle = Path(sys.argv[1])
    write_card(bundle)
    print(f"{bundle}: model card written, bundle re-hashed")
