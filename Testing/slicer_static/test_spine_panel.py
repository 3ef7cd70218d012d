"""AxSpAScoring's spine workflow after the models ran, headless on a real slicer-core scene with the test
double predictors: re-grading moved points, reader overrides in the table, export in the command line's
files, the console's process() and the question before a bundle's own code runs.

The film: a 140 x 100 cervical radiograph; FixedLandmarks puts the 12 sites at column 40, row 10 (n + 1).
PointCorners flags a syndesmophyte beyond column 50 and bridging beyond column 70, so every site the
models place grades 0 (raw 0), and a point moved to column 60 grades 2, to column 80 grades 3 with its
disc partner.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import imported_module

REPO = Path(__file__).resolve().parents[2]
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)
fake = pytest.importorskip("fake_predictors")

from axspa.bundles import BundleCodeError, ModelMissingError  # noqa: E402
from axspa.results import validate  # noqa: E402
from axspa.spine.sites import CERVICAL_SITES, FINDINGS, LUMBAR_SITES  # noqa: E402


@pytest.fixture
def scoring(monkeypatch):
    """The AxSpAScoring module file imported against a fresh scene (application parts stubbed)."""
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


@pytest.fixture
def models(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    fake.install_bundle(folder, "spine-landmarks", "FixedLandmarks", {"region_by_rows": {"150": "lumbar"}})
    fake.install_bundle(folder, "spine-corners", "PointCorners", {"syndesmophyte_beyond": 50, "bridging_beyond": 70})
    monkeypatch.setenv("AXSPA_MODELS", str(folder))
    fake.PointCorners.CALLS.clear()
    return folder


def film(name="cspine", rows=140):
    return slicer.util.addVolumeFromArray(np.zeros((1, rows, 100), np.int16), name=name)


def move(volume, markups, site, x, y):
    """Move the control point labelled ``site`` to pixel (x, y) of the volume."""
    from AxSpAScoringLib.nodes import ijkToRas

    ras = ijkToRas(volume) @ [x, y, 0, 1]
    index = next(i for i in range(markups.GetNumberOfControlPoints()) if markups.GetNthControlPointLabel(i) == site)
    markups.SetNthControlPointPosition(index, *ras[:3])
    return ras[:3]


def position(markups, site):
    index = next(i for i in range(markups.GetNumberOfControlPoints()) if markups.GetNthControlPointLabel(i) == site)
    return np.array(markups.GetNthControlPointPosition(index))


def cells(table) -> dict[str, dict[str, str]]:
    """Every row as {column: text}, by site."""
    t = table.GetTable()
    names = [t.GetColumnName(c) for c in range(t.GetNumberOfColumns())]
    return {t.GetValue(r, 0).ToString(): {n: t.GetValue(r, c).ToString() for c, n in enumerate(names)}
            for r in range(t.GetNumberOfRows())}


def set_grade(table, site, grade: str) -> None:
    t = table.GetTable()
    row = next(r for r in range(t.GetNumberOfRows()) if t.GetValue(r, 0).ToString() == site)
    t.GetColumnByName("grade").SetValue(row, grade)
    t.Modified()


# ------------------------------------------------------------------------------------------ re-grading

def test_regrade_runs_the_corner_model_at_moved_points_only(scoring, models):
    logic = scoring.AxSpAScoringLogic()
    volume = film()
    result = logic.scoreSpine(volume, "cervical")
    markups, table = result["markups"][0], result["table"]
    assert result["score"]["cervical"]["raw"] == 0
    assert {row["source"] for row in cells(table).values()} == {"model"}
    before = cells(table)
    fake.PointCorners.CALLS.clear()

    move(volume, markups, "C5s", 60, 60)  # C5s is the 6th site: row 60
    regraded = logic.regradeMovedSites(volume, markups, table)
    assert fake.PointCorners.CALLS == [{"C5s": (pytest.approx(60.0), pytest.approx(60.0))}]
    assert regraded["regraded"] == ["C5s"] and regraded["changed"] == {"C5s": [0, 2]}
    assert regraded["partners"] == [] and regraded["kept"] == []
    after = cells(table)
    assert after["C5s"]["grade"] == "2" and after["C5s"]["source"] == "model"
    assert float(after["C5s"]["syndesmophyte"]) == pytest.approx(0.9)
    assert float(after["C5s"]["confidence"]) == pytest.approx(0.9) and after["C5s"]["review"] == "no"
    assert {s: r for s, r in after.items() if s != "C5s"} == {s: r for s, r in before.items() if s != "C5s"}
    assert regraded["score"]["cervical"]["raw"] == 2
    index = next(i for i in range(12) if markups.GetNthControlPointLabel(i) == "C5s")
    assert markups.GetNthControlPointDescription(index) == "grade 2, confidence 0.90"

    # Nothing moved since: no model is loaded or run.
    again = logic.regradeMovedSites(volume, markups, table, corners=lambda: pytest.fail("model loaded"))
    assert again["regraded"] == [] and fake.PointCorners.CALLS == [{"C5s": (60.0, 60.0)}]


def test_regrade_applies_the_disc_rule_and_keeps_typed_grades(scoring, models):
    logic = scoring.AxSpAScoringLogic()
    volume = film()
    result = logic.scoreSpine(volume, "cervical")
    markups, table = result["markups"][0], result["table"]
    set_grade(table, "C4s", "1")  # the reader's grade for C4s, then moves C4s too
    move(volume, markups, "C4s", 60, 40)
    move(volume, markups, "C6i", 80, 90)  # bridging: C6i and its disc partner C7s become 3
    regraded = logic.regradeMovedSites(volume, markups, table)
    assert sorted(regraded["regraded"]) == ["C4s", "C6i"] and regraded["partners"] == ["C7s"]
    assert regraded["kept"] == ["C4s"]
    rows = cells(table)
    assert rows["C4s"]["grade"] == "1" and rows["C4s"]["source"] == "reader"
    assert float(rows["C4s"]["syndesmophyte"]) == pytest.approx(0.9)  # findings follow the point
    assert (rows["C6i"]["grade"], rows["C7s"]["grade"]) == ("3", "3")
    assert float(rows["C7s"]["bridging"]) == 0.0  # the partner's own findings are not touched
    assert regraded["score"]["cervical"]["raw"] == 1 + 3 + 3


def test_scoring_again_regrades_the_points_the_user_moved(scoring, models):
    logic = scoring.AxSpAScoringLogic()
    volume = film()
    first = logic.scoreSpine(volume, "cervical")
    markups, table = first["markups"][0], first["table"]
    moved = move(volume, markups, "C3i", 60, 30)
    again = logic.scoreSpine(volume, "cervical", outputMarkups=markups, outputTable=table)
    np.testing.assert_allclose(position(markups, "C3i"), moved)  # the user's point is kept ...
    assert cells(table)["C3i"]["grade"] == "2"  # ... and graded where it is
    assert any("C3i" in w and "kept" in w for w in again["warnings"])
    assert again["score"]["cervical"]["raw"] == 2


# -------------------------------------------------------------------------------------- reader overrides

def test_in_slicer_test_grade_override(scoring):
    test = scoring.AxSpAScoringTest("test_GradeOverrideIsMarked")
    test.setUp()
    test.test_GradeOverrideIsMarked()


def test_typed_grade_is_a_reader_override_and_totals_follow(scoring, models):
    logic = scoring.AxSpAScoringLogic()
    result = logic.scoreSpine(film(), "cervical")
    table = result["table"]
    set_grade(table, "C6s", "2")
    score = logic.rescoreFromTable(table)
    assert score["cervical"]["raw"] == 2
    rows = cells(table)
    assert rows["C6s"]["source"] == "reader" and rows["C5i"]["source"] == "model"
    set_grade(table, "C6s", "0")  # back to the model's grade: no longer an override
    logic.rescoreFromTable(table)
    assert cells(table)["C6s"]["source"] == "model"


# ----------------------------------------------------------------------------------------------- export

def test_export_writes_the_command_line_files_of_the_edited_result(scoring, models, tmp_path):
    from axspa.io.markups import read_markups_json

    logic = scoring.AxSpAScoringLogic()
    cervical, lumbar = film("cspine"), film("lspine", rows=150)
    result = logic.scoreSpine(cervical, "auto", otherVolume=lumbar)
    (cm, lm), table = result["markups"], result["table"]
    move(lumbar, lm, "L2s", 60, 40)
    logic.regradeMovedSites(lumbar, lm, table)
    set_grade(table, "C7i", "1")
    out = tmp_path / "export"
    exported = logic.exportResults(str(out), cervical, cm, table, lumbar, lm)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["cspine.spine.json", "cspine.mrk.json", "cspine.sites.csv", "lspine.spine.json",
                            "lspine.mrk.json", "lspine.sites.csv", "study.json"])
    assert exported["kept"] == [] and len(exported["files"]) == 7
    cdoc = json.loads((out / "cspine.spine.json").read_text())
    ldoc = json.loads((out / "lspine.spine.json").read_text())
    validate(cdoc, "spine")
    validate(ldoc, "spine")
    c7i = next(s for s in cdoc["sites"] if s["id"] == "C7i")
    assert (c7i["grade"], c7i["source"]) == (1, "reader") and cdoc["score"]["raw"] == 1
    assert any("C7i" in w for w in cdoc["warnings"])
    l2s = next(s for s in ldoc["sites"] if s["id"] == "L2s")
    assert l2s["point"] == pytest.approx([60.0, 40.0]) and l2s["grade"] == 2 and l2s["source"] == "model"
    assert ldoc["score"]["raw"] == 2
    study = json.loads((out / "study.json").read_text())
    assert study["total"] == 3.0 and study["schema"] == "axspa.study/1"
    with (out / "lspine.sites.csv").open() as f:
        rows = {r["site"]: r for r in csv.DictReader(f)}
    assert list(rows) == list(LUMBAR_SITES) and rows["L2s"]["grade"] == "2"
    points = dict(read_markups_json(out / "lspine.mrk.json"))
    np.testing.assert_allclose(points["L2s"], position(lm, "L2s"), atol=1e-6)  # lands where it is in the scene

    # A second export writes the same bytes; a file the user edited is kept unless overwrite.
    assert logic.exportResults(str(out), cervical, cm, table, lumbar, lm)["kept"] == []
    (out / "cspine.sites.csv").write_text("edited\n")
    kept = logic.exportResults(str(out), cervical, cm, table, lumbar, lm)["kept"]
    assert len(kept) == 1 and "cspine.sites.csv" in kept[0]
    assert (out / "cspine.sites.csv").read_text() == "edited\n"
    logic.exportResults(str(out), cervical, cm, table, lumbar, lm, overwrite=True)
    assert (out / "cspine.sites.csv").read_text().startswith("site,x,y")


def test_export_without_a_model_result_uses_the_volume(scoring, tmp_path):
    """A reading typed into a table, with its points placed by hand: exported for the region of its sites."""
    from axspa.slicer.tables import sites_to_table

    logic = scoring.AxSpAScoringLogic()
    volume = film()
    table = sites_to_table(slicer.mrmlScene, [{"id": s, "point": None, "grade": 1} for s in CERVICAL_SITES],
                           findings=FINDINGS)
    markups = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode")
    markups.AddControlPoint(0.0, 0.0, 0.0, "C2i")
    exported = logic.exportResults(str(tmp_path), volume, markups, table)
    doc = exported["documents"][0]
    assert doc["region"] == "cervical" and doc["model"] == {"landmarks": "none", "corners": "none"}
    assert doc["score"]["raw"] == 12 and (tmp_path / "cspine.spine.json").is_file()


# --------------------------------------------------------------------------------------- console: process

def test_process_updates_its_nodes_and_never_overwrites_edits(scoring, models, monkeypatch):
    logic = scoring.AxSpAScoringLogic()
    asked = []
    monkeypatch.setattr(logic, "ensureModelDependencies", lambda bundles, modelDir=None: asked.append(modelDir))
    volume = film()
    first = logic.process(volume, region="auto")
    markups, table = first["markups"][0], first["table"]
    assert first["documents"][0]["region"] == "cervical" and asked == [None]
    model_point = position(markups, "C2i")
    moved = move(volume, markups, "C2i", 45, 12)
    set_grade(table, "T1s", "1")

    again = logic.process(volume)
    assert again["markups"] == [markups] and again["table"] is table  # found, not duplicated
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 1
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 1
    np.testing.assert_allclose(position(markups, "C2i"), moved)
    assert cells(table)["T1s"]["grade"] == "1" and cells(table)["T1s"]["source"] == "reader"
    assert again["score"]["cervical"]["raw"] == 1

    replaced = logic.process(volume, overwrite=True)
    assert replaced["table"] is table
    np.testing.assert_allclose(position(markups, "C2i"), model_point)
    assert cells(table)["T1s"]["grade"] == "0" and cells(table)["T1s"]["source"] == "model"
    assert replaced["score"]["cervical"]["raw"] == 0


def test_process_with_a_model_folder(scoring, models, tmp_path, monkeypatch, no_shipped_models):
    logic = scoring.AxSpAScoringLogic()
    checked = []
    monkeypatch.setattr(logic, "ensureModelDependencies", lambda bundles, modelDir=None: checked.append(modelDir))
    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "nothing-installed"))
    result = logic.process(film(), modelDir=str(models))
    assert checked == [str(models)] and result["score"]["cervical"]["raw"] == 0
    with pytest.raises(ModelMissingError):
        logic.process(film("other"))


# --------------------------------------------------------------------------------- trusting bundle code

def test_bundle_code_runs_only_after_the_user_agrees(scoring, models, monkeypatch):
    monkeypatch.delenv("AXSPA_TRUSTED_PREDICTORS")  # the test doubles are code from outside axspa
    questions, answers = [], [False]
    monkeypatch.setattr(slicer.util, "confirmYesNoDisplay",
                        lambda text, **kwargs: questions.append(text) or answers[0], raising=False)
    logic = scoring.AxSpAScoringLogic()
    with pytest.raises(BundleCodeError, match="chose not to run its code"):
        logic.scoreSpine(film(), "cervical")
    assert len(questions) == 1 and "fake_predictors" in questions[0] and "--trust-bundle-code" not in questions[0]
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 0

    answers[0] = True
    result = logic.scoreSpine(film("again"), "cervical")
    assert len(questions) == 2 and result["table"].GetNumberOfRows() == 12
    # Trusted for this session: re-grading loads the corner model without asking again.
    volume, markups = slicer.mrmlScene.GetFirstNodeByName("again"), result["markups"][0]
    move(volume, markups, "C2i", 60, 10)
    assert logic.regradeMovedSites(volume, markups, result["table"])["regraded"] == ["C2i"]
    assert len(questions) == 2


# ------------------------------------------------------------------------------------- clicking a row

def test_site_of_a_row_is_found_by_label(scoring):
    from AxSpAScoringLib.nodes import findSitePoint

    first = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode")
    second = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode")
    for label in ("C3s", "C2i"):  # not in anatomical order
        first.AddControlPoint(1.0, 2.0, 3.0, label)
    second.AddControlPoint(4.0, 5.0, 6.0, "L1s")
    second.AddControlPoint(0.0, 0.0, 0.0, "L2s")
    second.SetNthControlPointPositionMissing(1)
    assert findSitePoint([first, second], "C2i") == (first, 1)
    assert findSitePoint([None, first, second], "L1s") == (second, 0)
    assert findSitePoint([first, second], "L2s") is None  # not placed: nothing to centre on
    assert findSitePoint([first, second], "T1s") is None
