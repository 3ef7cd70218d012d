"""axspa evaluate sij: metrics of small synthetic truth and prediction folders (no model), by hand."""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np
import pytest

from axspa.cli import main
from axspa.results import InvalidDocumentError, validate
from axspa.sij.evaluate import evaluate_sij, format_report, polyline_distance
from axspa.sij.rules import is_definite

SPACING = 0.2  # mm per pixel (rows and columns)
CENTRES = {"right": [700.0, 600.0], "left": [1200.0, 600.0]}
LINES = {"right": [[700.0, 500.0], [700.0, 700.0]], "left": [[1200.0, 500.0], [1200.0, 700.0]]}
THRESHOLDS = {"sensitive": 0.2, "balanced": 0.5, "specific": 0.8}
# id, right grade, left grade, what the truth gives of the joints
CASES = [("c0", 0, 0, "centre"), ("c1", 1, 0, "centre"), ("c2", 2, 2, "centre"), ("c3", 3, 0, "centre"),
         ("c4", 0, 4, "centre"), ("c5", 2, 1, "lines"), ("c6", 4, 3, "photo"), ("c7", 1, 1, "photo")]
POSITIVES = {"c2", "c3", "c4", "c6"}


def _one_hot(grade: int) -> list[float]:
    return [1.0 if g == grade else 0.0 for g in range(5)]


def _truth(case_id: str, right: int, left: int, kind: str) -> dict:
    definite = is_definite(right, left)
    photo = kind == "photo"
    phantom = {"generator": "test", "joint_lines_px": None if photo else LINES,
               "photographed_screen": {"angle": 3.0} if photo else None}
    if kind == "centre":
        phantom["joint_centres_px"] = CENTRES
    return {"schema": "axspa.sij/1",
            "input": {"path": f"{case_id}.{'jpg' if photo else 'dcm'}",
                      "sha256": hashlib.sha256(case_id.encode()).hexdigest(), "rows": 1000, "columns": 1600,
                      "pixel_spacing_mm": None if photo else [SPACING, SPACING]},
            "model": {"grades": "phantom-truth"},
            "sides": {"right": {"grade_probabilities": _one_hot(right), "grade": right},
                      "left": {"grade_probabilities": _one_hot(left), "grade": left}},
            "definite": definite, "definite_probability": float(definite), "heatmap": None, "warnings": [],
            "phantom": phantom}


def _prediction(truth: dict, swap: bool = False, p: float | None = None, thresholds: dict = THRESHOLDS) -> dict:
    """A grader's output: the truth's grades and joint centres (``swap``: of the other side)."""
    other = {"right": "left", "left": "right"}
    sides = {}
    for side in ("right", "left"):
        source = other[side] if swap else side
        grade = truth["sides"][source]["grade"]
        x, y = CENTRES[source] if truth["phantom"].get("joint_centres_px") else np.mean(LINES[source], axis=0)
        sides[side] = {"grade_probabilities": _one_hot(grade), "grade": grade,
                       "joint": {"column": float(x), "row": float(y), "confidence": 0.9}}
    definite = is_definite(sides["right"]["grade"], sides["left"]["grade"])
    p = (0.9 if definite else 0.1) if p is None else p
    return {"schema": "axspa.sij/1", "input": copy.deepcopy(truth["input"]), "model": {"grader": "test@0"},
            "sides": sides, "definite": definite, "definite_probability": p, "definite_probability_direct": p,
            "operating_points": {k: {"threshold": t, "definite": p >= t} for k, t in thresholds.items()},
            "heatmap": None, "warnings": []}


@pytest.fixture
def truth_dir(tmp_path):
    out = tmp_path / "truth"
    out.mkdir()
    for case_id, right, left, kind in CASES:
        (out / f"{case_id}.truth.json").write_text(json.dumps(_truth(case_id, right, left, kind)))
    return out


