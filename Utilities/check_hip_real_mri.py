"""Run the hip model on real coronal pelvis series with reference bone labels and print, per patient,
whether both femoral heads are found on the right patient sides and the share of predicted head voxels
inside the reference femur (issue 10's real-anatomy check).

    python Utilities/check_hip_real_mri.py ../shared/data/pelvis-mri-t1 [--model-dir BUNDLE] [--json OUT]

Each patient folder holds dicom/ and bone-labels.nrrd (1 femur, 4 sacrum) on the series' grid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv=None) -> int:
    from axspa.bundles import load_predictor
    from axspa.hip.reference import check_heads, reference_femurs
    from axspa.io.nrrdfile import read_nrrd
    from axspa.io.volume import read_volume

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--model-dir", type=Path)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    model = load_predictor("hip-segmenter", args.model_dir)
    rows = {}
    for patient in sorted(d for d in args.data.iterdir() if (d / "bone-labels.nrrd").is_file()):
        volume = read_volume(str(patient / "dicom"))
        labels, _ = read_nrrd(patient / "bone-labels.nrrd")
        result = check_heads(model.predict(volume), reference_femurs(volume, labels))
        rows[patient.name] = result
        print(patient.name + "  " + "  ".join(
            f"{side}: found={r['found']} side_ok={r['side_correct']} inside_femur={r['inside_femur']} "
            f"({r['voxels']} vox)" for side, r in result.items()))
    sides = [r for res in rows.values() for r in res.values()]
    ok = all(r["found"] and r["side_correct"] and (r["inside_femur"] or 0) >= 0.9 for r in sides)
    both = sum(all(r["found"] for r in res.values()) for res in rows.values())
    sides_ok = sum(r["side_correct"] for r in sides)
    inside = sum((r["inside_femur"] or 0) >= 0.9 for r in sides)
    print(f"{len(rows)} patients: both heads found {both}/{len(rows)}, sides right {sides_ok}/{len(sides)}, "
          f"inside femur >= 0.9 on {inside}/{len(sides)} heads")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
