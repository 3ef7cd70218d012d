"""``axspa demo --out DIR``: the main jobs on the bundled sample data (Resources/SampleData).

1. mSASSS of a reading done by hand (works with no model).
2. Hip scores of the sample STIR volume from its reference segmentation, checked against the
   phantom's ground truth.
3. The model-backed jobs (spine study, sacroiliac joints, hip segmentation) with the installed models, each
   checked against the phantom's truth or the reference segmentation; where a model bundle is not
   installed the step says which and where it looked, is marked skipped, and the demo goes on.
4. ``DIR/run.json`` (what ran, what was skipped and why) and the HTML report of everything in DIR.

Each step's messages are printed under its heading; the last line says what ran and what was skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from axspa.cli import main as cli_main

# Resources/SampleData beside the package (in the repository and inside the Slicer extension), found from this
# file rather than from the models folder, which tests point elsewhere to hide the shipped bundles.
SAMPLE_DATA = Path(__file__).resolve().parents[2] / "Resources" / "SampleData"
MODEL_MISSING = 3  # exit code of a command whose model bundle is not installed


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main jobs on the bundled sample data",
                       description="Score the bundled sample data (a reading done by hand, the hip STIR volume "
                                   "from its reference segmentation, and the model-backed spine, sacroiliac and "
                                   "hip jobs with the installed models), write DIR/run.json and the HTML report "
                                   "DIR/report.html. A job whose model is not installed is skipped, saying which.")
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    p.set_defaults(func=run)


@dataclass
class Step:
    job: str
    short: str  # what the demo's last line calls it
    argv: list[str]
    inputs: list[Path]
    output: Optional[str] = None  # the step's folder under DIR
    check: Optional[Callable[[Path], list[str]]] = None  # lines comparing the result with the truth; [] ok
    result: Optional[Callable[[], dict]] = None  # what run.json keeps of the result
    record: dict = field(default_factory=dict)


def steps_for(out: Path, sample: Path = SAMPLE_DATA) -> list[Step]:
    hip_volume, hip_seg = sample / "AxSpA-HipSTIR.nrrd", sample / "AxSpA-HipSTIR.seg.nrrd"
    reading = sample / "sample-reading.csv"
    films = [sample / "AxSpA-CervicalSpine.dcm", sample / "AxSpA-LumbarSpine.dcm"]
    truths = [sample / "AxSpA-CervicalSpine.truth.json", sample / "AxSpA-LumbarSpine.truth.json"]
    return [
        Step("mSASSS of a reading done by hand", "hand reading", ["msasss", str(reading)], [reading],
             result=lambda: _reading_result(reading)),
        Step("hip scores from the reference segmentation", "hip reference scores",
             ["hip", str(hip_volume), "--seg", str(hip_seg), "--out", str(out / "hip-reference"), "--overwrite"],
             [hip_volume, hip_seg], "hip-reference",
             check=lambda folder: _hip_against_truth(folder / "hip.json", sample / "AxSpA-HipSTIR.truth.json")),
        Step("mSASSS study (cervical + lumbar) with the installed spine models", "spine study",
             ["spine", *map(str, films), "--study", "--out", str(out / "spine"), "--overwrite"], films, "spine",
             check=lambda folder: _spine_beside_truth(folder, truths)),
        Step("sacroiliitis with the installed model", "sacroiliitis",
             ["sij", str(sample / "AxSpA-Pelvis.dcm"), "--out", str(out / "sij"), "--overwrite"],
             [sample / "AxSpA-Pelvis.dcm"], "sij",
             check=lambda folder: _sij_beside_truth(folder / "AxSpA-Pelvis.sij.json",
                                                    sample / "AxSpA-Pelvis.truth.json")),
        Step("hip segmentation with the installed model", "hip segmentation",
             ["hip", str(hip_volume), "--out", str(out / "hip-model"), "--overwrite"], [hip_volume], "hip-model",
             check=lambda folder: _hip_model_beside_reference(folder, out / "hip-reference", hip_seg)),
    ]


def run(args: argparse.Namespace) -> int:
    from axspa import __version__
    from axspa.results import validate, write_text_output

    out: Path = args.out
    steps = steps_for(out)
    n = len(steps) + 1
    for i, step in enumerate(steps, start=1):
        _run_step(i, n, step, out)
    record = {"schema": "axspa.run/1", "command": f"axspa demo --out {_shown(out)}", "axspa_version": __version__,
              "steps": [s.record for s in steps]}
    validate(record, "run")
    write_text_output(out / "run.json", json.dumps(record, indent=1) + "\n", overwrite=True)  # this run's own
    print(f"\n== {n}/{n} HTML report\n$ axspa report {_shown(out)} --overwrite", flush=True)
    report_ok = cli_main(["report", str(out), "--overwrite"]) == 0
    ran = [s.short for s in steps if s.record["status"] == "scored"] + (["report"] if report_ok else [])
    skipped = [f"{s.short} ({_short(s.record['reason'])})" for s in steps if s.record["status"] == "skipped"]
    failed = [f"{s.short} ({_short(s.record['reason'])})" for s in steps if s.record["status"] == "failed"]
    failed += [] if report_ok else ["report"]
    print(f"\ndemo: ran {len(ran)} of {n} steps: {', '.join(ran)}; "
          + (f"skipped {len(skipped)}: {', '.join(skipped)}; " if skipped else "skipped none; ")
          + (f"FAILED {len(failed)}: {', '.join(failed)}; " if failed else "")
          + f"outputs in {_shown(out)} (open {_shown(out / 'report.html')})")
    return 1 if failed else 0


def _run_step(i: int, n: int, step: Step, out: Path) -> None:
    """Run one step under its heading; fill step.record (run.json) with its status and why."""
    print(f"\n== {i}/{n} {step.job}\n$ axspa {' '.join(_shown(a) for a in step.argv)}", flush=True)
    stdout, stderr = _Tee(sys.stdout), _Tee(sys.stderr)
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli_main(step.argv)
    last_error = next((line for line in reversed(stderr.lines()) if line.strip()), "")
    reason = last_error.split(": ", 1)[1] if last_error.startswith("axspa ") and ": " in last_error else last_error
    status = "scored" if code == 0 else "skipped" if code == MODEL_MISSING else "failed"
    lines = stdout.lines()
    if status == "scored" and step.check:
        problems: list[str] = []
        for line in step.check(out / step.output):
            print(line)
            lines.append(line)
            if line.startswith("DIFFER"):
                problems.append(line)
        if problems:
            status, reason = "failed", "; ".join(problems)
    if status == "skipped":
        print(f"skipped: {_short(reason)}")
    elif status == "failed" and code != 0:
        reason = reason or f"exit code {code}"
    step.record = {"job": step.job, "command": "axspa " + " ".join(_shown(a) for a in step.argv),
                   "inputs": [str(p) for p in step.inputs], "output": step.output, "status": status,
                   "reason": None if status == "scored" else reason, "exit_code": code, "lines": lines}
    if status == "scored" and step.result:
        step.record["result"] = step.result()


class _Tee(io.StringIO):
    """Writes go to the stream (so the user sees them as they come) and are kept for run.json."""

    def __init__(self, stream) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text)
        return super().write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.getvalue().splitlines() if line.strip()]


def _shown(value) -> str:
    """A path as the demo prints it: relative to the current folder when it is under it."""
    text = str(value)
    if os.path.isabs(text):
        try:
            rel = os.path.relpath(text)
        except ValueError:  # another drive (Windows)
            return text
        return text if rel.startswith("..") else rel
    return text


def _short(reason: Optional[str]) -> str:
    """A reason without the list of places looked in: "model bundle 'sij-grader' is not installed"."""
    return (reason or "").split("; looked for", 1)[0]


def _reading_result(table: Path) -> dict:
    from axspa.spine.readings import read_reading_table
    from axspa.spine.rules import total_score

    return {"kind": "msasss", **total_score(read_reading_table(table)).to_dict()}


def _spine_beside_truth(result_dir: Path, truths: list[Path]) -> list[str]:
    """The models' mSASSS beside the phantom's ground truth."""
    from axspa.spine.evaluate import study_beside_truth

    if not (result_dir / "study.json").is_file():
        return []
    return study_beside_truth(result_dir, truths).splitlines()


def _sij_beside_truth(result: Path, truth: Path) -> list[str]:
    """The model's grades and definite verdict beside the phantom's ground truth."""
    if not result.is_file():
        return []
    ours, true = json.loads(result.read_text()), json.loads(truth.read_text())
    sides = ", ".join(f"{s} {ours['sides'][s]['grade']} (truth {true['sides'][s]['grade']})" for s in ("right", "left"))
    verdict = "yes" if ours["definite"] else "no"
    return [f"modified New York grades: {sides}; definite {verdict} (truth {'yes' if true['definite'] else 'no'})"]


def _hip_against_truth(result: Path, truth: Path) -> list[str]:
    """The scores computed from the shipped segmentation equal the generator's ground truth."""
    from axspa.hip.evaluate import matches_truth

    if not result.is_file():
        return [f"DIFFER: {result} was not written"]
    same = matches_truth(json.loads(result.read_text()), json.loads(truth.read_text()))
    return ["hip scores match the phantom's ground truth" if same else
            "DIFFER: hip scores differ from the phantom's ground truth"]


