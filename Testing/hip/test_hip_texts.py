"""axspa.hip.texts and axspa.hip.segments: the hip results table, the panel's summary, segment names."""

from __future__ import annotations

import numpy as np

from axspa.hip import texts
from axspa.hip.segments import match_hip_segments


def test_hip_rows_from_engine_scores():
    from axspa.hip.scores import HipScoreConfig, hip_scores

    # Identity geometry, 1 mm voxels: coronal slices along array axis 1. Right head on j 10-14
    # (4 x 10 = 40 mm2 per slice), right femoral BME 2 x 5 = 10 mm2 on slices 11 and 12, brighter.
    stir = np.full((8, 40, 40), 100.0)
    head = np.zeros(stir.shape, bool)
    head[0:4, 10:15, 10:20] = True
    bme = np.zeros(stir.shape, bool)
    bme[0:2, 11:13, 10:15] = True
    stir[bme] = 300.0
    sides = hip_scores(stir, {"Right femoral head": head, "Right femoral BME": bme}, np.eye(4),
                       HipScoreConfig())
    rows = {r[0]: r[1:] for r in texts.hip_result_rows(sides)}
    assert rows["Femoral head found"] == ["yes", "no"]
    # Per lesion slice: 10*300 / (30*100 + 10*300) = 0.5 gray value, 10/40 area; two slices.
    assert rows["UNet-score, gray value"] == ["1.000", "0.000"]
    assert rows["UNet-score, area fraction"] == ["0.500", "0.000"]
    assert rows["Femoral BME (mL)"] == ["0.02", "0.00"]
    assert rows["HIMRISS-style femoral BME"] == ["2", "0"]
    assert rows["HIMRISS-style total"] == ["2", "0"]
    assert rows["Scoring slices"][1] == "none"
    assert len(texts.hip_result_rows(sides)) == 11
    # Short enough for the panel's results table at 400 px (Utilities/render_panels.py measures it).
    assert max(len(r[0]) for r in texts.hip_result_rows(sides)) <= 28
    summary = texts.hip_summary(sides)
    assert "Right: UNet-score 1.000, HIMRISS-style total 2" in summary and "Left: not scored" in summary


def test_user_segment_names_are_matched_to_hip_segments():
    masks = {"right  FEMORAL head": 1, "Left femoral BME": 2, "Segment_1": 3, "Right femoral head": 4}
    matched, ignored = match_hip_segments(masks)
    assert matched == {"Right femoral head": 1, "Left femoral BME": 2}
    assert ignored == ["Segment_1", "Right femoral head"]  # a second segment for the same name is not merged


def test_edema_probability_rows_and_review_warnings():
    from axspa.hip.pipeline import add_edema_probability
    from axspa.hip.scores import HipScoreConfig, hip_scores

    sides = hip_scores(np.full((4, 20, 20), 100.0), {}, np.eye(4), HipScoreConfig())
    doc = {"sides": sides, "warnings": []}
    assert not any(r[0].startswith("P(any") for r in texts.hip_result_rows(doc["sides"]))
    add_edema_probability(doc, {"right": {"femoral_bme": 0.97, "acetabular_bme": 0.02},
                                "left": {"femoral_bme": 0.45, "acetabular_bme": 0.6}})
    rows = {r[0]: r[1:] for r in texts.hip_result_rows(doc["sides"])}
    assert rows["P(any femoral BME)"] == ["0.97", "0.45"] and rows["P(any acetabular BME)"] == ["0.02", "0.60"]
    assert len(doc["warnings"]) == 2  # the unsure ones, each naming the side and what was done
    assert any("left hip: femoral BME uncertain" in w and "left out" in w for w in doc["warnings"])
    assert any("left hip: acetabular BME uncertain" in w and "kept" in w for w in doc["warnings"])
