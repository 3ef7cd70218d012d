"""Held-out metrics of the sacroiliitis grader (``axspa evaluate sij --truth DIR --pred DIR``).

Truth is ``TRUTH/<id>.truth.json`` (``axspa.sij/1`` with the ``phantom`` block, ``axspa phantom pelvis``);
predictions are ``PRED/<stem>.sij.json`` as ``axspa sij`` writes them, matched to a truth document by the
input's SHA-256, else by stem (the prediction named ``<id>.sij.json``, or made from an input of the truth's
file name; never a prediction that records another image's SHA-256). Reported, as the model cards quote them:

- definite sacroiliitis: accuracy of ``definite``; AUC of ``definite_probability`` and, where the predictions
  carry it, of ``definite_probability_direct``;
- the three operating points the predictions store (``operating_points.<name>``, axspa/sij/operating.py):
  the threshold (or the thresholds, with a warning, when predictions disagree) and the sensitivity and
  specificity of the stored decisions (a decision is ``definite_probability >= threshold`` where none is
  stored);
- per-side grades, both sides pooled: accuracy, within one grade, quadratic weighted kappa, the 5x5 confusion
  matrix (rows truth, columns model) and recall per grade;
- joints located within JOINT_WITHIN_MM: the distance in mm from the predicted ``sides.<side>.joint``
  (column, row) to the truth's ``phantom.joint_centres_px``, or, where the truth has only joint lines
  (``phantom.joint_lines_px``, the 2-D painter), to the nearest point of that polyline; cases without a pixel
  spacing (photographs) or without truth joints are skipped and counted;
- the definite and grade figures again for DICOM inputs and for photographs (a ``.jpg``/``.png`` input).

A truth case without a prediction (or with an unreadable one) is listed under ``missing`` and counts as
failed: a wrong ``definite``, a wrong call at every operating point, wrong grades and joints not located. The
AUCs, kappa, confusion matrix and recall per grade use the evaluated cases only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from axspa.evaluation.stats import cohen_kappa, confusion_matrix, roc_auc
from axspa.image import InputError
from axspa.sij.operating import OPERATING_POINTS, decision_rates
from axspa.sij.rules import MNY_GRADES
from axspa.texts import number

SIDES = ("right", "left")
JOINT_WITHIN_MM = 5.0
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
# Stored thresholds this close are the same operating point (written as floats by one bundle).
THRESHOLD_TOLERANCE = 1e-9


@dataclass
class SijCase:
    """One truth document and its prediction (None when missing)."""

    case_id: str
    truth: dict
    pred: Optional[dict] = None

    @property
    def photo(self) -> bool:
        """A photographed screen (or any photo) rather than a DICOM radiograph."""
        path = str(self.truth.get("input", {}).get("path", "")).lower()
        return path.endswith(PHOTO_SUFFIXES) or bool((self.truth.get("phantom") or {}).get("photographed_screen"))


def _read(path: Path) -> dict:
    from axspa.results import InvalidDocumentError, validate

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not a readable JSON document ({e})") from e
    if not isinstance(doc, dict) or doc.get("schema") != "axspa.sij/1":
        raise InputError(f"{path}: not an axspa.sij/1 document")
    try:
        validate(doc, "sij")
    except InvalidDocumentError as e:
        raise InputError(f"{path}: {e}") from e
    return doc


def _sha(doc: dict) -> str:
    return str(doc.get("input", {}).get("sha256") or "")


def _input_stem(doc: dict) -> str:
    return Path(str(doc.get("input", {}).get("path", ""))).name.split(".")[0]


def load_cases(truth_dir: Path, pred_dir: Path) -> tuple[list[SijCase], list[dict], list[str]]:
    """Every truth case with its prediction, the missing ones as ``{"case", "reason"}``, and warnings."""
    truth_paths = sorted(Path(truth_dir).glob("*.truth.json"))
    cases = [SijCase(p.name[:-len(".truth.json")], _read(p)) for p in truth_paths]
    if not cases:
        raise FileNotFoundError(f"{truth_dir}: no sacroiliac truth documents (<id>.truth.json in the axspa.sij/1 "
                                f"schema, as axspa phantom pelvis writes them)")
    preds: dict[str, dict] = {}
    unreadable: dict[str, str] = {}
    for p in sorted(Path(pred_dir).glob("*.sij.json")):
        stem = p.name[:-len(".sij.json")]
        try:
            preds[stem] = _read(p)
        except InputError as e:
            unreadable[stem] = str(e)
    by_sha = {_sha(d): stem for stem, d in preds.items() if _sha(d)}
    by_input = {_input_stem(d): stem for stem, d in preds.items()}
    missing, used = [], set()
    for case in cases:
        sha = _sha(case.truth)
        stem = by_sha.get(sha) if sha else None
        if stem is None:
            for candidate in (case.case_id, by_input.get(_input_stem(case.truth)),
                              by_input.get(case.case_id)):
                if candidate in preds and not (sha and _sha(preds[candidate]) and _sha(preds[candidate]) != sha):
                    stem = candidate
                    break
        if stem is None:
            if case.case_id in unreadable:
                reason = unreadable[case.case_id]
            elif case.case_id in preds:
                reason = f"{case.case_id}.sij.json was made from another image (its SHA-256 differs)"
            else:
                reason = f"no {case.case_id}.sij.json and no prediction recording the input's SHA-256"
            missing.append({"case": case.case_id, "reason": reason})
            continue
        case.pred = preds[stem]
        used.add(stem)
    if len(missing) == len(cases):
        raise FileNotFoundError(f"no prediction in {pred_dir} matches a truth document in {truth_dir}")
    warnings = []
    unmatched = sorted(set(preds) - used)
    if unmatched:
        warnings.append(f"{len(unmatched)} prediction(s) match no truth document: {_names(unmatched)}")
    warnings += [reason for stem, reason in sorted(unreadable.items()) if stem not in {c.case_id for c in cases}]
    return cases, missing, warnings


def _names(items: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def evaluate_sij(truth_dir: Path, pred_dir: Path) -> dict:
    """The metrics of the module docstring, JSON-ready."""
    cases, missing, warnings = load_cases(truth_dir, pred_dir)
    joints, distances = _joints(cases)
    return {"cases": len(cases), "evaluated": len(cases) - len(missing), "missing": missing,
            **_summary(cases),
            "operating_points": _operating_points(cases, warnings),
            "joints": joints,
            "by_input": {"dicom": _summary([c for c in cases if not c.photo]),
                         "photo": _summary([c for c in cases if c.photo])},
            "per_case": {c.case_id: _per_case(c, distances) for c in cases},
            "warnings": warnings}


def _summary(cases: list[SijCase]) -> dict:
    """Definite sacroiliitis and side grades over ``cases`` (a missing prediction counting as failed)."""
    evaluated = [c for c in cases if c.pred is not None]
    direct = [c for c in evaluated if c.pred.get("definite_probability_direct") is not None]
    definite = {"n": len(cases), "positives": sum(bool(c.truth["definite"]) for c in cases),
                "accuracy": _mean([c.pred is not None and c.pred["definite"] == c.truth["definite"] for c in cases]),
                "auc": _auc(evaluated, "definite_probability"), "auc_n": len(evaluated),
                "auc_direct": _auc(direct, "definite_probability_direct"), "auc_direct_n": len(direct)}
    return {"definite": definite, "grades": _grades(cases), "review": _review(evaluated)}


def _review(evaluated: list[SijCase]) -> dict:
    """Results the model flagged for review (a warning asking for it: joints not found, not an adult AP pelvis),
    and how confident the unflagged ones are: what a reader is told to check against what is given as sure."""
    flagged = [any("review" in w for w in c.pred.get("warnings", [])) for c in evaluated]
    top = [max(max(c.pred["sides"][s]["grade_probabilities"]) for s in SIDES) for c in evaluated]
    sure = [t for t, f in zip(top, flagged) if not f]
    return {"n": len(evaluated), "flagged": int(sum(flagged)), "rate": _mean(flagged) if evaluated else None,
            "unflagged_top_probability_median": float(np.median(sure)) if sure else None}


def _auc(cases: list[SijCase], key: str) -> Optional[float]:
    labels = [bool(c.truth["definite"]) for c in cases]
    if len(set(labels)) < 2:
        return None  # one class (or none): undefined
    return roc_auc([float(c.pred[key]) for c in cases], labels)


def _grades(cases: list[SijCase]) -> dict:
    truth = [int(c.truth["sides"][s]["grade"]) for c in cases for s in SIDES]
    pred = [int(c.pred["sides"][s]["grade"]) if c.pred is not None else None for c in cases for s in SIDES]
    both = [(t, p) for t, p in zip(truth, pred) if p is not None]
    out: dict = {"n_sides": len(truth), "accuracy": _mean([p == t for t, p in zip(truth, pred)]),
                 "within_one": _mean([p is not None and abs(p - t) <= 1 for t, p in zip(truth, pred)]),
                 "n_graded": len(both), "quadratic_kappa": None, "confusion_truth_rows": None,
                 "recall": {str(g): None for g in MNY_GRADES}}
    if both:
        t, p = zip(*both)
        kappa = cohen_kappa(t, p, "quadratic", MNY_GRADES)
        out["quadratic_kappa"] = float(kappa) if np.isfinite(kappa) else None
        table = confusion_matrix(t, p, MNY_GRADES)
        out["confusion_truth_rows"] = table.tolist()
        out["recall"] = {str(g): float(table[g, g] / table[g].sum()) if table[g].sum() else None for g in MNY_GRADES}
    return out


def _operating_points(cases: list[SijCase], warnings: list[str]) -> dict:
    """Per stored operating point: its threshold(s) and the sensitivity and specificity of the decisions."""
    out = {}
    for name in OPERATING_POINTS:
        stored = {c.case_id: (c.pred.get("operating_points") or {}).get(name) for c in cases if c.pred is not None}
        stored = {k: v for k, v in stored.items() if v and v.get("threshold") is not None}
        if not stored:
            out[name] = None
            continue
        thresholds = sorted({float(v["threshold"]) for v in stored.values()})
        consistent = thresholds[-1] - thresholds[0] <= THRESHOLD_TOLERANCE
        if not consistent:
            warnings.append(f"predictions disagree on the {name} threshold: {_names([f'{t:.4g}' for t in thresholds])}")
        decisions, labels, disagree = [], [], []
        for c in cases:
            truth = bool(c.truth["definite"])
            if c.pred is None:
                decisions.append(not truth)  # a missing case is a wrong call
            elif c.case_id in stored:
                op = stored[c.case_id]
                computed = float(c.pred["definite_probability"]) >= float(op["threshold"])
                decision = bool(op["definite"]) if op.get("definite") is not None else computed
                if decision != computed:
                    disagree.append(c.case_id)
                decisions.append(decision)
            else:
                continue  # a prediction without this operating point
            labels.append(truth)
        if disagree:
            warnings.append(f"{name}: the stored decision differs from definite_probability >= threshold in "
                            f"{len(disagree)} case(s): {_names(disagree)}")
        sensitivity, specificity = decision_rates(decisions, labels)
        out[name] = {"threshold": thresholds[0] if consistent else None, "thresholds": thresholds,
                     "consistent": consistent, "n": len(labels), "positives": int(sum(labels)),
                     "sensitivity": sensitivity, "specificity": specificity}
    return out


def _joints(cases: list[SijCase]) -> tuple[dict, dict]:
    """Joint location against the truth (module docstring) and the distance (mm) per case and side."""
    distances: dict[str, dict[str, Optional[float]]] = {}
    kinds = {"centre": 0, "line": 0}
    skipped: dict[str, list[str]] = {}
    any_joint = False
    for c in cases:
        phantom = c.truth.get("phantom") or {}
        centres, lines = phantom.get("joint_centres_px") or {}, phantom.get("joint_lines_px") or {}
        spacing = c.truth["input"].get("pixel_spacing_mm")
        if not spacing:
            skipped.setdefault("no pixel spacing (photograph)", []).append(c.case_id)
            continue
        if not any(centres.get(s) is not None or lines.get(s) for s in SIDES):
            skipped.setdefault("no truth joints", []).append(c.case_id)
            continue
        scale = np.array([float(spacing[1]), float(spacing[0])])  # mm per column, per row
        for side in SIDES:
            centre, line = centres.get(side), lines.get(side)
            if centre is None and not line:
                continue
            kinds["centre" if centre is not None else "line"] += 1
            joint = ((c.pred or {}).get("sides", {}).get(side) or {}).get("joint")
            distance = None
            if joint is not None:
                any_joint = True
                point = np.array([float(joint["column"]), float(joint["row"])]) * scale
                target = np.asarray(centre if centre is not None else line, dtype=float).reshape(-1, 2) * scale
                distance = polyline_distance(point, target)
            distances.setdefault(c.case_id, {})[side] = distance
    rows = [d for sides in distances.values() for d in sides.values()]
    found = np.asarray([d for d in rows if d is not None], dtype=float)
    out = {"within_mm": JOINT_WITHIN_MM, "n_cases": len(distances), "n_sides": len(rows),
           "to_centre": kinds["centre"], "to_line": kinds["line"], "located": int(found.size),
           "within_rate": _mean([d is not None and d <= JOINT_WITHIN_MM for d in rows]) if any_joint else None,
           "distance_mm_median": float(np.median(found)) if found.size else None,
           "distance_mm_p95": float(np.percentile(found, 95)) if found.size else None,
           "distance_mm_mean": float(found.mean()) if found.size else None,
           "skipped": {reason: len(ids) for reason, ids in skipped.items()}}
    return out, distances


def polyline_distance(point: np.ndarray, vertices: np.ndarray) -> float:
    """Distance from ``point`` to the polyline through ``vertices`` (N x 2; one vertex: that point)."""
    p, v = np.asarray(point, dtype=float), np.asarray(vertices, dtype=float).reshape(-1, 2)
    if len(v) == 1:
        return float(np.linalg.norm(p - v[0]))
    a, b = v[:-1], v[1:]
    ab = b - a
    length2 = (ab ** 2).sum(axis=1)
    t = np.where(length2 > 0, ((p - a) * ab).sum(axis=1) / np.where(length2 > 0, length2, 1.0), 0.0)
    nearest = a + np.clip(t, 0.0, 1.0)[:, None] * ab
    return float(np.linalg.norm(nearest - p, axis=1).min())


def _per_case(c: SijCase, distances: dict) -> dict:
    p = c.pred
    return {"photo": c.photo, "evaluated": p is not None,
            "definite": [bool(c.truth["definite"]), bool(p["definite"]) if p else None],
            "definite_probability": float(p["definite_probability"]) if p else None,
            "grades": {s: [c.truth["sides"][s]["grade"], p["sides"][s]["grade"] if p else None] for s in SIDES},
            "joint_mm": distances.get(c.case_id)}


def _mean(values: Sequence[Any]) -> Optional[float]:
    return float(np.mean(values)) if len(values) else None


def format_report(m: dict) -> str:
    """The metrics as the model cards print them."""
    d, g = m["definite"], m["grades"]
    lines = [f"cases {m['cases']}, evaluated {m['evaluated']}, without a prediction {len(m['missing'])} "
             f"(they count as failed)",
             f"definite sacroiliitis ({d['positives']} of {d['n']} cases): accuracy {_f(d['accuracy'])}, "
             f"AUC {_f(d['auc'])} (definite_probability, {d['auc_n']} cases)"
             + (f", AUC {_f(d['auc_direct'])} (definite_probability_direct, {d['auc_direct_n']} cases)"
                if d["auc_direct_n"] else "")]
    r = m.get("review") or {}
    if r.get("n"):
        lines.append(f"flagged for review by the model: {r['flagged']} of {r['n']} ({_f(r['rate'])}); median top grade "
                     f"probability of the others {_f(r['unflagged_top_probability_median'])}")
    points = m["operating_points"]
    if any(points.values()):
        lines.append("operating points (definite when P(definite) >= threshold; a missing case is a wrong call):")
        for name in OPERATING_POINTS:
            op = points.get(name)
            if op is None:
                lines.append(f"  {name:<10} not stored")
                continue
            threshold = _f(op["threshold"], ".4g") if op["consistent"] else \
                f"varies ({', '.join(_f(t, '.4g') for t in op['thresholds'][:5])})"
            lines.append(f"  {name:<10} threshold {threshold}: sensitivity {_f(op['sensitivity'])}, "
                         f"specificity {_f(op['specificity'])} ({op['n']} cases, {op['positives']} definite)")
    else:
        lines.append("operating points: not stored in the predictions")
    lines += [f"side grades ({g['n_sides']} sides, both sides pooled): accuracy {_f(g['accuracy'])}, within one "
              f"grade {_f(g['within_one'])} (missing counts wrong); on {g['n_graded']} sides graded: quadratic "
              f"weighted kappa {_f(g['quadratic_kappa'])}",
              "recall per grade: " + ", ".join(f"{k} {_f(v)}" for k, v in g["recall"].items())]
    if g["confusion_truth_rows"] is not None:
        lines.append("confusion (rows truth 0-4, columns model 0-4):")
        lines += ["  " + " ".join(f"{v:6d}" for v in row) for row in g["confusion_truth_rows"]]
    lines.append(_joint_line(m["joints"]))
    for key, label in (("dicom", "DICOM"), ("photo", "photographs")):
        s = m["by_input"][key]
        if s["definite"]["n"]:
            lines.append(f"{label} ({s['definite']['n']} cases): definite accuracy {_f(s['definite']['accuracy'])}, "
                         f"AUC {_f(s['definite']['auc'])}, grade accuracy {_f(s['grades']['accuracy'])}, "
                         f"quadratic weighted kappa {_f(s['grades']['quadratic_kappa'])}")
    lines += [f"missing: {x['case']} ({x['reason']})" for x in m["missing"]]
    lines += [f"warning: {w}" for w in m["warnings"]]
    return "\n".join(lines)


def _joint_line(j: dict) -> str:
    where = f"{j['n_sides']} sides of {j['n_cases']} cases ({j['to_centre']} to the joint centre, " \
            f"{j['to_line']} to the joint line)"
    skipped = "".join(f"; {n} cases skipped: {reason}" for reason, n in j["skipped"].items())
    if j["within_rate"] is None:
        return f"joints: the predictions give none ({where}){skipped}"
    return (f"joints within {j['within_mm']:g} mm {_f(j['within_rate'])} of {where}, located {j['located']}, "
            f"distance median {_f(j['distance_mm_median'], '.2f')} mm, 95th percentile "
            f"{_f(j['distance_mm_p95'], '.2f')} mm{skipped}")


def _f(x: Optional[float], fmt: str = ".3f") -> str:
    return number(x, fmt)
