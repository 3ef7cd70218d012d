"""The bundled sample data is what its manifest says, and `axspa demo` runs end to end on it."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fake_predictors import install_bundle

from axspa.bundles import shipped_models_dir
from axspa.cli import main
from axspa.commands.demo import SAMPLE_DATA, _hip_model_beside_reference
from axspa.io.radiograph import read_radiograph
from axspa.results import sha256_file, validate


def test_manifest_checksums_match_the_shipped_files():
    samples = json.loads((SAMPLE_DATA / "manifest.json").read_text())["samples"]
    assert {s["module"] for s in samples} == {"AxSpAScoring", "HipInflammation"}
    for s in samples:
        assert sha256_file(SAMPLE_DATA / s["file"]) == s["sha256"], s["file"]


def test_sample_radiographs_read_with_their_truth():
    for stem, kind in (("AxSpA-CervicalSpine", "spine"), ("AxSpA-LumbarSpine", "spine"), ("AxSpA-Pelvis", "sij")):
        truth = json.loads((SAMPLE_DATA / f"{stem}.truth.json").read_text())
        validate(truth, kind)
        image = read_radiograph(SAMPLE_DATA / f"{stem}.dcm")
        assert (image.rows, image.columns) == (truth["input"]["rows"], truth["input"]["columns"])
        assert image.sha256 == truth["input"]["sha256"]
        assert image.meta["transfer_syntax"].startswith("JPEG 2000")


def _steps(out: str) -> dict[str, str]:
    """The demo's output by step: {heading: the lines under it}."""
    blocks = re.split(r"^== \d/\d (.*)$", out, flags=re.M)
    return {blocks[i]: blocks[i + 1] for i in range(1, len(blocks) - 1, 2)}


def test_demo_runs_and_reproduces_the_hip_truth(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    steps = _steps(out)
    assert list(steps) == ["mSASSS of a reading done by hand", "hip scores from the reference segmentation",
                           "mSASSS study (cervical + lumbar) with the installed spine models",
                           "sacroiliitis with the installed model", "hip segmentation with the installed model",
                           "HTML report"]
    # Each message sits under its own step.
    assert "total     24.55 (0-72)" in steps["mSASSS of a reading done by hand"]
    assert "hip scores match the phantom's ground truth" in steps["hip scores from the reference segmentation"]
    spine = steps["mSASSS study (cervical + lumbar) with the installed spine models"]
    if _can_run("spine-landmarks"):
        assert "phantom truth" in spine
    else:  # e.g. the Python 3.9 run, without torch: the step says why it was skipped
        assert "skipped: model bundle 'spine-landmarks'" in spine
    sij = steps["sacroiliitis with the installed model"]
    if _can_run("sij-grader"):
        assert "modified New York grades: right" in sij and "(truth" in sij and "definite" in sij
    else:
        assert "skipped: model bundle 'sij-grader'" in sij
    hip_model = steps["hip segmentation with the installed model"]
    if _can_run("hip-segmenter"):
        assert "model vs reference segmentation:" in hip_model and "femoral head Dice" in hip_model
    else:
        assert "skipped: model bundle 'hip-segmenter'" in hip_model
    # The last line says what ran and what was skipped, and where everything is.
    last = out.strip().splitlines()[-1]
    assert last.startswith("demo: ran ") and "hand reading, hip reference scores" in last
    assert "skipped" in last and f"outputs in {tmp_path}" in last
    assert (tmp_path / "report.html").is_file() and (tmp_path / "run.json").is_file()


def _can_run(bundle: str) -> bool:
    """The shipped bundle is there and the packages its model needs are installed."""
    import importlib.util

    return (shipped_models_dir() / bundle / "bundle.json").is_file() and all(
        importlib.util.find_spec(package) is not None for package in ("torch", "monai"))


def test_demo_without_models_says_what_it_skipped(tmp_path, capsys, no_shipped_models):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == (f"demo: ran 3 of 6 steps: hand reading, hip reference scores, report; skipped 3: spine study "
                    f"(model bundle 'spine-landmarks' is not installed), sacroiliitis (model bundle 'sij-grader' is "
                    f"not installed), hip segmentation (model bundle 'hip-segmenter' is not installed); outputs in "
                    f"{tmp_path} (open {tmp_path / 'report.html'})")
    run = json.loads((tmp_path / "run.json").read_text())
    validate(run, "run")
    assert [s["status"] for s in run["steps"]] == ["scored", "scored", "skipped", "skipped", "skipped"]
    assert run["steps"][0]["result"]["total"] == pytest.approx(24.545454, abs=1e-5)


def test_hip_model_scores_are_printed_beside_the_reference_segmentations(tmp_path, capsys):
    reference, model = tmp_path / "reference", tmp_path / "model"
    seg = SAMPLE_DATA / "AxSpA-HipSTIR.seg.nrrd"
    for folder in (reference, model):
        assert main(["hip", str(SAMPLE_DATA / "AxSpA-HipSTIR.nrrd"), "--seg", str(seg), "--out", str(folder)]) == 0
    shutil.copy(seg, model / "AxSpA-HipSTIR.seg.nrrd")  # where the model writes its segmentation
    lines = _hip_model_beside_reference(model, reference, seg)
    assert lines == ["model vs reference segmentation:",
                     "  right: UNet-score (gray value) model 0.000, reference 0.000; HIMRISS-style total model 15, "
                     "reference 15; femoral head Dice 1.000",
                     "  left: UNet-score (gray value) model 1.083, reference 1.083; HIMRISS-style total model 8, "
                     "reference 8; femoral head Dice 1.000"]


def test_demo_prints_a_hip_models_scores_beside_the_reference_under_its_step(tmp_path, capsys, monkeypatch,
                                                                             no_shipped_models):
    models = tmp_path / "models"
    install_bundle(models, "hip-segmenter", "ReferenceHips", {"seg": str(SAMPLE_DATA / "AxSpA-HipSTIR.seg.nrrd")})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    hip_model = _steps(out)["hip segmentation with the installed model"]
    assert ("model vs reference segmentation:\n"
            "  right: UNet-score (gray value) model 0.000, reference 0.000; HIMRISS-style total model 15, "
            "reference 15; femoral head Dice 1.000\n") in hip_model
    assert "hip segmentation" in out.strip().splitlines()[-1].split("; skipped")[0]  # it ran
    run = json.loads((tmp_path / "demo" / "run.json").read_text())
    assert run["steps"][4]["status"] == "scored" and "femoral head Dice 1.000" in " ".join(run["steps"][4]["lines"])