def _hip_model_beside_reference(model_dir: Path, reference_dir: Path, reference_seg: Path) -> list[str]:
    """The model's scores beside those of the reference segmentation, per side, and the femoral-head Dice."""
    from axspa.texts import number

    model_json, reference_json = model_dir / "hip.json", reference_dir / "hip.json"
    if not model_json.is_file() or not reference_json.is_file():
        return []
    ours, ref = json.loads(model_json.read_text())["sides"], json.loads(reference_json.read_text())["sides"]
    dice = _head_dice(model_dir, reference_seg)
    lines = ["model vs reference segmentation:"]
    for side in ("right", "left"):
        a, b = ours[side], ref[side]
        lines.append(f"  {side}: UNet-score (gray value) model {number(a['unet_score']['gray_value'], '.3f')}, "
                     f"reference {number(b['unet_score']['gray_value'], '.3f')}; HIMRISS-style total model "
                     f"{a['himriss']['total']}, reference {b['himriss']['total']}"
                     + (f"; femoral head Dice {number(dice[side], '.3f')}" if side in dice else ""))
    return lines


def _head_dice(model_dir: Path, reference_seg: Path) -> dict:
    """Dice of each femoral head of the model's .seg.nrrd against the reference one (same grid), or {}."""
    import numpy as np

    from axspa.io.segfile import read_seg_nrrd

    segs = sorted(model_dir.glob("*.seg.nrrd"))
    if not segs:
        return {}
    try:
        ours, _ = read_seg_nrrd(segs[0])
        ref, _ = read_seg_nrrd(reference_seg)
    except Exception:  # noqa: BLE001 - the comparison is a courtesy; the scores above stand
        return {}
    dice = {}
    for side in ("right", "left"):
        name = f"{side.capitalize()} femoral head"
        a, b = ours.get(name), ref.get(name)
        if a is None or b is None or a.shape != b.shape:
            continue
        total = int(a.sum()) + int(b.sum())
        if total:
            dice[side] = 2.0 * int(np.logical_and(a, b).sum()) / total
    return dice
