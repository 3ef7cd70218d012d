"""AxSpA Scoring's "Clinical indices" section (issue 16, part): the .ui's collapsed section with one spin box per value
bound to the parameter node, "Compute indices" on the panel (its widgets as stand-ins), the "Clinical indices"
table node on a real slicer-core scene (linked to the radiograph, under its study, reused), and Export writing
clinical.csv / clinical.json beside the spine results. The numbers are worked by hand in test_clinical_panel.py.
"""

from __future__ import annotations

import json
import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import error_display_recorder, imported_module

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "AxSpAScoring" / "Resources" / "UI" / "AxSpAScoring.ui"
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)

from axspa.image import InputError  # noqa: E402
from axspa.spine.sites import CERVICAL_SITES, FINDINGS  # noqa: E402

VISIT = {"basdai_q1": 5, "basdai_q2": 6, "basdai_q3": 3, "basdai_q4": 4, "basdai_q5": 7, "basdai_q6": 8,
         **{f"basfi_{i}": float(i % 5) for i in range(1, 11)}, "crp": 15.0, "esr": None, "back_pain": 6,
         "patient_global": 5, "peripheral": 4}
SPIN_BOXES = {**{f"basdaiQ{i}SpinBox": f"clinicalBasdaiQ{i}" for i in range(1, 7)},
              **{f"basfi{i}SpinBox": f"clinicalBasfi{i}" for i in range(1, 11)},
              "crpSpinBox": "clinicalCrp", "esrSpinBox": "clinicalEsr", "backPainSpinBox": "clinicalBackPain",
              "patientGlobalSpinBox": "clinicalPatientGlobal", "peripheralSpinBox": "clinicalPeripheral"}


@pytest.fixture
def scoring(monkeypatch):
    """The AxSpAScoring module file imported against a fresh scene (application parts stubbed)."""
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


def film(name="cspine"):
    return slicer.util.addVolumeFromArray(np.zeros((1, 140, 100), np.int16), name=name)


def cells(table) -> list[list[str]]:
    t = table.GetTable()
    return [[t.GetValue(r, c).ToString() for c in range(t.GetNumberOfColumns())] for r in range(t.GetNumberOfRows())]


# ------------------------------------------------------------------------------------------------------- .ui

def _parents(root):
    return {child: parent for parent in root.iter() for child in parent}


def _inside(widget, section, root):
    parents, node = _parents(root), widget
    while node is not None:
        node = parents.get(node)
        if node is not None and node.tag == "widget" and node.get("name") == section:
            return True
    return False


def _prop(widget, key):
    found = widget.find(f"property[@name='{key}']")
    return None if found is None else "".join(found.itertext()).strip()


def test_the_section_is_collapsed_with_a_bound_spin_box_per_value(scoring):
    from AxSpAScoringLib.clinical_panel import PARAMETERS

    root = ET.parse(UI).getroot()
    widgets = {w.get("name"): w for w in root.iter("widget")}
    section = widgets["clinicalCollapsibleButton"]
    assert section.get("class") == "ctkCollapsibleButton" and _prop(section, "collapsed") == "true"
    assert _prop(section, "text") == "Clinical indices"
    assert section.find("layout").get("class") == "QFormLayout"
    assert sorted(SPIN_BOXES.values()) == sorted(PARAMETERS.values())
    for name, parameter in SPIN_BOXES.items():
        box = widgets[name]
        assert box.get("class") == "QDoubleSpinBox" and _inside(box, "clinicalCollapsibleButton", root), name
        assert _prop(box, "SlicerParameterName") == parameter
        assert float(_prop(box, "minimum")) == -1.0 == float(_prop(box, "value"))  # "not answered" at first
        assert _prop(box, "specialValueText") == ("not measured" if name in ("crpSpinBox", "esrSpinBox")
                                                  else "not answered")
        assert float(_prop(box, "maximum")) == {"crpSpinBox": 1000.0, "esrSpinBox": 200.0}.get(name, 10.0)
    assert "morning stiffness" in _prop(widgets["basdaiQ5SpinBox"], "toolTip")
    assert "morning stiffness duration" in _prop(widgets["basdaiQ6SpinBox"], "toolTip")
    assert _prop(widgets["crpSpinBoxCaption"], "text") == "CRP (mg/L):"
    assert _prop(widgets["esrSpinBoxCaption"], "text") == "ESR (mm/h):"
    assert _prop(widgets["clinicalComputeButton"], "text") == "Compute indices"
    label = widgets["clinicalResultsLabel"]
    assert label.get("class") == "QLabel" and _prop(label, "textInteractionFlags") == "Qt::TextSelectableByMouse"
    for name in ("clinicalComputeButton", "clinicalResultsLabel"):
        assert _inside(widgets[name], "clinicalCollapsibleButton", root)


def test_the_parameter_node_defaults_to_not_given(scoring):
    from AxSpAScoringLib.clinical_panel import NOT_GIVEN, PARAMETERS, enteredValues

    cls = scoring.AxSpAScoringParameterNode
    defaults = types.SimpleNamespace(**{p: getattr(cls, p) for p in PARAMETERS.values()})
    assert set(vars(defaults).values()) == {NOT_GIVEN}
    assert set(enteredValues(defaults).values()) == {None}
    assert "clinicalTable" in cls.__annotations__


# ------------------------------------------------------------------------------------------- table (MRML)

