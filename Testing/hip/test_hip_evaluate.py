"""axspa evaluate hip: a prediction equal to the phantom's truth scores perfectly, a perturbed one does not,
and a missing case is listed and counted as failed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fake_predictors import install_bundle

from axspa.cli import main
from axspa.hip.evaluate import cropped_hd95, evaluate_hip, segment_groups
from axspa.hip.segments import HIP_SEGMENTS
from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd

CASES = ("hip-00000", "hip-00001")


@pytest.fixture(scope="module")
def truth(tmp_path_factory):
    """Two small phantom cases (seed 11: both hold lesions on both sides' scoring slices)."""
    out = tmp_path_factory.mktemp("truth")
    assert main(["phantom", "hip", "--n", "2", "--seed", "11", "--size", "small", "--out", str(out)]) == 0
    return out


def _predict_with_model(truth, case, pred, seg, tmp_path, monkeypatch):
    """As the model writes it: PRED/<case>/hip.json + dicom.seg.nrrd (a 'perfect model' returning ``seg``)."""
    models = tmp_path / f"models-{case}"
    install_bundle(models, "hip-segmenter", "ReferenceHips", {"seg": str(seg)})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    assert main(["hip", str(truth / case / "dicom"), "--out", str(pred / case)]) == 0


def _predict_as(truth, case, pred, masks, ijk_to_ras, tmp_path, monkeypatch):
    """A model that returns ``masks``, as axspa hip writes its output."""
    seg = tmp_path / f"{case}-model-output.seg.nrrd"
    write_seg_nrrd(seg, masks, ijk_to_ras, segments=HIP_SEGMENTS)
    _predict_with_model(truth, case, pred, seg, tmp_path, monkeypatch)


def _predict_with_seg(truth, case, pred, masks, ijk_to_ras):
    """A reader's segmentation copied into PRED/<case>/ and scored there with axspa hip --seg."""
    (pred / case).mkdir(parents=True)
    seg = pred / case / "dicom.seg.nrrd"
    write_seg_nrrd(seg, masks, ijk_to_ras, segments=HIP_SEGMENTS)
    assert main(["hip", str(truth / case / "dicom"), "--seg", str(seg), "--out", str(pred / case)]) == 0


def test_prediction_equal_to_truth_scores_perfectly(truth, tmp_path, monkeypatch, capsys):
    pred = tmp_path / "pred"
    _predict_with_model(truth, CASES[0], pred, truth / CASES[0] / "truth.seg.nrrd", tmp_path, monkeypatch)
    _predict_with_model(truth, CASES[1], pred, truth / CASES[1] / "truth.seg.nrrd", tmp_path, monkeypatch)
    assert (pred / CASES[0] / "dicom.seg.nrrd").is_file()
    capsys.readouterr()
    assert main(["evaluate", "hip", "--truth", str(truth), "--pred", str(pred), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["cases"] == m["evaluated"] == 2 and m["missing"] == []
    assert set(m["segments"]) == {label for label, _ in segment_groups()} and len(m["segments"]) == 16
    lesions = m["segments"]["all lesions"]
    assert lesions["dice_n"] == 2 and lesions["dice_mean"] == 1.0 and lesions["dice_pooled"] == 1.0
    for row in m["segments"].values():
        assert row["dice_mean"] in (1.0, None) and row["hd95_mm_mean"] in (0.0, None) and row["hd95_skipped"] == 0
        assert row["volume_error_ml_mean"] == 0.0 and row["volume_error_ml_mean_abs"] == 0.0
    assert m["himriss_exact"] == {"n_hips": 4, "femoral_bme": 1.0, "acetabular_bme": 1.0, "effusion": 1.0,
                                  "total": 1.0}
    assert m["unet_score"]["n_hips"] == 4 and m["unet_score"]["mae"] == 0.0
    assert m["unet_score"]["icc21"] == pytest.approx(1.0) and m["unet_score"]["spearman"] == pytest.approx(1.0)
    assert m["femoral_head"]["found_rate"] == 1.0 and m["femoral_head"]["side_correct_rate"] == 1.0
    assert main(["evaluate", "hip", "--truth", str(truth), "--pred", str(pred)]) == 0
    text = capsys.readouterr().out
    assert "femoral head (both sides)" in text and "all lesions" in text and "HIMRISS-style exact" in text


def test_a_perturbed_prediction_scores_lower(truth, tmp_path, monkeypatch):
    pred = tmp_path / "pred"
    masks, ijk_to_ras = read_seg_nrrd(truth / CASES[0] / "truth.seg.nrrd")
    shifted = {name: np.roll(m, 3, axis=2) if name.endswith("femoral head") else m for name, m in masks.items()}
    _predict_as(truth, CASES[0], pred, shifted, ijk_to_ras, tmp_path, monkeypatch)
    masks, ijk_to_ras = read_seg_nrrd(truth / CASES[1] / "truth.seg.nrrd")
    swapped = {"Right femoral head": masks["Left femoral head"], "Left femoral head": masks["Right femoral head"]}
    _predict_as(truth, CASES[1], pred, swapped, ijk_to_ras, tmp_path, monkeypatch)  # wrong sides, no lesions
    m = evaluate_hip(truth, pred)
    head = m["segments"]["femoral head (both sides)"]
    assert head["dice_mean"] < 1.0 and head["hd95_mm_mean"] > 0.0
    assert m["segments"]["Right femoral head"]["dice_mean"] < 0.5  # case 1: the right head is the left one
    assert m["segments"]["all lesions"]["dice_mean"] == pytest.approx(0.5)  # case 0 exact, case 1 none
    assert m["segments"]["all lesions"]["volume_error_ml_mean"] < 0
    assert m["segments"]["all lesions"]["hd95_skipped"] == 1
    assert m["himriss_exact"]["total"] < 1.0 and m["unet_score"]["mae"] > 0.0
    assert m["femoral_head"]["found_rate"] == 1.0 and m["femoral_head"]["side_correct_rate"] == 0.5
    assert sorted(m["femoral_head"]["wrong_side"]) == [f"{CASES[1]} left", f"{CASES[1]} right"]


def test_a_missing_case_is_listed_and_counted_as_failed(truth, tmp_path, capsys, monkeypatch):
    pred = tmp_path / "pred"
    masks, ijk_to_ras = read_seg_nrrd(truth / CASES[0] / "truth.seg.nrrd")
    _predict_as(truth, CASES[0], pred, masks, ijk_to_ras, tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(["evaluate", "hip", "--truth", str(truth), "--pred", str(pred)]) == 1
    out = capsys.readouterr().out
    assert f"missing: {CASES[1]}" in out and "evaluated 1, missing 1" in out
    m = evaluate_hip(truth, pred)
    assert m["femoral_head"]["found_rate"] == 0.5 and m["himriss_exact"]["total"] == 0.5
    assert m["unet_score"]["n_hips"] == 2  # the statistics of scores use the evaluated hips only
    assert m["segments"]["femoral head (both sides)"]["dice_mean"] == pytest.approx(0.5)


def test_a_result_scored_from_a_given_segmentation_is_refused(truth, tmp_path, monkeypatch):
    pred = tmp_path / "pred"
    for case in CASES:
        masks, ijk_to_ras = read_seg_nrrd(truth / case / "truth.seg.nrrd")
        (_predict_with_seg(truth, case, pred, masks, ijk_to_ras) if case == CASES[0]
         else _predict_as(truth, case, pred, masks, ijk_to_ras, tmp_path, monkeypatch))
    m = evaluate_hip(truth, pred)
    assert m["evaluated"] == 1 and [x["case"] for x in m["missing"]] == [CASES[0]]
    assert "not from the model's" in m["missing"][0]["reason"]


def test_within_two_icc_and_clean_sides(truth, tmp_path, monkeypatch):
    """Truth as prediction: every total within 2, ICC 1; lesions added on clean sides make them unclean."""
    pred = tmp_path / "pred"
    for n, case in enumerate(CASES):
        masks, ijk_to_ras = read_seg_nrrd(truth / case / "truth.seg.nrrd")
        if n == 1:  # 2 mL of femoral BME drawn over every femoral head of the second case
            masks = {**masks, **{f"{s} femoral BME": masks[f"{s} femoral head"] for s in ("Right", "Left")}}
        _predict_as(truth, case, pred, masks, ijk_to_ras, tmp_path, monkeypatch)
    m = evaluate_hip(truth, pred)
    clean = m["clean_sides"]
    truth_docs = [json.loads((truth / c / "truth.json").read_text()) for c in CASES]
    clean_truth = [(c, s) for c, d in zip(CASES, truth_docs) for s in ("right", "left")
                   if not any(v for k, v in d["sides"][s]["lesion_volume_ml"].items() if k.endswith("BME"))]
    assert clean_truth and clean["n_sides"] == len(clean_truth)
    assert sorted(clean["not_clean"]) == sorted(f"{c} {s}" for c, s in clean_truth if c == CASES[1])
    total = m["himriss_total"]
    assert total["n_hips"] == 4 and 0.0 <= total["within_rate"] <= 1.0


def test_cropped_hd95_equals_the_full_volume_value():
    from axspa.evaluation.overlap import hd95

    rng = np.random.default_rng(0)
    a = np.zeros((12, 40, 50), bool)
    b = np.zeros_like(a)
    a[3:8, 10:25, 12:30] = True
    b[4:9, 12:27, 15:31] = True
    b &= rng.random(b.shape) > 0.1
    m = np.diag([0.7, 0.8, 4.0, 1.0])
    assert cropped_hd95(a, b, m) == pytest.approx(hd95(a, b, m))
    assert cropped_hd95(a, np.zeros_like(a), m) is None


def test_truth_folder_without_cases_is_refused(tmp_path, capsys):
    (tmp_path / "t").mkdir()
    (tmp_path / "p").mkdir()
    assert main(["evaluate", "hip", "--truth", str(tmp_path / "t"), "--pred", str(tmp_path / "p")]) == 2
    assert "no hip phantom cases" in capsys.readouterr().err
