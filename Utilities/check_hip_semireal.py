"""Run the hip model on semireal STIR cases (real T1 pelvis anatomy mapped to STIR-like contrast with
femoral-head edema painted in; axspa.hip.semireal) and print, per case and side, the painted and
predicted femoral BME volume and their Dice, then a summary.

    python Utilities/check_hip_semireal.py ../shared/data/pelvis-mri-t1 [--model-dir BUNDLE] [--draws 3]
        [--seed 0] [--json OUT] [--save DIR]

The lesions are synthetic: the figures say how the model does on lesions painted into real bone shapes
and real acquisition geometry, not on real edema. --save DIR writes the first case's STIR-like volume
and its truth as NRRD for looking at (development data: never ship what it writes). Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

CLEAN_LIMIT_ML = 0.5  # a clean head counts as clean when less than this is predicted as femoral BME


def dice(a: np.ndarray, b: np.ndarray) -> Optional[float]:
    total = int(a.sum()) + int(b.sum())
    return round(2.0 * int((a & b).sum()) / total, 4) if total else None


def side_row(pred: Dict[str, np.ndarray], truth: np.ndarray, head: np.ndarray, side: str,
             voxel_ml: float) -> dict:
    """Painted and predicted femoral BME mL, overlap counts and Dice, and whether the predicted femoral
    head of this side touches the reference head region (found)."""
    from axspa.hip.segments import segment

    shape = truth.shape
    bme = np.asarray(pred.get(segment(side, "femoral_bme").name, np.zeros(shape, bool)), bool)
    pred_head = np.asarray(pred.get(segment(side, "femoral_head").name, np.zeros(shape, bool)), bool)
    return {"painted_ml": round(float(truth.sum()) * voxel_ml, 3),
            "predicted_ml": round(float(bme.sum()) * voxel_ml, 3),
            "dice": dice(bme, truth) if truth.any() else None,
            "intersection": int((bme & truth).sum()), "painted_vox": int(truth.sum()),
            "predicted_vox": int(bme.sum()), "head_found": bool((pred_head & head).any())}


def summary(rows: Dict[str, Dict[str, dict]]) -> dict:
    """Femoral BME Dice (mean over painted heads and pooled), the share of clean heads with under 0.5 mL
    predicted, Spearman of predicted vs painted mL (all heads, and painted heads only), heads found."""
    from scipy.stats import spearmanr

    sides: List[dict] = [r for case in rows.values() for r in case.values()]
    painted = [r for r in sides if r["painted_vox"]]
    clean = [r for r in sides if not r["painted_vox"]]
    pooled = sum(2 * r["intersection"] for r in painted) / max(
        1, sum(r["painted_vox"] + r["predicted_vox"] for r in painted))

    def rho(rs: List[dict]) -> Optional[float]:
        if len(rs) < 3:
            return None
        value = spearmanr([r["painted_ml"] for r in rs], [r["predicted_ml"] for r in rs]).correlation
        return None if value != value else round(float(value), 4)  # NaN when one side is constant

    clean_ml = [r["predicted_ml"] for r in clean]
    return {"heads": len(sides), "painted_heads": len(painted), "clean_heads": len(clean),
            "dice_mean": round(float(np.mean([r["dice"] for r in painted])), 4) if painted else None,
            "dice_pooled": round(pooled, 4) if painted else None,
            "clean_ok": sum(ml < CLEAN_LIMIT_ML for ml in clean_ml),
            "clean_ok_share": round(sum(ml < CLEAN_LIMIT_ML for ml in clean_ml) / len(clean), 4) if clean else None,
            "clean_predicted_ml_mean": round(float(np.mean(clean_ml)), 3) if clean else None,
            "spearman_all": rho(sides), "spearman_painted": rho(painted),
            "heads_found": sum(r["head_found"] for r in sides)}


def save_case(out: Path, case_id: str, volume, truth: Dict[str, np.ndarray]) -> None:
    from axspa.io.nrrdfile import write_nrrd

    out.mkdir(parents=True, exist_ok=True)
    write_nrrd(out / f"{case_id}.stir-like.nrrd", volume.array, volume.ijk_to_ras)
    for side, mask in truth.items():
        write_nrrd(out / f"{case_id}.{side}-femoral-bme.nrrd", mask, volume.ijk_to_ras)


def main(argv=None) -> int:
    from axspa.bundles import load_predictor
    from axspa.hip.semireal import semireal_cases

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--model-dir", type=Path)
    p.add_argument("--draws", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path)
    p.add_argument("--save", type=Path, help="write the first case with painted edema as NRRD here")
    args = p.parse_args(argv)
    model = load_predictor("hip-segmenter", args.model_dir)
    rows: Dict[str, Dict[str, dict]] = {}
    saved = args.save is None
    for case_id, volume, truth in semireal_cases(args.data, draws=args.draws, seed=args.seed):
        pred = model.predict(volume)
        heads = volume.meta["heads"]
        rows[case_id] = {side: side_row(pred, truth[side], heads[side]["region"], side, volume.voxel_volume_ml)
                         for side in truth}
        for side, r in rows[case_id].items():
            r["radius_mm"] = heads[side]["radius_mm"]
        print(case_id + "  " + "  ".join(
            f"{side}: painted {r['painted_ml']:.2f} mL, predicted {r['predicted_ml']:.2f} mL, "
            f"Dice {'-' if r['dice'] is None else format(r['dice'], '.2f')}"
            f"{'' if r['head_found'] else ' (head not found)'}" for side, r in rows[case_id].items()), flush=True)
        if not saved and any(m.any() for m in truth.values()):
            save_case(args.save, case_id, volume, truth)
            saved = True
    s = summary(rows)
    print(f"{len(rows)} cases, {s['heads']} heads ({s['painted_heads']} painted, {s['clean_heads']} clean): "
          f"femoral BME Dice mean {s['dice_mean']}, pooled {s['dice_pooled']}; clean heads with < "
          f"{CLEAN_LIMIT_ML} mL predicted {s['clean_ok']}/{s['clean_heads']} (mean {s['clean_predicted_ml_mean']} mL); "
          f"Spearman predicted vs painted mL {s['spearman_all']} (painted heads only {s['spearman_painted']}); "
          f"heads found {s['heads_found']}/{s['heads']}")
    if args.json:
        doc = {"data": str(args.data), "model_dir": str(args.model_dir) if args.model_dir else None,
               "draws": args.draws, "seed": args.seed, "summary": s, "cases": rows}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