def test_the_table_goes_under_the_radiographs_study_and_is_reused(scoring):
    from AxSpAScoringLib.clinical import clinicalOf

    from axspa.slicer.outputs import linked_input, output_kind

    logic = scoring.AxSpAScoringLogic()
    volume = film()
    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(slicer.mrmlScene)
    study = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "P01"), "2024-05-01")
    sh.CreateItem(study, volume)

    result = logic.computeClinicalIndices(VISIT, volume)
    table = result["table"]
    assert table.GetName() == "Clinical indices" and table.GetLocked()
    assert output_kind(table) == "clinical" and linked_input(table) is volume
    assert sh.GetItemParent(sh.GetItemByDataNode(table)) == study
    assert [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())] == ["index", "value", "category",
                                                                                    "note"]
    assert cells(table) == [["ASDAS-CRP", "3.64", "very high", ""], ["ASDAS-ESR", "", "", "no ESR (not measured)"],
                            ["BASDAI", "5.10", "", ""], ["BASFI", "2.00", "", ""], ["BASDAI >= 2.1", "yes", "", ""],
                            ["BASFI >= 3.6", "no", "", ""]]
    assert "ASDAS-ESR: not computed (no ESR (not measured))" in result["text"]
    assert clinicalOf(volume)["inputs"]["crp"] == 15.0

    again = logic.computeClinicalIndices(dict(VISIT, esr=25.0), volume)
    assert again["table"] is table and cells(table)[1] == ["ASDAS-ESR", "3.40", "high", ""]
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 1
    # Another radiograph has its own table; a site table of the first is never taken for the clinical one.
    other = logic.computeClinicalIndices(VISIT, film("lspine"))["table"]
    assert other is not table and clinicalOf(volume)["inputs"]["esr"] == 25.0
    with pytest.raises(InputError, match="basdai_q1 = 12"):
        logic.computeClinicalIndices(dict(VISIT, basdai_q1=12), volume)


def test_export_writes_the_indices_beside_the_spine_results(scoring, tmp_path):
    from axspa.slicer.tables import sites_to_table

    logic = scoring.AxSpAScoringLogic()
    volume = film()
    table = sites_to_table(slicer.mrmlScene, [{"id": s, "point": None, "grade": 1} for s in CERVICAL_SITES],
                           findings=FINDINGS)
    markups = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode")
    markups.AddControlPoint(0.0, 0.0, 0.0, "C2i")
    plain = logic.exportResults(str(tmp_path / "before"), volume, markups, table)
    assert not any("clinical" in f for f in plain["files"])  # no indices computed: none written

    logic.computeClinicalIndices(VISIT, volume)
    exported = logic.exportResults(str(tmp_path / "out"), volume, markups, table)
    assert str(tmp_path / "out" / "clinical.json") in exported["files"] and exported["kept"] == []
    saved = json.loads((tmp_path / "out" / "clinical.json").read_text())
    [visit] = saved["visits"]
    assert visit["asdas_crp"] == 3.64 and visit["inputs"]["basdai_q6"] == 8.0
    assert (tmp_path / "out" / "clinical.csv").read_text().splitlines()[1].startswith(",,3.64,very high,,")
    (tmp_path / "out" / "clinical.json").write_text("{}\n")  # edited by hand: kept, and said
    kept = logic.exportResults(str(tmp_path / "out"), volume, markups, table)["kept"]
    assert any("clinical.json" in message for message in kept)


# -------------------------------------------------------------------------------------------------- panel

class Widget(types.SimpleNamespace):
    def __init__(self, **properties):
        super().__init__(text="", slots={}, **properties)

    def connect(self, signal, slot):
        self.slots.setdefault(signal, []).append(slot)

    def emit(self, signal, *args):
        for slot in self.slots.get(signal, []):
            slot(*args)


def test_panel_compute_button_shows_the_indices_and_why_not(scoring, monkeypatch):
    from AxSpAScoringLib.clinical_panel import PARAMETERS, ClinicalPanel

    errors = []
    monkeypatch.setattr(slicer.util, "tryWithErrorDisplay", error_display_recorder(errors))
    names = [w.get("name") for w in ET.parse(UI).getroot().iter("widget")]
    ui = types.SimpleNamespace(**{name: Widget() for name in names})
    values = {PARAMETERS[k]: -1.0 if v is None else float(v) for k, v in VISIT.items()}
    parameters = types.SimpleNamespace(inputVolume=None, clinicalTable=None, **values)
    widget = types.SimpleNamespace(ui=ui, logic=scoring.AxSpAScoringLogic(), _parameterNode=parameters)
    ClinicalPanel(widget).connect()

    ui.clinicalComputeButton.emit("clicked(bool)")  # PythonQt drops the unused bool
    assert errors == []
    assert ui.clinicalResultsLabel.text.splitlines() == [
        "ASDAS-CRP: 3.64, very high disease activity", "ASDAS-ESR: not computed (no ESR (not measured))",
        "BASDAI: 5.10", "BASFI: 2.00", "BASDAI >= 2.1 (high risk): yes", "BASFI >= 3.6 (high risk): no"]
    table = parameters.clinicalTable
    assert table.GetName() == "Clinical indices" and "Clinical indices computed" in ui.statusLabel.text
    # Without a radiograph, the next Compute refills the same table; with one, the radiograph's own.
    parameters.clinicalEsr = 25.0
    ui.clinicalComputeButton.emit("clicked(bool)")
    assert parameters.clinicalTable is table
    assert "ASDAS-ESR: 3.40, high disease activity" in ui.clinicalResultsLabel.text
    parameters.inputVolume = film()
    ui.clinicalComputeButton.emit("clicked(bool)")
    assert parameters.clinicalTable is not table
    # A value off its scale (typed in the console) is shown as an error; the label keeps the last result.
    parameters.clinicalBasfi3 = 11.0
    with pytest.raises(InputError):
        ui.clinicalComputeButton.emit("clicked(bool)")
    assert "basfi_3 = 11 is not on the 0-10 scale" in errors[-1]
    assert "ASDAS-ESR: 3.40" in ui.clinicalResultsLabel.text
