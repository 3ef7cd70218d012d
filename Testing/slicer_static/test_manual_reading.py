"""A manual mSASSS reading in AxSpA Scoring, without any model (issue 11, part 1), headless on a real slicer-core
scene: "New reading", the corners placed in order in Slicer's place mode (the MRML display node's own placement,
as the view widget calls it), grades and findings with the totals following live, points moved without
changing a grade, "Save reading" read back by the command line (msasss, agree scores, progression, train's
data loader), "Re-score from table" on a new table, and the panel (its .ui widgets as stand-ins).

The films are 140 x 100 (cervical) and 150 x 100 (lumbar) DICOM files, 0.2 mm pixels; a click at pixel (x, y)
is RAS (-0.2 x, -0.2 y, 0). Readings worked by hand:

reading A (reader R1, study P01-V1): cervical every site 1 except T1s ticked syndesmophyte (2) and C3s
    unscorable -> raw 12, imputed 12 + 12 / 11 = 13.09; lumbar every site 0 except L2i and L3s ticked bridging
    (3 each; L3s by the disc rule) -> 6; total 19.09.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import error_display_recorder, imported_module, wait_cursor_recorder

REPO = Path(__file__).resolve().parents[2]
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)
fake = pytest.importorskip("fake_predictors")

from axspa.cli import main  # noqa: E402
from axspa.image import InputError  # noqa: E402
from axspa.results import validate  # noqa: E402
from axspa.spine.sites import CERVICAL_SITES, FINDINGS, LUMBAR_SITES  # noqa: E402

UI = REPO / "AxSpAScoring" / "Resources" / "UI" / "AxSpAScoring.ui"
IJK_TO_RAS = np.diag([-0.2, -0.2, 1.0, 1.0])


@pytest.fixture
def scoring(monkeypatch):
    """The AxSpAScoring module file imported against a fresh scene (application parts stubbed)."""
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


def film(folder: Path, name: str, rows: int = 140):
    """A radiograph node loaded from a DICOM file (its storage node names the file, as Add Data leaves it)."""
    from axspa.io.dicom_write import write_radiograph_dicom
    from axspa.slicer.volumes import array_to_volume

    stored = np.full((rows, 100), 1000, np.uint16)
    path = folder / f"{name}.dcm"
    write_radiograph_dicom(path, stored, spacing_mm=(0.2, 0.2), seed_uid_from=name)
    node = array_to_volume(slicer.mrmlScene, stored[np.newaxis].astype(np.int16), IJK_TO_RAS, name)
    storage = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLVolumeArchetypeStorageNode")
    storage.SetFileName(str(path))
    node.SetAndObserveStorageNodeID(storage.GetID())
    return node


def click(markups, x: float, y: float) -> int:
    """One left click in place mode at pixel (x, y), as Slicer's markups widget does it: the mouse moving in
    the view previews the point to place (UpdatePreviewPoint with the node's placement start index), the click
    defines it (PlacePoint). Returns the index of the point placed."""
    display = markups.GetDisplayNode()
    event = slicer.vtkMRMLInteractionEventData()
    event.SetWorldPosition(list((IJK_TO_RAS @ [x, y, 0.0, 1.0])[:3]))
    orientation = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    preview = display.UpdateActiveControlPointWorld(markups.GetControlPointPlacementStartIndex(), event, orientation,
                                                    "", "", markups.PositionPreview)
    return display.UpdateActiveControlPointWorld(preview, event, orientation, "", "", markups.PositionDefined)


def labels(markups) -> list[str]:
    return [markups.GetNthControlPointLabel(i) for i in range(markups.GetNumberOfControlPoints())]


def point(markups, site: str) -> np.ndarray:
    return np.array(markups.GetNthControlPointPosition(labels(markups).index(site)))


def grades(table) -> dict[str, str]:
    t = table.GetTable()
    return {t.GetValue(r, 0).ToString(): t.GetColumnByName("grade").GetValue(r) for r in range(t.GetNumberOfRows())}


def cli(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def read_reading_a(logic, table, cervical="cervical"):
    """Reading A (module docstring) through the Logic; returns the last score."""
    for site in CERVICAL_SITES[:-1]:
        logic.setSiteGrade(table, site, 1)
    logic.setSiteGrade(table, "C3s", None)
    logic.setSiteFinding(table, "T1s", "syndesmophyte")
    for site in LUMBAR_SITES:
        logic.setSiteGrade(table, site, 0)
    return logic.setSiteFinding(table, "L2i", "bridging")


# --------------------------------------------------------------------------------------------- new reading

def test_new_reading_lists_the_sites_for_the_reader_and_study(scoring, tmp_path):
    from AxSpAScoringLib.reading import readingInfo

    logic = scoring.AxSpAScoringLogic()
    cspine, lspine = film(tmp_path, "cspine"), film(tmp_path, "lspine", rows=150)
    one = logic.newReading(cspine, "cervical", reader="R1 ", study="P01-V1")
    table = one["table"]
    assert [table.GetCellText(r, 0) for r in range(table.GetNumberOfRows())] == list(CERVICAL_SITES)
    assert readingInfo(table) == {"reader": "R1", "study": "P01-V1", "regions": ["cervical"]}
    names = [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())]
    assert names[:5] == ["site", "grade", "source", "review", "confidence"] and names[5:] == list(FINDINGS)
    assert set(grades(table).values()) == {""} and {table.GetCellText(r, 2) for r in range(12)} == {"reader"}
    [markups] = one["markups"]
    assert labels(markups) == list(CERVICAL_SITES)
    assert markups.GetNumberOfUndefinedControlPoints() == 12  # none placed: place mode fills them in order
    score = logic.rescoreFromTable(table)
    assert score["cervical"]["missing"] and score["total"] is None

    both = logic.newReading(cspine, "cervical", otherVolume=lspine, points=False)
    assert both["table"].GetNumberOfRows() == 24 and both["markups"] == [] and both["regions"] == ["cervical", "lumbar"]
    assert readingInfo(both["table"])["study"] == "cspine"  # no study given: the radiograph's name

    # Nodes that hold something are never reused; empty ones are.
    again = logic.newReading(cspine, "cervical", outputTable=table, outputMarkups=markups)
    assert again["table"] is not table and again["markups"][0] is not markups
    empty = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLTableNode")
    assert logic.newReading(cspine, "lumbar", outputTable=empty)["table"] is empty
    with pytest.raises(ValueError, match="cervical or lumbar"):
        logic.newReading(cspine, "auto")


def test_place_mode_labels_the_corners_in_order(scoring, tmp_path):
    logic = scoring.AxSpAScoringLogic()
    reading = logic.newReading(film(tmp_path, "cspine"), "cervical")
    [markups] = reading["markups"]
    clicked = {}
    for n in range(5):  # the reader clicks the first five corners down the column
        index = click(markups, 40.0, 10.0 * (n + 1))
        clicked[markups.GetNthControlPointLabel(index)] = (40.0, 10.0 * (n + 1))
    assert list(clicked) == ["C2i", "C3s", "C3i", "C4s", "C4i"]
    np.testing.assert_allclose(point(markups, "C3i"), [-8.0, -6.0, 0.0])
    assert markups.GetNumberOfUndefinedControlPoints() == 7 and markups.GetNumberOfControlPoints() == 12

    # The number of points is fixed: deleting a point in Slicer clears its position ("Clear control point
    # position"), and the next click places it again, with its label.
    assert markups.GetFixedNumberOfControlPoints()
    markups.UnsetNthControlPointPosition(labels(markups).index("C3s"))
    for n in range(8):
        click(markups, 45.0, 60.0 + 8 * n)
    assert markups.GetNumberOfUndefinedControlPoints() == 0
    assert labels(markups) == list(CERVICAL_SITES)
    assert markups.GetNumberOfControlPoints() == 12  # never more points than sites
    np.testing.assert_allclose(point(markups, "C3s"), [-9.0, -60.0 * 0.2, 0.0])
    click(markups, 45.0, 130.0)  # a click more adds nothing
    assert markups.GetNumberOfControlPoints() == 12 and labels(markups) == list(CERVICAL_SITES)

    # A point added some other way (the number unlocked in the Markups module) gets the missing site's label.
    markups.SetFixedNumberOfControlPoints(False)
    markups.RemoveNthControlPoint(labels(markups).index("C6s"))
    markups.AddControlPoint(1.0, 2.0, 0.0, "F-1")
    assert labels(markups)[-1] == "C6s"


def test_grades_and_findings_follow_the_rules_and_the_totals(scoring, tmp_path):
    logic = scoring.AxSpAScoringLogic()
    reading = logic.newReading(film(tmp_path, "cspine"), "cervical", otherVolume=film(tmp_path, "lspine", 150),
                               points=False)
    table = reading["table"]
    score = read_reading_a(logic, table)
    assert score["cervical"]["raw"] == 12 and score["cervical"]["imputed_sites"] == ["C3s"]
    assert score["cervical"]["imputed"] == pytest.approx(12 + 12 / 11)
    assert (score["lumbar"]["raw"], score["total"]) == (6, pytest.approx(6 + 12 + 12 / 11))
    g = grades(table)
    assert (g["C3s"], g["T1s"], g["L2i"], g["L3s"], g["L3i"]) == ("unscorable", "2", "3", "3", "0")
    # Unticking bridging gives both sites of the level back the grade of their own findings.
    score = logic.setSiteFinding(table, "L2i", "bridging", False)
    assert (grades(table)["L2i"], grades(table)["L3s"], score["lumbar"]["raw"]) == ("0", "0", 0)
    # An osteophyte makes the site unscorable (imputed); a grade chosen directly is kept as it is.
    score = logic.setSiteFinding(table, "C5s", "osteophyte")
    assert grades(table)["C5s"] == "unscorable" and score["cervical"]["imputed_sites"] == ["C3s", "C5s"]
    with pytest.raises(ValueError):
        logic.setSiteGrade(table, "C5s", 4)


def test_moving_a_point_never_changes_a_grade(scoring, tmp_path):
    logic = scoring.AxSpAScoringLogic()
    volume = film(tmp_path, "cspine")
    reading = logic.newReading(volume, "cervical", study="S1")
    table, [markups] = reading["table"], reading["markups"]
    for n in range(12):
        click(markups, 40.0, 10.0 * (n + 1))
    logic.setSiteGrade(table, "C4i", 2)
    before, score = grades(table), logic.rescoreFromTable(table)
    markups.SetNthControlPointPosition(labels(markups).index("C4i"), *(IJK_TO_RAS @ [70.0, 52.0, 0, 1])[:3])
    assert grades(table) == before and logic.rescoreFromTable(table) == score
    saved = logic.saveReading(str(tmp_path / "out"), volume, table, markups)
    c4i = next(s for s in saved["documents"][0]["sites"] if s["id"] == "C4i")
    assert c4i["point"] == pytest.approx([70.0, 52.0]) and c4i["grade"] == 2


def test_saved_reading_is_read_by_the_command_line(scoring, tmp_path):
    """The round trip: a reading made through the Logic, saved, re-read by axspa msasss, agree scores,
    progression and the training data loader, with the same totals."""
    from axspa.io.markups import read_markups_json

    logic = scoring.AxSpAScoringLogic()
    cspine, lspine = film(tmp_path, "cspine"), film(tmp_path, "lspine", rows=150)
    reading = logic.newReading(cspine, "cervical", reader="R1", study="P01-V1", otherVolume=lspine)
    table, (cm, lm) = reading["table"], reading["markups"]
    for n in range(12):
        click(cm, 40.0, 10.0 * (n + 1))
        click(lm, 50.0, 11.0 * (n + 1))
    score = read_reading_a(logic, table)
    out = tmp_path / "R1"
    saved = logic.saveReading(str(out), cspine, table, cm, lspine, lm, readerTable=str(tmp_path / "R1-all.csv"))
    assert saved["kept"] == [] and saved["not_graded"] == []
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "cspine.spine.json", "cspine.mrk.json", "cspine.sites.csv", "lspine.spine.json", "lspine.mrk.json",
        "lspine.sites.csv", "study.json", "P01-V1.reading.csv"])
    cdoc = json.loads((out / "cspine.spine.json").read_text())
    validate(cdoc, "spine")
    assert cdoc["reading"] == {"reader": "R1", "study": "P01-V1"} and cdoc["region"] == "cervical"
    t1s = next(s for s in cdoc["sites"] if s["id"] == "T1s")
    assert t1s["grade"] == 2 and t1s["findings"]["syndesmophyte"] == 1.0 and t1s["source"] == "reader"
    assert t1s["point"] == pytest.approx([40.0, 120.0]) and t1s["point_mm"] == pytest.approx([8.0, 24.0])
    assert any("without the findings" in w and "C2i" in w for w in cdoc["warnings"])  # grades 1, no finding
    np.testing.assert_allclose(dict(read_markups_json(out / "lspine.mrk.json"))["L3s"], point(lm, "L3s"), atol=1e-6)
    assert json.loads((out / "study.json").read_text())["total"] == pytest.approx(score["total"])
    with (out / "P01-V1.reading.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24 and rows[1] == {"study": "P01-V1", "reader": "R1", "site": "C3s", "grade": ""}

    # axspa msasss: the reading table and each film's sites.csv give the same scores as the panel.
    for table_csv, expected in ((out / "P01-V1.reading.csv", score),
                                (out / "cspine.sites.csv", dict(score, lumbar=None, total=None))):
        code, text = cli(["msasss", str(table_csv), "--json"])
        result = json.loads(text)
        assert code == 0 and result["cervical"] == score["cervical"] and result["total"] == expected["total"]

    # axspa progression: the saved .spine.json files of two visits.
    later = logic.newReading(cspine, "cervical", reader="R1", study="P01-V2", otherVolume=lspine, points=False)
    read_reading_a(logic, later["table"])
    logic.setSiteGrade(later["table"], "C5i", 3)  # 1 -> 3 at follow-up: +2 on the raw score
    later_score = logic.rescoreFromTable(later["table"])
    logic.saveReading(str(tmp_path / "R1-V2"), cspine, later["table"], None, lspine, None,
                      readerTable=str(tmp_path / "R1-all.csv"))
    (tmp_path / "manifest.csv").write_text(
        "patient,visit_date,result\nP01,2020-01-01,R1/cspine.spine.json\nP01,2020-01-01,R1/lspine.spine.json\n"
        "P01,2022-01-01,R1-V2/P01-V2.reading.csv\n")
    code, text = cli(["progression", str(tmp_path / "manifest.csv")])
    assert code == 0
    change = later_score["total"] - score["total"]
    assert f"{score['total']:.1f}" in text and f"{later_score['total']:.1f}" in text and f"{change:.1f}" in text

    # axspa agree scores: reader R1's table of both studies against a second reader's.
    r2 = tmp_path / "R2-all.csv"
    r2.write_text("study,site,grade\n" + "".join(
        f"{study},{site},{1 if site in CERVICAL_SITES else 0}\n" for study in ("P01-V1", "P01-V2")
        for site in CERVICAL_SITES + LUMBAR_SITES))
    code, text = cli(["agree", "scores", str(tmp_path / "R1-all.csv"), str(r2), "--json", "--bootstrap", "100"])
    doc = json.loads(text)
    assert code == 0 and doc["n_studies"] == 2
    assert doc["total"]["totals"]["R1-all"] == pytest.approx([score["total"], later_score["total"]])

    # axspa train reads the saved document beside its film: the placed corners and the ticked findings.
    pytest.importorskip("torch")
    from axspa.spine.model.data import annotation_from_document, find_cases

    cases = find_cases([out])
    assert [(image.name, doc.name) for image, doc in cases] == [("cspine.dcm", "cspine.spine.json"),
                                                                 ("lspine.dcm", "lspine.spine.json")]
    annotation = annotation_from_document(cdoc)
    assert annotation.points["C3i"] == pytest.approx([40.0, 30.0])
    assert annotation.findings["T1s"]["syndesmophyte"] == 1.0 and annotation.inferior[0] == pytest.approx([40, 10])


def test_saving_again_keeps_edited_files_and_the_reader_table_keeps_other_studies(scoring, tmp_path):
    logic = scoring.AxSpAScoringLogic()
    volume = film(tmp_path, "cspine")
    reading = logic.newReading(volume, "cervical", reader="R1", study="S1", points=False)
    table = reading["table"]
    logic.setSiteGrade(table, "C2i", 1)
    all_studies = tmp_path / "R1.csv"
    all_studies.write_text("study,reader,site,grade\nS0,R1,C2i,3\n")
    first = logic.saveReading(str(tmp_path / "out"), volume, table, readerTable=str(all_studies))
    assert first["kept"] == [] and len(first["not_graded"]) == 11 and first["not_graded"][0] == "C3s"
    logic.setSiteGrade(table, "C2i", 2)
    again = logic.saveReading(str(tmp_path / "out"), volume, table, readerTable=str(all_studies))
    assert len(again["kept"]) == 5  # spine.json, mrk.json (grade text), sites.csv, S1.reading.csv, reader table
    assert "S1,R1,C2i,1" in all_studies.read_text()
    logic.saveReading(str(tmp_path / "out"), volume, table, readerTable=str(all_studies), overwrite=True)
    text = all_studies.read_text()
    assert text.startswith("study,reader,site,grade\nS0,R1,C2i,3\n") and "S1,R1,C2i,2" in text
    assert "S1,R1,C2i,1" not in text and text.count("S1,") == 12


def test_rescore_of_a_new_table_points_to_new_reading(scoring):
    logic = scoring.AxSpAScoringLogic()
    empty = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLTableNode", "mSASSS sites")
    with pytest.raises(InputError, match="New reading") as raised:
        logic.rescoreFromTable(empty)
    assert "no 'site' column" not in str(raised.value)


def test_in_slicer_test_manual_reading(scoring):
    test = scoring.AxSpAScoringTest("test_ManualReadingRoundTrip")
    test.setUp()
    test.test_ManualReadingRoundTrip()


def test_a_model_never_scores_into_a_reading(scoring, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    fake.install_bundle(folder, "spine-landmarks", "FixedLandmarks", {})
    fake.install_bundle(folder, "spine-corners", "PointCorners", {"syndesmophyte_beyond": 50, "bridging_beyond": 70})
    monkeypatch.setenv("AXSPA_MODELS", str(folder))
    logic = scoring.AxSpAScoringLogic()
    volume = film(tmp_path, "cspine")
    reading = logic.newReading(volume, "cervical", points=True)
    logic.setSiteGrade(reading["table"], "C2i", 3)
    result = logic.scoreSpine(volume, "cervical", outputTable=reading["table"], outputMarkups=reading["markups"][0])
    assert result["table"] is not reading["table"] and result["markups"][0] is not reading["markups"][0]
    assert grades(reading["table"])["C2i"] == "3" and grades(result["table"])["C2i"] == "0"


# ------------------------------------------------------------------------------------------------ the panel

class Widget(types.SimpleNamespace):
    """A Qt widget of the .ui: its properties, its signals (connect, emit) and the slots the panel calls."""

    def __init__(self, **properties):
        super().__init__(text="", enabled=True, visible=True, toolTip="", checked=False, currentIndex=0,
                         currentText="", currentPath="", value=0, items=[], hidden=set(), slots={}, **properties)

    def connect(self, signal, slot):
        self.slots.setdefault(signal, []).append(slot)

    def emit(self, signal, *args):
        for slot in self.slots.get(signal, []):
            slot(*args)

    def setMRMLTableNode(self, node):
        self.table = node

    def setColumnHidden(self, column, hidden):
        (self.hidden.add if hidden else self.hidden.discard)(column)

    def addCurrentPathToHistory(self):
        pass

    def clear(self):
        self.items, self.currentText = [], ""

    def addItem(self, text):
        self.items.append(text)
        self.currentText = self.items[0]


class Parameters(types.SimpleNamespace):
    """The parameter node: setting a parameter calls its observer (the widget's _checkCanApply), as its
    ModifiedEvent does in Slicer."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name != "observer" and getattr(self, "observer", None):
            self.observer()


class Index:
    """A table view index (row of the site table shown with its column headers)."""

    def __init__(self, table, row):
        self.table, self._row = table, row

    def row(self):
        return self._row

    def model(self):
        table = self.table.GetTable()
        return types.SimpleNamespace(
            columnCount=table.GetNumberOfColumns, headerData=lambda c, orientation: table.GetColumnName(c),
            index=lambda r, c: types.SimpleNamespace(data=lambda: table.GetValue(r, c).ToString()))


@pytest.fixture
def panel(scoring, tmp_path, monkeypatch):
    """The module's widget on its .ui's widget names (stand-ins), Slicer's dialogs and place mode recorded."""
    from AxSpAScoringLib.panel import FINDING_BOXES

    names = [w.get("name") for w in ET.parse(UI).getroot().iter("widget")]
    assert set(FINDING_BOXES.values()) <= set(names)
    errors, placing, cursor = [], [], []
    wait_cursor = wait_cursor_recorder(cursor)
    try_with_error_display = error_display_recorder(errors, wait_cursor)

    markups_logic = types.SimpleNamespace(SetActiveList=lambda node: placing.append(node.GetName()),
                                          StartPlaceMode=lambda persistent: placing.append(persistent),
                                          JumpSlicesToNthPointInMarkup=lambda *args: placing.append(args[1:]))
    monkeypatch.setattr(slicer.util, "tryWithErrorDisplay", try_with_error_display)
    monkeypatch.setattr(slicer.util, "WaitCursor", wait_cursor)
    monkeypatch.setattr(slicer.util, "setSliceViewerLayers", lambda **kw: placing.append(kw["background"].GetName()))
    monkeypatch.setattr(slicer.util, "confirmYesNoDisplay", lambda text, **kw: True)
    monkeypatch.setattr(slicer.util, "mainWindow", lambda: None)
    monkeypatch.setattr(slicer, "modules", types.SimpleNamespace(markups=types.SimpleNamespace(
        logic=lambda: markups_logic)), raising=False)
    monkeypatch.setattr(slicer.app, "processEvents", lambda: None, raising=False)
    qt = types.ModuleType("qt")
    qt.Qt = types.SimpleNamespace(Horizontal=1)
    qt.QFileDialog = types.SimpleNamespace(getExistingDirectory=lambda parent, title: str(tmp_path / "saved"))
    monkeypatch.setitem(sys.modules, "qt", qt)

    widget = scoring.AxSpAScoringWidget()
    widget.ui = types.SimpleNamespace(**{name: Widget() for name in names})
    widget.ui.applyButton.text = "Score with model"
    widget.logic = scoring.AxSpAScoringLogic()
    widget._parameterNode = Parameters(
        inputVolume=film(tmp_path, "cspine"), region="cervical", otherVolume=None, outputMarkups=None,
        otherMarkups=None, outputTable=None, findingThreshold=0.5, pelvisVolume=None, heatmapVolume=None,
        readerTable=None, disagreementTable=None, readerName="R1", study="S1", placePoints=True)
    widget.makePanelHelpers(defer=lambda function: function())  # Slicer's: once Qt is back in its loop
    widget._parameterNode.observer = widget._checkCanApply
    widget._checkCanApply()
    widget.errors, widget.placing, widget.cursor = errors, placing, cursor
    yield widget
    widget.cleanup()


def test_panel_new_reading_place_grade_and_save(panel, tmp_path):
    ui, p = panel.ui, panel._parameterNode
    assert not ui.progressBar.visible and not ui.cancelButton.visible  # hidden when idle
    assert ui.newReadingButton.enabled and not ui.saveReadingButton.enabled

    panel.readingPanel.onNewReadingButton()
    assert panel.errors == [] and p.outputTable.GetNumberOfRows() == 12 and p.outputMarkups is not None
    assert panel.placing == ["cspine", p.outputMarkups.GetName(), True]  # film shown, its list, place mode on
    assert "starting with C2i" in ui.statusLabel.text
    assert ui.resultsTableView.table is p.outputTable and ui.resultsTableView.hidden == set(range(5, 13))
    assert ui.saveReadingButton.enabled and not ui.regradeButton.enabled  # a manual reading runs no model
    for n in range(3):
        click(p.outputMarkups, 40.0, 10.0 * (n + 1))
    panel.readingPanel.onPlaceButton()
    assert "starting with C4s" in ui.statusLabel.text

    # The reader clicks the C4s row, then chooses grade 2 from the drop-down: the totals follow at once.
    panel.spinePanel.onResultsTableClicked(Index(p.outputTable, 3))
    assert ui.siteLabel.text == "C4s: reader" and ui.siteDetailGroupBox.enabled
    assert ui.siteGradeComboBox.currentIndex == 0  # not graded
    ui.siteGradeComboBox.currentIndex = 3
    ui.siteGradeComboBox.emit("currentIndexChanged(int)", 3)
    assert grades(p.outputTable)["C4s"] == "2" and ui.totalLabel.text.startswith("missing")
    assert ui.cervicalLabel.text.startswith("missing")  # 11 sites still to grade
    for site in CERVICAL_SITES:
        if site != "C4s":
            panel._siteEditor.show(p.outputTable, site)
            ui.siteGradeComboBox.emit("currentIndexChanged(int)", 1)  # 0
    assert ui.cervicalLabel.text == "raw 2, score 2"
    # Ticking bridging at C4s: C4s and its disc partner C3i become 3, shown ticked and in the totals.
    panel._siteEditor.show(p.outputTable, "C4s")
    ui.bridgingCheckBox.checked = True
    ui.bridgingCheckBox.emit("toggled(bool)", True)
    assert grades(p.outputTable)["C3i"] == "3" and ui.siteGradeComboBox.currentIndex == 4
    assert ui.bridgingCheckBox.checked and not ui.erosionCheckBox.checked
    assert ui.cervicalLabel.text == "raw 6, score 6"
    # A grade typed into the table view is picked up the same way.
    t = p.outputTable.GetTable()
    t.GetColumnByName("grade").SetValue(0, "1")
    t.Modified()
    assert ui.cervicalLabel.text == "raw 7, score 7"

    panel.readingPanel.onSaveReadingButton()
    assert panel.errors == [] and ui.statusLabel.text.startswith(f"Saved to {tmp_path / 'saved'}.")
    code, text = cli(["msasss", str(tmp_path / "saved" / "S1.reading.csv"), "--json"])
    assert json.loads(text)["cervical"]["imputed"] == 7.0


def test_panel_rescore_of_an_empty_table(panel):
    ui, p = panel.ui, panel._parameterNode
    p.outputTable = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLTableNode", "new table")
    assert "New reading" in ui.statusLabel.text  # said as soon as the empty table is chosen
    panel.spinePanel.onRescoreButton()  # fills the empty table with the region's sites
    assert panel.errors == [] and p.outputTable.GetName() == "new table" and p.outputTable.GetNumberOfRows() == 12
    p.outputTable, p.region = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLTableNode"), "auto"
    with pytest.raises(ValueError):
        panel.spinePanel.onRescoreButton()
    assert "choose cervical or lumbar" in panel.errors[-1]
    assert "New reading" in panel._job.hint  # what the model-missing dialog says


def test_panel_study_list_of_the_reader_table(panel, tmp_path):
    ui = panel.ui
    path = tmp_path / "reader.csv"
    path.write_text("study,site,grade\nV1,C2i,1\nV2,C2i,2\nV1,C3s,0\n")
    panel.comparePanel.onReaderPathChanged(str(path))
    assert ui.readerStudyComboBox.items == ["V1", "V2"] and ui.readerStudyComboBox.enabled
    panel.comparePanel.onReaderPathChanged("")
    assert ui.readerStudyComboBox.items == [] and not ui.readerStudyComboBox.enabled


def test_reader_table_node_with_studies(scoring):
    from AxSpAScoringLib.compare import readerGradesFromTable, studiesOfTable

    from axspa.slicer.tables import text_table

    node = text_table(slicer.mrmlScene, ("study", "site", "grade"),
                      [("V1", "C2i", "1"), ("V2", "c2i", "2"), ("V1", "C3s", "")], name="reader")
    assert studiesOfTable(node) == ["V1", "V2"]
    assert readerGradesFromTable(node, "V2") == {"C2i": 2}
    assert readerGradesFromTable(node, "V1") == {"C2i": 1, "C3s": None}
    with pytest.raises(InputError, match="2 studies"):
        readerGradesFromTable(node)
    with pytest.raises(InputError, match="no study 'V3'"):
        readerGradesFromTable(node, "V3")


# ------------------------------------------------------------------------------------------------ the .ui

def _parents(root):
    return {child: parent for parent in root.iter() for child in parent}


def _inside(name: str, container: str) -> bool:
    root = ET.parse(UI).getroot()
    parents = _parents(root)
    node = next(w for w in root.iter("widget") if w.get("name") == name)
    while node in parents:
        node = parents[node]
        if node.tag == "widget" and node.get("name") == container:
            return True
    return False


def test_ui_polish_of_the_spine_and_pelvis_sections():
    root = ET.parse(UI).getroot()
    widgets = {w.get("name"): w for w in root.iter("widget")}

    def prop(name, key):
        found = widgets[name].find(f"property[@name='{key}']")
        return None if found is None else "".join(found.itertext()).strip()

    assert "second radiograph" in prop("otherInputSelector", "toolTip")
    assert "other region" in prop("otherInputSelectorCaption", "text")
    assert prop("advancedCollapsibleButton", "collapsed") == "true"
    for expert in ("thresholdSliderWidget", "modelDirPathLineEdit"):
        assert _inside(expert, "advancedCollapsibleButton")
    assert _inside("sijWarningsLabel", "pelvisCollapsibleButton")
    assert _inside("warningsLabel", "resultsCollapsibleButton")  # the spine results' own warnings
    assert widgets["readerStudyComboBox"].get("class") == "QComboBox" and "readerStudyLineEdit" not in widgets
    for button, text in (("newReadingButton", "New reading"), ("saveReadingButton", "Save reading...")):
        assert prop(button, "text") == text and _inside(button, "spineCollapsibleButton")
    combo = [i.findtext("property/string") for i in widgets["siteGradeComboBox"].findall("item")]
    assert combo == ["not graded", "0", "1", "2", "3", "unscorable"]


def test_panel_sacroiliitis_warnings_stay_in_the_pelvis_section(panel, tmp_path, monkeypatch):
    import axspa.slicer.packages

    fake.install_bundle(tmp_path / "models", "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1],
                                                                          "left": [0.1, 0.7, 0.2, 0, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(axspa.slicer.packages, "ensure_model_dependencies", lambda *args, **kwargs: None)
    pixels = np.zeros((1, 30, 40), np.float32)
    pixels[0, 0, 0] = np.nan  # a pixel that is no number: the result warns about it
    panel._parameterNode.pelvisVolume = slicer.util.addVolumeFromArray(pixels, name="pelvis")
    panel.ui.warningsLabel.text = "the spine result's warning"
    panel.sijPanel.onSijApplyButton()
    assert panel.errors == [] and panel.ui.rightGradeLabel.text.startswith("3 unequivocal")
    assert "not finite" in panel.ui.sijWarningsLabel.text
    assert panel.ui.warningsLabel.text == "the spine result's warning"
    assert not panel.ui.progressBar.visible  # hidden again once the job is done


# ------------------------------------------------------------------------------- place mode in a real Slicer

def test_panel_placing_goes_on_in_the_second_film_after_the_last_corner(panel, tmp_path):
    """Issue 17, items 2 and 3. With a maximum of 12 points, Slicer's place mode made a new, empty point list at
    the next mouse move after the 12th corner (vtkMRMLMarkupsDisplayableManager::GetWidgetForPlacement does so for
    a full list) and later clicks went there; the second film's list was never made active. The lists now have a
    fixed number of points and no maximum (Slicer leaves place mode after the last one), and the last corner of
    the first film starts placing in the second (deferred: Slicer leaves place mode after the event). The hint
    names what stops placing in Slicer: right-click or double-click, not Esc."""
    ui, p = panel.ui, panel._parameterNode
    p.otherVolume = film(tmp_path, "lspine", rows=150)
    panel.readingPanel.onNewReadingButton()
    first, second = p.outputMarkups, p.otherMarkups
    for node in (first, second):
        assert node.GetFixedNumberOfControlPoints() and node.GetMaximumNumberOfControlPoints() == -1
    assert panel.placing == ["cspine", first.GetName(), True]
    assert "right-click or double-click to stop" in ui.statusLabel.text and "Esc" not in ui.statusLabel.text
    tips = {w.get("name"): "".join(w.find("property[@name='toolTip']").itertext())
            for w in ET.parse(UI).getroot().iter("widget") if w.find("property[@name='toolTip']") is not None}
    assert "Right-click or double-click stops placing" in tips["placePointsCheckBox"]
    assert not [name for name, tip in tips.items() if "Esc" in tip]
    for n in range(11):
        click(first, 40.0, 10.0 * (n + 1))
    assert len(panel.placing) == 3  # still placing in the first film
    click(first, 40.0, 120.0)  # its last corner
    assert panel.placing[3:] == ["lspine", second.GetName(), True]  # the second film, its list active
    assert "starting with T12i" in ui.statusLabel.text
    for n in range(12):
        click(second, 50.0, 11.0 * (n + 1))
    assert ui.statusLabel.text.startswith("Every site is placed") and len(panel.placing) == 6
    assert labels(second) == list(LUMBAR_SITES) and second.GetNumberOfUndefinedControlPoints() == 0
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 2  # no stray list


def save_and_reload(scene, folder: Path) -> None:
    """The scene saved as File > Save writes it (each node's data in its own file, and the .mrml) and loaded again
    as File > Load Scene does (the scene cleared, the .mrml imported): every node is a new one."""
    from axspa.slicer import ensure_node_class

    for storage_class in ("vtkMRMLMarkupsJsonStorageNode", "vtkMRMLTableStorageNode"):
        ensure_node_class(scene, storage_class)
    for node in [scene.GetNthNode(n) for n in range(scene.GetNumberOfNodes())]:
        if not node.IsA("vtkMRMLStorableNode") or (node.GetStorageNode() is None and not node.AddDefaultStorageNode()):
            continue
        storage = node.GetStorageNode()
        storage.SetFileName(str(folder / f"{node.GetID()}.{storage.GetDefaultWriteFileExtension()}"))
        assert storage.WriteData(node), node.GetName()
    scene.SetRootDirectory(str(folder))
    scene.SetURL(str(folder / "scene.mrml"))
    assert scene.Commit()
    assert scene.Connect()  # Clear (EndCloseEvent), then Import (EndImportEvent)


def test_placing_goes_on_after_the_scene_is_saved_and_loaded_again(panel, tmp_path):
    """Issue 17, item 8: the observer that moves placing on to the next film was attached to the point lists
    when the reading was made; a scene saved and loaded again holds new lists, which are watched again when the
    scene is imported."""
    ui, p = panel.ui, panel._parameterNode
    p.otherVolume = film(tmp_path, "lspine", rows=150)
    panel.readingPanel.onNewReadingButton()
    for n in range(10):
        click(p.outputMarkups, 40.0, 10.0 * (n + 1))
    names = {key: getattr(p, key).GetName() for key in ("inputVolume", "otherVolume", "outputMarkups",
                                                         "otherMarkups", "outputTable")}
    (tmp_path / "scene").mkdir()
    save_and_reload(slicer.mrmlScene, tmp_path / "scene")
    # The parameter node is saved with the scene: it points to the loaded nodes.
    for key, name in names.items():
        setattr(p, key, slicer.mrmlScene.GetFirstNodeByName(name))
    first, second = p.outputMarkups, p.otherMarkups
    assert first.GetNumberOfUndefinedControlPoints() == 2 and first.GetFixedNumberOfControlPoints()
    del panel.placing[:]
    # The reader goes on placing with Slicer's own place mode (the Markups toolbar), not the panel's button.
    click(first, 40.0, 110.0)
    assert panel.placing == []
    click(first, 40.0, 120.0)  # the last corner of the loaded list
    assert panel.placing == ["lspine", second.GetName(), True] and "starting with T12i" in ui.statusLabel.text
    # Loading it once more (an import into the same scene) watches each list once: one step on, not two.
    panel._placement.watchScene()
    slicer.mrmlScene.InvokeEvent(slicer.mrmlScene.EndImportEvent)
    for n in range(12):
        click(second, 50.0, 11.0 * (n + 1))
    assert len(panel.placing) == 3 and ui.statusLabel.text.startswith("Every site is placed")


# -------------------------------------------------------------------------------------- the busy cursor

def test_questions_show_the_normal_cursor_and_computation_the_wait_cursor(panel, tmp_path, monkeypatch):
    """Issue 17, item 6: the whole job ran under tryWithErrorDisplay(waitCursor=True), so the installation
    questions and the question before a bundle's own code runs came up under the hourglass (as did "Replace
    them?" when saving). Now every question is asked with the normal cursor, and only the computation runs under
    the wait cursor (the engine's progress calls, which let Slicer process events, come with it)."""
    import axspa.slicer.packages

    models = tmp_path / "models"
    fake.install_bundle(models, "spine-landmarks", "FixedLandmarks", {})
    fake.install_bundle(models, "spine-corners", "PointCorners", {"syndesmophyte_beyond": 50, "bridging_beyond": 70})
    fake.install_bundle(models, "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1],
                                                            "left": [0.1, 0.7, 0.2, 0, 0]})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    monkeypatch.delenv("AXSPA_TRUSTED_PREDICTORS")  # the test doubles' code: Slicer asks before it runs
    wait = slicer.util.WaitCursor
    seen = []  # (what, cursors set when it happened)
    monkeypatch.setattr(axspa.slicer.packages, "ensure_model_dependencies",
                        lambda *args, **kwargs: seen.append(("install?", wait.depth)))
    monkeypatch.setattr(slicer.util, "confirmYesNoDisplay",
                        lambda text, **kwargs: seen.append(("question", wait.depth)) or True)
    monkeypatch.setattr(slicer.app, "processEvents", lambda: seen.append(("computing", wait.depth)))

    panel.spinePanel.onApplyButton()  # the spine: installs, then the bundles' code (asked once), then scoring
    assert panel.errors == [] and panel.ui.statusLabel.text.startswith("Scored")
    assert [s for s in seen if s[0] != "computing"] == [("install?", 0), ("question", 0)]
    assert {s for s in seen if s[0] == "computing"} == {("computing", 1)} and wait.depth == 0

    seen.clear()
    p = panel._parameterNode
    index = next(i for i in range(12) if p.outputMarkups.GetNthControlPointLabel(i) == "C5s")
    p.outputMarkups.SetNthControlPointPosition(index, *(IJK_TO_RAS @ [60.0, 60.0, 0, 1])[:3])
    panel.spinePanel.onRegradeButton()  # the corner model again: installs checked, no question (trusted this session)
    assert panel.errors == [] and panel.ui.statusLabel.text.startswith("Re-graded: C5s")
    assert seen[0] == ("install?", 0) and set(seen[1:]) == {("computing", 1)} and wait.depth == 0

    seen.clear()
    panel.logic._trustedModelDirs.clear()  # a new session: the grader's code is asked for again
    p.pelvisVolume = slicer.util.addVolumeFromArray(np.zeros((1, 30, 40), np.float32), name="pelvis")
    panel.sijPanel.onSijApplyButton()  # the sacroiliac grader: installs, its code (asked), then grading
    assert panel.errors == [] and panel.ui.statusLabel.text == "Graded."
    assert [s for s in seen if s[0] != "computing"] == [("install?", 0), ("question", 0)]
    assert {s for s in seen if s[0] == "computing"} == {("computing", 1)} and wait.depth == 0

    # Saving twice into one folder after an edit: the files are written under the wait cursor, "Replace them?"
    # is asked with the normal one.
    seen.clear()
    panel.spinePanel.onExportButton()
    panel.logic.setSiteGrade(p.outputTable, "C2i", 3)
    writes = []
    export = panel.logic.exportResults
    monkeypatch.setattr(panel.logic, "exportResults",
                        lambda *args, **kwargs: writes.append(wait.depth) or export(*args, **kwargs))
    panel.spinePanel.onExportButton()
    assert panel.errors == [] and writes == [1, 1] and seen == [("question", 0)] and wait.depth == 0
    assert panel.cursor.count("wait") == panel.cursor.count("normal")
