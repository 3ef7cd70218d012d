"""The shipped hip-segmenter on the bundled STIR sample and on the real T1 pelvis series (anatomy only;
skipped when ../shared/data is absent). Skipped when the bundle is not installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("monai")

from shipped import shipped_or_skip  # noqa: E402

from axspa.cli import main  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "Resources" / "SampleData"
# hip-segmenter 0.2 places both heads outside the femur on the T1 series of patients 01 and 02 (its card: T1 is not
# what it reads; the STIR-like version of the same series finds them): known failures, strict so that a model
# that finds them again says so.
T1_MISSED = ("patient01", "patient02")
PATIENTS = [pytest.param(f"patient{n:02d}", marks=pytest.mark.xfail(
    strict=True, reason="hip-segmenter 0.2 takes bright T1 structures for these heads (model card)"))
    if f"patient{n:02d}" in T1_MISSED else f"patient{n:02d}" for n in range(1, 9)]
# Development figure on the other 6 series: 0.74-0.93 of the predicted head inside the reference femur (the
# model card's table; the 0.9 target is missed). A drop below this floor is a regression.
INSIDE_FEMUR_FLOOR = 0.65


@pytest.fixture(scope="module")
def model():
    from axspa.hip.pipeline import load_models

    return shipped_or_skip(load_models)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2.0 * float((a & b).sum()) / float(a.sum() + b.sum())


def test_the_sample_stir_is_segmented_like_its_reference(model):
    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    volume = read_volume(str(SAMPLES / "AxSpA-HipSTIR.nrrd"))
    reference, _ = read_seg_nrrd(SAMPLES / "AxSpA-HipSTIR.seg.nrrd")
    masks = model.predict(volume)
    for side in ("Right", "Left"):
        assert _dice(masks[f"{side} femoral head"], reference[f"{side} femoral head"]) > 0.95
        assert _dice(masks[f"{side} acetabulum"], reference[f"{side} acetabulum"]) > 0.8


def test_cli_scores_the_sample_with_the_shipped_model(model, tmp_path):
    assert main(["hip", str(SAMPLES / "AxSpA-HipSTIR.nrrd"), "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "hip.json").read_text())
    truth = json.loads((SAMPLES / "AxSpA-HipSTIR.truth.json").read_text())
    assert doc["model"]["segmenter"] == "hip-segmenter@0.2.0"
    assert set(doc["sides"]["right"]["edema_probability"]) == {"femoral_bme", "acetabular_bme", "effusion"}
    for side in ("right", "left"):
        ours, true = doc["sides"][side], truth["sides"][side]
        assert ours["femoral_head_found"]
        assert abs(ours["unet_score"]["gray_value"] - true["unet_score"]["gray_value"]) < 0.5
        assert abs(ours["himriss"]["total"] - true["himriss"]["total"]) <= 2


@pytest.mark.parametrize("patient", PATIENTS)
def test_real_t1_series_both_heads_found_on_their_sides(model, pelvis_mri_dir, patient):
    from axspa.hip.reference import check_heads, reference_femurs
    from axspa.io.nrrdfile import read_nrrd
    from axspa.io.volume import read_volume

    volume = read_volume(str(pelvis_mri_dir / patient / "dicom"))
    labels, _ = read_nrrd(pelvis_mri_dir / patient / "bone-labels.nrrd")
    result = check_heads(model.predict(volume), reference_femurs(volume, labels))
    for side, r in result.items():
        assert r["found"] and r["side_correct"], (side, r)
        assert r["inside_femur"] >= INSIDE_FEMUR_FLOOR, (side, r)


def test_held_out_phantoms_hold_the_card_figures(model, tmp_path):
    """A small held-out regression check against the model card: the first 4 cases of the card's test set
    (seed 303), predicted and evaluated as `make evaluate-models` does, within a margin of the card's figures
    over 40 cases (4 cases are noisy for lesions)."""
    from axspa.hip.evaluate import evaluate_hip
    from axspa.hip.pipeline import score_case

    card = json.loads((SAMPLES.parent / "Models" / "hip-segmenter" / "docs" / "evaluation.json").read_text())
    figures = {name: f["value"] for name, f in card["figures"].items()}
    truth = tmp_path / "truth"
    assert main(["phantom", "hip", "--n", "4", "--seed", "303", "--out", str(truth)]) == 0
    for case in sorted(p for p in truth.iterdir() if p.is_dir()):
        score_case(str(case / "dicom"), tmp_path / "pred" / case.name, model=model)
    m = evaluate_hip(truth, tmp_path / "pred")
    assert m["femoral_head"]["found"] == m["femoral_head"]["truth_heads"] == 8
    assert m["segments"]["femoral head (both sides)"]["dice_mean"] >= figures["test.head_dice"] - 0.02
    assert m["segments"]["all lesions"]["dice_mean"] >= figures["test.lesion_dice"] - 0.15
    assert m["himriss_total"]["within_rate"] >= figures["test.himriss_total_within2"] - 0.25
