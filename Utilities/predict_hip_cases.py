"""Segment and score every case of a phantom folder (``axspa phantom hip`` layout: CASE/dicom/) with one
loaded hip model, as ``axspa hip CASE/dicom --out PRED/CASE`` would one by one; the input of
``axspa evaluate hip --truth FOLDER --pred PRED``.

    python Utilities/predict_hip_cases.py FOLDER PRED [--model-dir BUNDLE]

A case that fails is listed in PRED/failures.csv and the others go on (axspa.jobs.run_batch).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    from axspa.hip.pipeline import load_models, score_case
    from axspa.jobs import run_batch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("pred", type=Path)
    p.add_argument("--model-dir", type=Path)
    args = p.parse_args(argv)
    model = load_models(args.model_dir)
    cases = sorted(str(d) for d in args.folder.iterdir() if (d / "dicom").is_dir())

    def work(case: str) -> str:
        doc = score_case(str(Path(case) / "dicom"), args.pred / Path(case).name, model=model, overwrite=True)
        return f"{Path(case).name}: " + ", ".join(f"{s} HIMRISS-style {doc['sides'][s]['himriss']['total']}"
                                                  for s in ("right", "left"))

    # One bad case fails alone (reason in PRED/failures.csv), as in every axspa batch.
    return run_batch(cases, args.pred, work, "hip cases")


if __name__ == "__main__":
    sys.exit(main())