def _truths(truth_dir) -> dict:
    return {p.name[:-len(".truth.json")]: json.loads(p.read_text()) for p in sorted(truth_dir.glob("*.truth.json"))}


def _write_predictions(truth_dir, pred_dir, **kwargs) -> dict:
    pred_dir.mkdir(exist_ok=True)
    preds = {}
    for case_id, truth in _truths(truth_dir).items():
        preds[case_id] = _prediction(truth, **kwargs)
        (pred_dir / f"{case_id}.sij.json").write_text(json.dumps(preds[case_id]))
    return preds


def test_the_synthetic_documents_follow_the_schema(truth_dir, tmp_path):
    for doc in list(_truths(truth_dir).values()) + list(_write_predictions(truth_dir, tmp_path / "p").values()):
        validate(doc, "sij")


def test_a_perfect_grader_scores_one_everywhere(truth_dir, tmp_path, capsys):
    _write_predictions(truth_dir, tmp_path / "pred")
    m = evaluate_sij(truth_dir, tmp_path / "pred")
    assert m["cases"] == 8 and m["evaluated"] == 8 and m["missing"] == []
    d, g = m["definite"], m["grades"]
    assert d["positives"] == len(POSITIVES) and d["accuracy"] == 1.0 and d["auc"] == 1.0 and d["auc_direct"] == 1.0
    assert g["accuracy"] == g["within_one"] == g["quadratic_kappa"] == 1.0 and g["n_sides"] == 16
    assert np.trace(g["confusion_truth_rows"]) == 16 and all(v == 1.0 for v in g["recall"].values())
    for name, threshold in THRESHOLDS.items():
        op = m["operating_points"][name]
        assert op["threshold"] == threshold and op["consistent"] and op["n"] == 8
        assert op["sensitivity"] == op["specificity"] == 1.0
    j = m["joints"]
    assert j["within_rate"] == 1.0 and j["n_cases"] == 6 and j["n_sides"] == 12 and j["located"] == 12
    assert j["to_line"] == 2 and j["to_centre"] == 10 and j["skipped"] == {"no pixel spacing (photograph)": 2}
    assert m["by_input"]["photo"]["definite"]["n"] == 2 and m["by_input"]["dicom"]["definite"]["n"] == 6
    assert m["warnings"] == []
    assert main(["evaluate", "sij", "--truth", str(truth_dir), "--pred", str(tmp_path / "pred")]) == 0
    out = capsys.readouterr().out
    assert "quadratic weighted kappa 1.000" in out and "joints within 5 mm 1.000" in out
    assert main(["evaluate", "sij", "--truth", str(truth_dir), "--pred", str(tmp_path / "pred"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["definite"]["auc"] == 1.0


def test_swapped_sides_lower_grades_and_joints_but_not_definite(truth_dir, tmp_path):
    _write_predictions(truth_dir, tmp_path / "pred", swap=True)
    m = evaluate_sij(truth_dir, tmp_path / "pred")
    assert m["definite"]["accuracy"] == 1.0  # the definite rule is symmetric in the sides
    g = m["grades"]
    assert g["accuracy"] == pytest.approx(6 / 16)  # c0, c2 and c7 have equal sides
    assert g["quadratic_kappa"] < 0.5 and g["confusion_truth_rows"][4][0] == 1  # c4's left 4 read as 0
    assert m["joints"]["within_rate"] == 0.0  # each joint put 100 mm away, on the other side
    assert m["joints"]["distance_mm_median"] == pytest.approx(100.0)


def test_a_missing_prediction_counts_as_failed_and_exits_1(truth_dir, tmp_path, capsys):
    pred = tmp_path / "pred"
    _write_predictions(truth_dir, pred)
    (pred / "c2.sij.json").unlink()  # a definite case
    m = evaluate_sij(truth_dir, pred)
    assert m["evaluated"] == 7 and [x["case"] for x in m["missing"]] == ["c2"]
    assert m["definite"]["accuracy"] == pytest.approx(7 / 8)
    assert m["operating_points"]["balanced"]["sensitivity"] == pytest.approx(3 / 4)  # c2 missed
    assert m["operating_points"]["balanced"]["specificity"] == 1.0
    assert m["grades"]["accuracy"] == pytest.approx(14 / 16) and m["grades"]["quadratic_kappa"] == 1.0
    assert m["joints"]["within_rate"] == pytest.approx(10 / 12) and m["joints"]["located"] == 10
    assert m["definite"]["auc"] == 1.0 and m["definite"]["auc_n"] == 7  # the AUC: evaluated cases only
    assert main(["evaluate", "sij", "--truth", str(truth_dir), "--pred", str(pred)]) == 1
    assert "missing: c2 (no c2.sij.json" in capsys.readouterr().out


def test_predictions_match_by_sha256_first_then_by_stem(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    (pred / "c0.sij.json").rename(pred / "renamed.sij.json")  # same image under another name: found by SHA-256
    other = copy.deepcopy(preds["c1"])
    other["input"]["sha256"] = hashlib.sha256(b"another film").hexdigest()  # c1's name, another image
    (pred / "c1.sij.json").write_text(json.dumps(other))
    unsha = copy.deepcopy(preds["c3"])
    unsha["input"]["sha256"] = ""  # no SHA-256 recorded: matched by stem
    (pred / "c3.sij.json").write_text(json.dumps(unsha))
    m = evaluate_sij(truth_dir, pred)
    assert [x["case"] for x in m["missing"]] == ["c1"] and "another image" in m["missing"][0]["reason"]
    assert m["per_case"]["c0"]["evaluated"] and m["per_case"]["c3"]["evaluated"]
    assert any("match no truth" in w for w in m["warnings"])  # the other image's prediction


def test_an_unreadable_prediction_is_a_failed_case_naming_the_file(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    _write_predictions(truth_dir, pred)
    (pred / "c4.sij.json").write_text('{"schema": "axspa.sij/1", "sides": ')
    m = evaluate_sij(truth_dir, pred)
    assert [x["case"] for x in m["missing"]] == ["c4"] and "c4.sij.json" in m["missing"][0]["reason"]


def test_no_matching_prediction_at_all_is_an_error(truth_dir, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", "sij", "--truth", str(truth_dir), "--pred", str(tmp_path / "empty")]) == 2
    assert "no prediction" in capsys.readouterr().err


def test_joint_distances_in_mm_to_the_centre_and_to_the_joint_line(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    c0, c5 = preds["c0"], preds["c5"]
    c0["sides"]["right"]["joint"]["column"] += 3.0 / SPACING * 0.6  # 3 mm off: 1.8 mm across, 2.4 mm down
    c0["sides"]["right"]["joint"]["row"] += 3.0 / SPACING * 0.8
    c0["sides"]["left"]["joint"]["column"] += 7.0 / SPACING  # 7 mm off
    c5["sides"]["right"]["joint"]["column"] += 4.0 / SPACING  # 4 mm beside the vertical joint line
    c5["sides"]["left"]["joint"]["row"] = 700.0 + 6.0 / SPACING  # 6 mm past the line's lower end
    for case_id in ("c0", "c5"):
        (pred / f"{case_id}.sij.json").write_text(json.dumps(preds[case_id]))
    m = evaluate_sij(truth_dir, pred)
    assert m["per_case"]["c0"]["joint_mm"] == pytest.approx({"right": 3.0, "left": 7.0})
    assert m["per_case"]["c5"]["joint_mm"] == pytest.approx({"right": 4.0, "left": 6.0})
    assert m["joints"]["within_rate"] == pytest.approx(10 / 12)


def test_polyline_distance():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    assert polyline_distance(np.array([5.0, 3.0]), line) == pytest.approx(3.0)
    assert polyline_distance(np.array([13.0, 5.0]), line) == pytest.approx(3.0)
    assert polyline_distance(np.array([-3.0, -4.0]), line) == pytest.approx(5.0)
    assert polyline_distance(np.array([3.0, 4.0]), np.array([[0.0, 0.0]])) == pytest.approx(5.0)


def test_disagreeing_thresholds_are_reported(truth_dir, tmp_path, capsys):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    preds["c0"]["operating_points"]["specific"]["threshold"] = 0.7
    (pred / "c0.sij.json").write_text(json.dumps(preds["c0"]))
    m = evaluate_sij(truth_dir, pred)
    op = m["operating_points"]["specific"]
    assert not op["consistent"] and op["threshold"] is None and op["thresholds"] == [0.7, 0.8]
    assert m["operating_points"]["balanced"]["consistent"]
    assert any("disagree on the specific threshold" in w for w in m["warnings"])
    assert "varies (0.7, 0.8)" in format_report(m)


def test_the_stored_decisions_give_sensitivity_and_specificity(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    # c0 (not definite) at P = 0.6: definite at the sensitive and balanced points, not at the specific one.
    doc = _prediction(_truths(truth_dir)["c0"], p=0.6)
    (pred / "c0.sij.json").write_text(json.dumps(doc))
    assert preds["c0"]["definite_probability"] == 0.1
    m = evaluate_sij(truth_dir, pred)
    ops = m["operating_points"]
    assert ops["sensitive"]["specificity"] == ops["balanced"]["specificity"] == pytest.approx(3 / 4)
    assert ops["specific"]["specificity"] == 1.0 and ops["specific"]["sensitivity"] == 1.0
    assert m["definite"]["auc"] == 1.0  # 0.6 is still below every definite case's 0.9


def test_the_direct_probability_has_its_own_auc(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    for case_id, doc in preds.items():
        doc["definite_probability_direct"] = 1.0 - doc["definite_probability"]  # ranks every case backwards
        if case_id == "c7":
            del doc["definite_probability_direct"]
        (pred / f"{case_id}.sij.json").write_text(json.dumps(doc))
    m = evaluate_sij(truth_dir, pred)
    assert m["definite"]["auc"] == 1.0 and m["definite"]["auc_direct"] == 0.0 and m["definite"]["auc_direct_n"] == 7


def test_documents_without_the_optional_fields_still_evaluate(truth_dir, tmp_path):
    pred = tmp_path / "pred"
    preds = _write_predictions(truth_dir, pred)
    for case_id, doc in preds.items():
        del doc["definite_probability_direct"], doc["operating_points"]
        for side in doc["sides"].values():
            del side["joint"]
        validate(doc, "sij")
        (pred / f"{case_id}.sij.json").write_text(json.dumps(doc))
    m = evaluate_sij(truth_dir, pred)
    assert m["definite"]["auc_direct"] is None and m["operating_points"] == dict.fromkeys(THRESHOLDS)
    assert m["joints"]["within_rate"] is None and m["joints"]["located"] == 0
    report = format_report(m)
    assert "operating points: not stored" in report and "joints: the predictions give none" in report


def test_the_schema_checks_the_new_optional_fields(truth_dir, tmp_path):
    doc = _prediction(_truths(truth_dir)["c0"])
    doc["sides"]["left"]["joint"] = None  # a joint the locator did not find
    validate(doc, "sij")
    bad = copy.deepcopy(doc)
    del bad["sides"]["right"]["joint"]["row"]
    with pytest.raises(InvalidDocumentError):
        validate(bad, "sij")
    bad = copy.deepcopy(doc)
    bad["definite_probability_direct"] = 1.5
    with pytest.raises(InvalidDocumentError):
        validate(bad, "sij")
    bad = copy.deepcopy(doc)
    del bad["operating_points"]["balanced"]["definite"]
    with pytest.raises(InvalidDocumentError):
        validate(bad, "sij")
