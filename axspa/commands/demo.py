"""``axspa demo --out DIR``: the main jobs on the bundled sample data (Resources/SampleData).

1. mSASSS of a reading done by hand (works with no model).
2. Hip scores of the sample STIR volume from its reference segmentation, checked against the
   phantom's ground truth.
3. The model-backed jobs (spine study, sacroiliac joints, hip segmentation) with the shipped
   models; where a model bundle is not installed the demo says which and where it looked, and goes on.
4. An HTML report of everything in DIR.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from axspa.bundles import shipped_models_dir
from axspa.cli import main as cli_main

SAMPLE_DATA = shipped_models_dir().parent / "SampleData"
MODEL_MISSING = 3  # exit code of a command whose model bundle is not installed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main jobs on the bundled sample data")
    p.add_argument("--out", type=Path, default=Path("out/demo"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    sample = SAMPLE_DATA
    hip_volume, hip_seg = sample / "AxSpA-HipSTIR.nrrd", sample / "AxSpA-HipSTIR.seg.nrrd"
    steps = [
        ("mSASSS of a reading done by hand", ["msasss", str(sample / "sample-reading.csv")], (0,)),
        ("hip scores from the reference segmentation",
         ["hip", str(hip_volume), "--seg", str(hip_seg), "--out", str(out / "hip-reference"), "--overwrite"], (0,)),
        ("mSASSS study (cervical + lumbar) with the shipped models",
         ["spine", str(sample / "AxSpA-CervicalSpine.dcm"), str(sample / "AxSpA-LumbarSpine.dcm"), "--study",
          "--out", str(out / "spine"), "--overwrite"], (0, MODEL_MISSING)),
        ("sacroiliitis with the shipped model",
         ["sij", str(sample / "AxSpA-Pelvis.dcm"), "--out", str(out / "sij"), "--overwrite"], (0, MODEL_MISSING)),
        ("hip segmentation with the shipped model",
         ["hip", str(hip_volume), "--out", str(out / "hip-model"), "--overwrite"], (0, MODEL_MISSING)),
    ]
    failed = [title for title, argv, ok in steps if _step(title, argv) not in ok]
    _spine_beside_truth(out / "spine", [sample / "AxSpA-CervicalSpine.truth.json",
                                        sample / "AxSpA-LumbarSpine.truth.json"])
    if not _hip_matches_truth(out / "hip-reference" / "hip.json", sample / "AxSpA-HipSTIR.truth.json"):
        failed.append("hip scores differ from the phantom's ground truth")
    if _step("HTML report", ["report", str(out), "--overwrite"]) != 0:
        failed.append("HTML report")
    print(f"\ndemo outputs in {out}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _step(title: str, argv: list[str]) -> int:
    print(f"\n== {title}\n$ axspa {' '.join(argv)}", flush=True)
    return cli_main(argv)


def _spine_beside_truth(result_dir: Path, truths: list[Path]) -> None:
    """Print the models' mSASSS beside the phantom's ground truth (when the spine step ran)."""
    from axspa.spine.evaluate import study_beside_truth

    if (result_dir / "study.json").is_file():
        print(study_beside_truth(result_dir, truths))


def _hip_matches_truth(result: Path, truth: Path) -> bool:
    """The scores computed from the shipped segmentation equal the generator's ground truth."""
    from axspa.hip.evaluate import matches_truth

    if not result.is_file():
        return False
    same = matches_truth(json.loads(result.read_text()), json.loads(truth.read_text()))
    print(f"hip scores {'match' if same else 'DIFFER FROM'} the phantom's ground truth")
    return same
