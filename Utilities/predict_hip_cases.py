"""Segment and score every case of a phantom folder (``axspa phantom hip`` layout: CASE/dicom/) with one
loaded hip model, as ``axspa hip CASE/dicom --out PRED/CASE`` would one by one; the input of
``axspa evaluate hip --truth FOLDER --pred PRED``.

    python Utilities/predict_hip_cases.py FOLDER PRED [--model-dir BUNDLE]

A case that fails is reported and the others go on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    from tqdm import tqdm

    from axspa.hip.pipeline import load_models, score_case

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder", type=Path)
    p.add_argument("pred", type=Path)
    p.add_argument("--model-dir", type=Path)
    args = p.parse_args(argv)
    model = load_models(args.model_dir)
    cases = sorted(d for d in args.folder.iterdir() if (d / "dicom").is_dir())
    failed = 0
    for case in tqdm(cases, desc="hip cases", unit="case"):
        try:
            score_case(str(case / "dicom"), args.pred / case.name, model=model, overwrite=True)
        except Exception as exc:  # one bad case must not stop the set
            failed += 1
            tqdm.write(f"{case.name}: failed: {exc}")
    print(f"{len(cases) - failed} of {len(cases)} cases scored into {args.pred}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
