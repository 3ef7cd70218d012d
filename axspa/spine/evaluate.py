"""Held-out metrics of the spine models: predictions (``<stem>.spine.json``) against truth documents.

Pairs documents by the input's sha256 (else by file stem) and reports what the model cards quote:
located fraction, localization error (mm), per-site grade accuracy (0-3 and unscorable as five
categories), quadratic weighted kappa and the 4x4 confusion matrix on sites both graded (rows truth,
columns model, as Chen et al.'s Table 5), bridge (3) vs non-bridge accuracy, sensitivity and
specificity (comparable with Koo et al.), segment-score MAE and ICC(2,1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from axspa.evaluation.stats import cohen_kappa, confusion_matrix, icc
from axspa.texts import number

GRADES = (0, 1, 2, 3)


def load_pairs(truth_dir: Path, pred_dir: Path) -> list[tuple[dict, Optional[dict]]]:
    """Every truth document with its prediction, or None where the model wrote none (a failed film)."""
    truths = [json.loads(p.read_text()) for p in sorted(Path(truth_dir).glob("*.json"))]
    truths = [t for t in truths if t.get("schema") == "axspa.spine/1"]
    preds = [json.loads(p.read_text()) for p in sorted(Path(pred_dir).glob("*.spine.json"))]
    by_sha = {p["input"].get("sha256"): p for p in preds}
    by_stem = {Path(p["input"]["path"]).name.split(".")[0]: p for p in preds}
    pairs = []
    for t in truths:
        p = by_sha.get(t["input"].get("sha256")) or by_stem.get(Path(t["input"]["path"]).name.split(".")[0])
        pairs.append((t, p))
    if not any(p is not None for _, p in pairs):
        raise FileNotFoundError(f"no prediction in {pred_dir} matches a truth document in {truth_dir}")
    return pairs


def evaluate_spine(truth_dir: Path, pred_dir: Path) -> dict:
    pairs = load_pairs(truth_dir, pred_dir)
    errors, targets, located = [], 0, 0
    five_true, five_pred, both_true, both_pred = [], [], [], []
    seg_true, seg_pred, region_ok = [], [], 0
    missing = [Path(t["input"]["path"]).name for t, p in pairs if p is None]
    for truth, pred in pairs:
        # A film without a prediction failed: its region is wrong, its sites not located, its grades missing.
        pred = pred or {"region": None, "sites": [], "score": {}}
        region_ok += pred["region"] == truth["region"]
        sp = truth["input"].get("pixel_spacing_mm")
        mm = float(sp[0]) if sp else 1.0
        psites = {s["id"]: s for s in pred["sites"]} if pred["region"] == truth["region"] else {}
        for s in truth["sites"]:
            p = psites.get(s["id"], {})
            if s["point"] is not None:
                targets += 1
                if p.get("point") is not None:
                    located += 1
                    errors.append(float(np.linalg.norm(np.subtract(p["point"], s["point"]))) * mm)
                five_true.append(_cat(s["grade"]))
                five_pred.append(_cat(p.get("grade")) if p.get("point") is not None else "missing")
            if s["grade"] is not None and p.get("grade") is not None:
                both_true.append(s["grade"])
                both_pred.append(p["grade"])
        t_score, p_score = truth["score"].get("imputed"), (pred.get("score") or {}).get("imputed")
        if t_score is not None and p_score is not None and pred["region"] == truth["region"]:
            seg_true.append(float(t_score))
            seg_pred.append(float(p_score))
    out = _summary(len(pairs), region_ok, targets, located, errors, five_true, five_pred, both_true, both_pred,
                   seg_true, seg_pred)
    return {**out, "evaluated": len(pairs) - len(missing), "missing": missing}


def _cat(grade: Optional[int]) -> str:
    return "unscorable" if grade is None else str(int(grade))


def _summary(films, region_ok, targets, located, errors, five_true, five_pred, both_true, both_pred,
             seg_true, seg_pred) -> dict:
    e = np.asarray(errors, float)
    out = {"films": films, "region_accuracy": region_ok / films, "sites": targets,
           "located_fraction": located / max(targets, 1),
           "localization_mm": {"median": _q(e, 50), "p95": _q(e, 95), "within_2mm": _frac(e <= 2.0)},
           "grade_accuracy": _frac(np.array(five_true) == np.array(five_pred)),
           "grade_accuracy_scored": _frac(np.array(both_true) == np.array(both_pred))}
    if both_true:
        out["quadratic_kappa"] = float(cohen_kappa(both_true, both_pred, "quadratic", GRADES))
        out["confusion_truth_rows"] = confusion_matrix(both_true, both_pred, GRADES).tolist()
        t3, p3 = np.array(both_true) == 3, np.array(both_pred) == 3
        out["bridge"] = {"accuracy": _frac(t3 == p3), "sensitivity": _frac(p3[t3]), "specificity": _frac(~p3[~t3]),
                         "n_bridged": int(t3.sum())}
    if seg_true:
        st, sp = np.array(seg_true), np.array(seg_pred)
        out["segment_score"] = {"n": len(st), "mae": float(np.abs(st - sp).mean()),
                                "icc21": float(icc(np.stack([st, sp], 1)).icc_2_1) if len(st) >= 3 else None}
    return out


def _q(e: np.ndarray, q: float) -> Optional[float]:
    return float(np.percentile(e, q)) if e.size else None


def _frac(mask: np.ndarray) -> Optional[float]:
    mask = np.asarray(mask)
    return float(mask.mean()) if mask.size else None


def format_report(m: dict) -> str:
    """The metrics as the model cards print them."""
    loc = m["localization_mm"]
    lines = [f"films {m['films']} (evaluated {m.get('evaluated', m['films'])}, without a prediction "
             f"{len(m.get('missing', []))}: they count as failed), region right {m['region_accuracy']:.3f}",
             f"sites located {m['located_fraction']:.4f} of {m['sites']}",
             f"localization error median {_f(loc['median'])} mm, 95th percentile {_f(loc['p95'])} mm, "
             f"within 2 mm {_f(loc['within_2mm'])}",
             f"per-site grade accuracy {_f(m['grade_accuracy'])} (0-3 + unscorable; missing counts wrong), "
             f"{_f(m['grade_accuracy_scored'])} on sites both graded"]
    if "quadratic_kappa" in m:
        b = m["bridge"]
        lines += [f"quadratic weighted kappa {_f(m['quadratic_kappa'])}",
                  f"bridge vs non-bridge: accuracy {_f(b['accuracy'])}, sensitivity {_f(b['sensitivity'])}, "
                  f"specificity {_f(b['specificity'])} ({b['n_bridged']} bridged sites)",
                  "confusion (rows truth 0-3, columns model 0-3):"]
        lines += ["  " + " ".join(f"{v:6d}" for v in row) for row in m["confusion_truth_rows"]]
    if "segment_score" in m:
        s = m["segment_score"]
        lines.append(f"segment score MAE {_f(s['mae'])} (n={s['n']}), ICC(2,1) {_f(s['icc21'])}")
    lines += [f"missing: {name} (no prediction)" for name in m.get("missing", [])]
    return "\n".join(lines)


def _f(x) -> str:
    return number(x, ".3f")


def study_beside_truth(result_dir: Path, truth_paths: list) -> str:
    """Lines comparing a scored study (``study.json`` + ``<stem>.spine.json``) with truth documents."""
    study = json.loads((Path(result_dir) / "study.json").read_text())
    truths = [json.loads(Path(p).read_text()) for p in truth_paths]
    preds = {json.loads(p.read_text())["input"].get("sha256"): json.loads(p.read_text())
             for p in Path(result_dir).glob("*.spine.json")}
    lines, total = [], 0.0
    for t in truths:
        p = preds.get(t["input"]["sha256"])
        truth_score = t["score"].get("imputed")
        total = None if truth_score is None or total is None else total + truth_score
        if p is None:
            continue
        same = sum(1 for a, b in zip(t["sites"], p["sites"]) if a["grade"] == b["grade"])
        lines.append(f"{t['region']}: model {_g(p['score'].get('imputed'))}, phantom truth {_g(truth_score)} "
                     f"({same}/{len(t['sites'])} site grades equal)")
    lines.append(f"mSASSS total (0-72): model {_g(study.get('total'))}, phantom truth {_g(total)}")
    return "\n".join(lines)


def _g(x) -> str:
    return number(x, missing="missing", whole=True)
