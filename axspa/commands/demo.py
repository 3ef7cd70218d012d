"""``axspa demo --out DIR``: the main jobs on the bundled sample data, end to end.

1. mSASSS of the sample reading (a reading done by hand: works with no model).
2. A synthetic hip STIR case scored from its reference segmentation.
3. The model-backed jobs (spine, sacroiliac joints, hip segmentation) on synthetic cases; where a
   model bundle is not installed the demo says which and where it was looked for, and goes on.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from axspa.cli import main as cli_main
from axspa.models import shipped_models_dir

SAMPLE_DATA = shipped_models_dir().parent / "SampleData"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main jobs on the bundled sample data")
    p.add_argument("--out", type=Path, default=Path("out/demo"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    steps = [
        ("mSASSS of a reading done by hand", ["msasss", str(SAMPLE_DATA / "sample-reading.csv")]),
        ("synthetic spine radiographs", _phantom("spine", 2, out / "spine-cases")),
        ("synthetic pelvic radiograph", _phantom("pelvis", 1, out / "pelvis-cases")),
        ("synthetic hip STIR MRI", _phantom("hip", 1, out / "hip-cases")),
    ]
    failed = [title for title, argv in steps if _step(title, argv) not in (0,)]
    case = _first_hip_case(out / "hip-cases")
    if case:
        failed += [t for t, argv in [("hip scores from the reference segmentation",
                                      ["hip", str(case / "dicom"), "--seg", str(case / "truth.seg.nrrd"),
                                       "--out", str(out / "hip-scores"), "--overwrite"])] if _step(t, argv) != 0]
    # Model-backed jobs: exit 3 means a model bundle is not installed, which the demo reports and passes.
    spine_images = sorted(str(p) for p in (out / "spine-cases").glob("*.dcm"))
    pelvis_images = sorted(str(p) for p in (out / "pelvis-cases").glob("*.dcm"))
    model_steps = [("mSASSS with the shipped models", ["spine", *spine_images, "--out", str(out / "spine")]),
                   ("sacroiliitis with the shipped model", ["sij", *pelvis_images, "--out", str(out / "sij")])]
    if case:
        model_steps.append(("hip segmentation with the shipped model",
                            ["hip", str(case / "dicom"), "--out", str(out / "hip-model")]))
    failed += [t for t, argv in model_steps if _step(t, argv) not in (0, 3)]
    print(f"\ndemo outputs in {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _phantom(kind: str, n: int, out: Path) -> list[str]:
    return ["phantom", kind, "--n", str(n), "--seed", "7", "--out", str(out)]


def _step(title: str, argv: list[str]) -> int:
    print(f"\n== {title}\n$ axspa {' '.join(argv)}")
    return cli_main(argv)


def _first_hip_case(folder: Path) -> Path | None:
    cases = sorted(p.parent for p in folder.glob("*/truth.json"))
    if cases:
        json.loads((cases[0] / "truth.json").read_text())  # fail loudly on a broken truth file
    return cases[0] if cases else None
