"""Hip results against a reference.

- ``matches_truth``: scores computed from a segmentation checked against the phantom's ground truth
  (``truth.json``), as ``axspa demo`` does with the sample data.
- ``evaluate_hip`` (``axspa evaluate hip --truth DIR --pred DIR``): the held-out metrics model cards quote.
  Truth is a phantom folder (``DIR/<case>/truth.json`` + ``truth.seg.nrrd``, ``axspa phantom hip``); PRED
  holds one folder per case as ``axspa hip TRUTH/<case>/dicom --out PRED/<case>`` writes it (``hip.json`` or
  ``<stem>.hip.json`` and ``<stem>.seg.nrrd``). Per segment, per region of both sides and for all lesions
  pooled (every BME and effusion-synovitis segment): Dice (mean over cases where truth or prediction holds
  voxels, and pooled over voxels), HD95 in mm (cases where either side is empty are skipped and counted),
  volume error in mL (prediction - truth). Per hip: UNet-score (gray value) Spearman, ICC(2,1) and MAE,
  HIMRISS-style exact agreement (total and per region), the total within 2 and its ICC(2,1) and MAE
  (``himriss_total``), clean sides (no BME in truth) given under CLEAN_SIDE_ML of predicted BME
  (``clean_sides``), femoral heads found and on the right patient side.
  A case without a prediction is listed and counts as failed: an empty segmentation, no head found, no
  exact agreement (the UNet-score statistics use the hips of evaluated cases only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np

from axspa.hip.segments import HIP_SEGMENTS, match_hip_segments
from axspa.image import InputError
from axspa.texts import number

# Gray-value UNet-scores are sums of float ratios: equal within this.
UNET_TOLERANCE = 1e-6
SIDES = ("right", "left")
HIMRISS_KEYS = ("femoral_bme", "acetabular_bme", "effusion", "total")
_REGION_LABELS = {"femoral_head": "femoral head", "acetabulum": "acetabulum", "femoral_bme": "femoral BME",
                  "acetabular_bme": "acetabular BME", "effusion": "effusion-synovitis"}
_LESIONS = ("femoral_bme", "acetabular_bme", "effusion")
_BME = ("femoral_bme", "acetabular_bme")
CLEAN_SIDE_ML = 0.5  # predicted BME (femoral + acetabular) below which a side without edema counts as clean
WITHIN = 2  # HIMRISS-style totals this close count as agreeing (a sum of up to 45 slice decisions)


def matches_truth(result: Mapping[str, Any], truth: Mapping[str, Any]) -> bool:
    """True when both sides' HIMRISS-style sums equal the truth's and the gray-value UNet-scores agree."""
    ours, true = result["sides"], truth["sides"]
    return all(ours[s]["himriss"] == true[s]["himriss"] and
               abs(ours[s]["unet_score"]["gray_value"] - true[s]["unet_score"]["gray_value"]) < UNET_TOLERANCE
               for s in ("right", "left"))


def segment_groups() -> list[tuple[str, tuple[str, ...]]]:
    """(label, segment names) evaluated: each segment, each region of both sides, all lesions pooled."""
    groups = [(s.name, (s.name,)) for s in HIP_SEGMENTS]
    for region, label in _REGION_LABELS.items():
        groups.append((f"{label} (both sides)", tuple(s.name for s in HIP_SEGMENTS if s.region == region)))
    groups.append(("all lesions", tuple(s.name for s in HIP_SEGMENTS if s.region in _LESIONS)))
    return groups


@dataclass
class HipCase:
    """One truth case and its prediction (``pred`` None and no masks when the prediction is missing)."""

    case_id: str
    truth: dict
    truth_masks: dict
    ijk_to_ras: np.ndarray
    pred: Optional[dict] = None
    pred_masks: dict = field(default_factory=dict)


def load_cases(truth_dir: Path, pred_dir: Path) -> tuple[list[HipCase], list[dict]]:
    """Every truth case with its prediction placed on the truth's grid, and the missing predictions as
    ``{"case", "reason"}``."""
    from axspa.io.segfile import read_seg_nrrd

    folders = sorted(p for p in Path(truth_dir).iterdir() if (p / "truth.json").is_file())
    if not folders:
        raise FileNotFoundError(f"{truth_dir}: no hip phantom cases (<case>/truth.json, axspa phantom hip)")
    cases, missing = [], []
    for folder in folders:
        truth_masks, ijk_to_ras = read_seg_nrrd(folder / "truth.seg.nrrd")
        case = HipCase(folder.name, json.loads((folder / "truth.json").read_text()),
                       match_hip_segments(truth_masks)[0], ijk_to_ras)
        try:
            case.pred, case.pred_masks = _read_prediction(Path(pred_dir) / folder.name, case)
        except (FileNotFoundError, InputError) as e:
            missing.append({"case": folder.name, "reason": str(e)})
        cases.append(case)
    return cases, missing


def _read_prediction(folder: Path, case: HipCase) -> tuple[dict, dict]:
    from axspa.hip.pipeline import masks_on_grid
    from axspa.image import Volume
    from axspa.io.segfile import read_seg_nrrd

    doc_path = _pred_document(folder)
    doc = json.loads(doc_path.read_text())
    if doc.get("segmentation") != "model":
        # A model's figures must come from its own output, never from a segmentation it was handed.
        raise InputError(f"{doc_path}: scored from the segmentation {doc.get('segmentation', '(not named)')}, "
                         f"not from the model's; run axspa hip without --seg")
    seg = _pred_segmentation(folder, doc_path, doc)
    masks, seg_ijk_to_ras = read_seg_nrrd(seg)
    grid = Volume(np.broadcast_to(np.float32(0), _shape(case)), case.ijk_to_ras)
    return doc, masks_on_grid(match_hip_segments(masks)[0], seg_ijk_to_ras, grid, str(seg))


def _shape(case: HipCase) -> tuple[int, ...]:
    return next(iter(case.truth_masks.values())).shape


def _pred_document(folder: Path) -> Path:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no prediction folder")
    if (folder / "hip.json").is_file():
        return folder / "hip.json"
    docs = sorted(folder.glob("*.hip.json"))
    if len(docs) != 1:
        raise FileNotFoundError(f"{folder}: {'no' if not docs else len(docs)} hip results (hip.json or "
                                f"<stem>.hip.json)")
    return docs[0]


def _pred_segmentation(folder: Path, doc_path: Path, doc: dict) -> Path:
    """The case's ``<stem>.seg.nrrd``: the only one there, the one named like its document or its input, or
    the segmentation the result was scored from (``axspa hip --seg``)."""
    segs = sorted(folder.glob("*.seg.nrrd"))
    if len(segs) == 1:
        return segs[0]
    stems = [doc_path.name[:-len(".hip.json")], Path(str(doc.get("input", {}).get("path", ""))).name.split(".")[0]]
    for stem in stems:
        if stem and (folder / f"{stem}.seg.nrrd").is_file():
            return folder / f"{stem}.seg.nrrd"
    source = Path(str(doc.get("segmentation", "")))
    if not segs and source.name.endswith(".seg.nrrd") and source.is_file():
        return source
    raise FileNotFoundError(f"{folder}: {'no' if not segs else 'no single'} <stem>.seg.nrrd beside {doc_path.name}")


def evaluate_hip(truth_dir: Path, pred_dir: Path) -> dict:
    """The metrics of the module docstring, JSON-ready."""
    cases, missing = load_cases(truth_dir, pred_dir)
    per_case = {c.case_id: {label: _overlap(c, names) for label, names in segment_groups()} for c in cases}
    segments = {label: _summarize([per_case[c.case_id][label] for c in cases]) for label, _ in segment_groups()}
    return {"cases": len(cases), "evaluated": len(cases) - len(missing), "missing": missing,
            "segments": segments, "unet_score": _unet_agreement(cases), "himriss_exact": _himriss_exact(cases),
            "himriss_total": _himriss_total(cases), "clean_sides": _clean_sides(cases),
            "femoral_head": _head_detection(cases), "warnings": _settings_warnings(cases),
            "per_case": {cid: {label: {"dice": row["dice"], "hd95_mm": row["hd95_mm"]} for label, row in rows.items()}
                         for cid, rows in per_case.items()}}


def _union(masks: Mapping[str, np.ndarray], names: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
    found = [np.asarray(masks[n], dtype=bool) for n in names if n in masks]
    return np.logical_or.reduce(found) if found else np.zeros(shape, dtype=bool)


def _overlap(case: HipCase, names: tuple[str, ...]) -> dict:
    shape = _shape(case)
    truth, pred = _union(case.truth_masks, names, shape), _union(case.pred_masks, names, shape)
    nt, npred = int(truth.sum()), int(pred.sum())
    both = int(np.logical_and(truth, pred).sum())
    ml = abs(float(np.linalg.det(case.ijk_to_ras[:3, :3]))) / 1000.0
    return {"truth_voxels": nt, "pred_voxels": npred, "both": both,
            "dice": 2.0 * both / (nt + npred) if nt + npred else None,
            "hd95_mm": cropped_hd95(truth, pred, case.ijk_to_ras),
            "volume_error_ml": (npred - nt) * ml}


def cropped_hd95(a: np.ndarray, b: np.ndarray, ijk_to_ras: np.ndarray) -> Optional[float]:
    """axspa.evaluation.overlap.hd95 on the bounding box of both masks with a voxel of margin (the same
    value: every surface voxel lies inside it), so a full-size volume does not cost a full distance map."""
    from axspa.evaluation.overlap import hd95

    if not a.any() or not b.any():
        return None
    either = a | b
    box = []
    for axis in range(3):
        idx = np.flatnonzero(either.any(axis=tuple(x for x in range(3) if x != axis)))
        box.append(slice(max(int(idx[0]) - 1, 0), int(idx[-1]) + 2))
    return hd95(a[tuple(box)], b[tuple(box)], ijk_to_ras)


def _summarize(rows: list[dict]) -> dict:
    dice = [r["dice"] for r in rows if r["dice"] is not None]
    hd = [r["hd95_mm"] for r in rows if r["hd95_mm"] is not None]
    skipped = sum(1 for r in rows if r["hd95_mm"] is None and r["truth_voxels"] + r["pred_voxels"] > 0)
    total = sum(r["truth_voxels"] + r["pred_voxels"] for r in rows)
    errors = np.asarray([r["volume_error_ml"] for r in rows], dtype=float)
    return {"dice_mean": _mean(dice), "dice_n": len(dice),
            "dice_pooled": 2.0 * sum(r["both"] for r in rows) / total if total else None,
            "hd95_mm_mean": _mean(hd), "hd95_mm_median": float(np.median(hd)) if hd else None,
            "hd95_n": len(hd), "hd95_skipped": skipped,
            "volume_error_ml_mean": _mean(errors), "volume_error_ml_mean_abs": _mean(np.abs(errors))}


def _mean(values: Any) -> Optional[float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()) if values.size else None


def _unet_agreement(cases: list[HipCase]) -> dict:
    """Spearman, ICC(2,1) and MAE of the gray-value UNet-score over the hips of evaluated cases."""
    from scipy.stats import spearmanr

    from axspa.evaluation.stats import icc

    pairs = [(c.truth["sides"][s]["unet_score"]["gray_value"], c.pred["sides"][s]["unet_score"]["gray_value"])
             for c in cases if c.pred is not None for s in SIDES]
    out: dict = {"n_hips": len(pairs), "spearman": None, "icc21": None, "mae": None}
    if not pairs:
        return out
    truth, pred = (np.asarray(v, dtype=float) for v in zip(*pairs))
    out["mae"] = float(np.abs(pred - truth).mean())
    if len(pairs) >= 3 and np.ptp(truth) > 0 and np.ptp(pred) > 0:
        out["spearman"] = float(spearmanr(truth, pred)[0])
    if len(pairs) >= 2:
        with np.errstate(invalid="ignore"):  # equal columns: a rounding-negative error variance in its SEM
            value = icc(np.stack([truth, pred], axis=1)).icc_2_1
        out["icc21"] = float(value) if np.isfinite(value) else None
    return out


def _himriss_exact(cases: list[HipCase]) -> dict:
    """Fraction of all truth hips whose HIMRISS-style sum the prediction equals (a missing case: not equal)."""
    hips = [(c.truth["sides"][s]["himriss"], c.pred["sides"][s]["himriss"] if c.pred else None)
            for c in cases for s in SIDES]
    out: dict = {"n_hips": len(hips)}
    for key in HIMRISS_KEYS:
        out[key] = float(np.mean([p is not None and p[key] == t[key] for t, p in hips])) if hips else None
    return out


def _himriss_total(cases: list[HipCase]) -> dict:
    """The HIMRISS-style total per hip: share within WITHIN of truth (a missing case: not within), ICC(2,1)
    and mean absolute difference over the hips of evaluated cases."""
    from axspa.evaluation.stats import icc

    hips = [(c.truth["sides"][s]["himriss"]["total"], c.pred["sides"][s]["himriss"]["total"] if c.pred else None)
            for c in cases for s in SIDES]
    pairs = np.asarray([(t, p) for t, p in hips if p is not None], dtype=float).reshape(-1, 2)
    out: dict = {"n_hips": len(hips), "within": WITHIN, "within_rate": None, "icc21": None, "mae": None}
    if not hips:
        return out
    out["within_rate"] = float(np.mean([p is not None and abs(p - t) <= WITHIN for t, p in hips]))
    if len(pairs):
        out["mae"] = float(np.abs(pairs[:, 1] - pairs[:, 0]).mean())
    if len(pairs) >= 2 and np.ptp(pairs) > 0:
        with np.errstate(invalid="ignore"):
            value = icc(pairs).icc_2_1
        out["icc21"] = float(value) if np.isfinite(value) else None
    return out


def _clean_sides(cases: list[HipCase]) -> dict:
    """Sides whose truth holds no femoral or acetabular BME: how many the prediction leaves clean (under
    CLEAN_SIDE_ML of predicted BME), and the predicted volumes there (a missing case: not evaluated)."""
    ml_of = {}
    for c in cases:
        if c.pred is None:
            continue
        ml = abs(float(np.linalg.det(c.ijk_to_ras[:3, :3]))) / 1000.0
        shape = _shape(c)
        for side in SIDES:
            names = tuple(s.name for s in HIP_SEGMENTS if s.side == side and s.region in _BME)
            if not _union(c.truth_masks, names, shape).any():
                ml_of[f"{c.case_id} {side}"] = float(_union(c.pred_masks, names, shape).sum()) * ml
    volumes = np.asarray(list(ml_of.values()), dtype=float)
    return {"n_sides": len(volumes), "threshold_ml": CLEAN_SIDE_ML,
            "clean_rate": float(np.mean(volumes < CLEAN_SIDE_ML)) if len(volumes) else None,
            "predicted_ml_mean": _mean(volumes), "predicted_ml_max": float(volumes.max()) if len(volumes) else None,
            "not_clean": sorted(k for k, v in ml_of.items() if v >= CLEAN_SIDE_ML)}


def _head_detection(cases: list[HipCase]) -> dict:
    """Femoral heads found (truth hips with a head whose prediction has one) and, of those found, on the
    right patient side (the predicted head's centre nearer the truth head of its side than of the other)."""
    found, right_side, truth_heads, swapped = 0, 0, 0, []
    for c in cases:
        centres = {s: _centre(c.truth_masks, s, c.ijk_to_ras) for s in SIDES}
        for side in SIDES:
            if centres[side] is None:
                continue
            truth_heads += 1
            pred = _centre(c.pred_masks, side, c.ijk_to_ras)
            if pred is None:
                continue
            found += 1
            other = centres["left" if side == "right" else "right"]
            if other is None or np.linalg.norm(pred - centres[side]) < np.linalg.norm(pred - other):
                right_side += 1
            else:
                swapped.append(f"{c.case_id} {side}")
    return {"truth_heads": truth_heads, "found": found, "found_rate": found / truth_heads if truth_heads else None,
            "side_correct": right_side, "side_correct_rate": right_side / found if found else None,
            "wrong_side": swapped}


def _centre(masks: Mapping[str, np.ndarray], side: str, ijk_to_ras: np.ndarray) -> Optional[np.ndarray]:
    """RAS centre (mm) of a side's femoral head with its BME; None when there are no such voxels."""
    names = [s.name for s in HIP_SEGMENTS if s.side == side and s.region in ("femoral_head", "femoral_bme")]
    present = [np.asarray(masks[n], dtype=bool) for n in names if n in masks]
    if not present:
        return None
    head = np.logical_or.reduce(present)
    if not head.any():
        return None
    kji = np.argwhere(head).mean(axis=0)
    return (ijk_to_ras @ np.array([kji[2], kji[1], kji[0], 1.0]))[:3]


def _settings_warnings(cases: list[HipCase]) -> list[str]:
    """Cases scored with other settings than their truth (the scores then differ by design)."""
    out = []
    for c in cases:
        if c.pred is None:
            continue
        ours, truth = c.pred.get("settings", {}), c.truth.get("settings", {})
        if ours and truth and ours != truth:
            out.append(f"{c.case_id}: scored with {ours}, truth with {truth}")
    return out


def format_report(m: dict) -> str:
    """The metrics as the model cards print them."""
    lines = [f"cases {m['cases']}, evaluated {m['evaluated']}, missing {len(m['missing'])}",
             f"{'segment':<34}{'Dice mean (n)':>15}{'pooled':>9}{'HD95 mm mean (n, skipped)':>28}"
             f"{'volume error mL mean / abs':>28}"]
    lines += [_segment_row(label, row) for label, row in m["segments"].items()]
    u, h, d = m["unet_score"], m["himriss_exact"], m["femoral_head"]
    t, c = m["himriss_total"], m["clean_sides"]
    lines += [f"UNet-score (gray value): Spearman {_f(u['spearman'])}, ICC(2,1) {_f(u['icc21'])}, "
              f"MAE {_f(u['mae'])} ({u['n_hips']} hips)",
              f"HIMRISS-style exact agreement ({h['n_hips']} hips): total {_f(h['total'])}, femoral BME "
              f"{_f(h['femoral_bme'])}, acetabular BME {_f(h['acetabular_bme'])}, effusion {_f(h['effusion'])}",
              f"HIMRISS-style total within {t['within']} on {_f(t['within_rate'])} of {t['n_hips']} hips, "
              f"ICC(2,1) {_f(t['icc21'])}, MAE {_f(t['mae'], '.2f')}",
              f"sides without BME left clean (< {c['threshold_ml']:g} mL predicted BME): {_f(c['clean_rate'])} of "
              f"{c['n_sides']} (mean {_f(c['predicted_ml_mean'], '.2f')} mL, "
              f"max {_f(c['predicted_ml_max'], '.2f')} mL)",
              f"femoral heads found {d['found']} of {d['truth_heads']} ({_f(d['found_rate'])}), on the right "
              f"patient side {d['side_correct']} of {d['found']} ({_f(d['side_correct_rate'])})"
              + (f"; wrong side: {', '.join(d['wrong_side'])}" if d["wrong_side"] else "")]
    lines += [f"missing: {x['case']} ({x['reason']})" for x in m["missing"]]
    lines += [f"warning: {w}" for w in m["warnings"]]
    return "\n".join(lines)


def _segment_row(label: str, s: dict) -> str:
    dice = f"{_f(s['dice_mean'])} ({s['dice_n']})"
    hd95 = f"{_f(s['hd95_mm_mean'], '.2f')} ({s['hd95_n']}, {s['hd95_skipped']})"
    volume = f"{_f(s['volume_error_ml_mean'], '+.2f')} / {_f(s['volume_error_ml_mean_abs'], '.2f')}"
    return f"{label:<34}{dice:>15}{_f(s['dice_pooled']):>9}{hd95:>28}{volume:>28}"


def _f(x: Optional[float], fmt: str = ".3f") -> str:
    return number(x, fmt)
