"""AxSpA Scoring's pelvis section (issue 16, "In Slicer"), headless on a real slicer-core scene with a fake grader
that follows the predictor contract (predict(pixels, spacing_mm, joints=None)): the heat map in colour (the heat-map
colour table, zero transparent, window 0..1, a legend), over the radiograph in the slice views at the panel's
opacity, hidden by its toggle; the joints as "right SIJ" / "left SIJ" control points under the radiograph's study;
points the user moved passed to the grader as pixel coordinates by "Re-grade at points"; the panel's labels
(every grade's probability, both P(definite), the operating points), its widgets as stand-ins.

The film is 60 rows x 80 columns, 0.5 mm pixels, IJK-to-RAS flipping both in-plane axes with an offset, so pixel
(x, y) is RAS (10 - 0.5 x, 20 - 0.5 y, 0).
"""

from __future__ import annotations

import types
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from slicer_app_stubs import Widget, error_display_recorder, imported_module, wait_cursor_recorder

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "AxSpAScoring" / "Resources" / "UI" / "AxSpAScoring.ui"
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)

def _pipeline_takes_joints() -> bool:
    import inspect

    from axspa.sij.pipeline import score_pelvis

    return "joints" in inspect.signature(score_pelvis).parameters


# The grader's side of the contract (score_pelvis(joints=...), the joints and the direct estimate in the document)
# is written apart from this section; until it is in, the tests that need it say so instead of failing.
needs_joints = pytest.mark.skipif(not _pipeline_takes_joints(),
                                  reason="axspa.sij.pipeline.score_pelvis does not take joints= yet")

IJK_TO_RAS = np.array([[-0.5, 0, 0, 10.0], [0, -0.5, 0, 20.0], [0, 0, 1, 0], [0, 0, 0, 1]])
FOUND = {"right": (20.0, 30.0), "left": (60.0, 31.0)}  # where the fake grader finds the joints (column, row)


class FakeGrader:
    """The sij-grader predictor contract (/tmp/sij/CONTRACT.md), recording where it was asked to grade."""

    bundle_id = "sij-fake@0.0.1"

    def __init__(self):
        self.calls = []

    def predict(self, pixels, spacing_mm, joints=None):
        self.calls.append(None if joints is None else {side: tuple(point) for side, point in joints.items()})
        where = joints or FOUND
        heat = np.zeros(pixels.shape, np.float32)
        for column, row in where.values():
            heat[int(row) - 5:int(row) + 5, int(column) - 5:int(column) + 5] = 0.9
        return {"right": [0.0, 0.1, 0.1, 0.7, 0.1], "left": [0.1, 0.6, 0.2, 0.1, 0.0], "heatmap": heat,
                "joints": {side: {"column": float(x), "row": float(y), "confidence": 0.9}
                           for side, (x, y) in where.items()},
                "definite_direct": 0.66,
                "operating_points": {"sensitive": 0.2, "balanced": 0.5, "specific": 0.95}, "warnings": []}


@pytest.fixture
def scoring(monkeypatch):
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


def pelvis_in_a_study():
    from axspa.slicer.volumes import array_to_volume

    volume = array_to_volume(slicer.mrmlScene, np.tile(np.arange(80, dtype=np.int16), (1, 60, 1)), IJK_TO_RAS,
                             "pelvis")
    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(slicer.mrmlScene)
    study = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "P01"), "2024-05-01")
    sh.CreateItem(study, volume)
    return volume, sh, study


def ras_of(column, row):
    return [float(v) for v in (IJK_TO_RAS @ [column, row, 0.0, 1.0])[:3]]


def points(node) -> dict:
    return {node.GetNthControlPointLabel(i): [float(v) for v in node.GetNthControlPointPosition(i)]
            for i in range(node.GetNumberOfControlPoints())}


def same_points(got: dict, expected: dict) -> bool:
    """Two {name: point} mappings with the same names and points within 1e-6."""
    return set(got) == set(expected) and all(np.allclose(got[k], expected[k], atol=1e-6) for k in expected)


def views(n=2):
    """The slice views' composite nodes (the application makes one per view)."""
    return [slicer.mrmlScene.AddNewNodeByClass("vtkMRMLSliceCompositeNode") for _ in range(n)]


# ------------------------------------------------------------------------------------------------------ logic

@needs_joints
def test_the_joints_become_points_under_the_study_and_moved_points_are_graded_as_pixels(scoring):
    logic, grader = scoring.AxSpAScoringLogic(), FakeGrader()
    volume, sh, study = pelvis_in_a_study()
    doc, heatmap = logic.scorePelvis(volume, model=grader)
    assert grader.calls == [None]  # the grader finds the joints itself
    joints = logic.sacroiliacJoints(volume)
    assert joints is not None and joints.GetName() == "Sacroiliac joints"
    assert same_points(points(joints), {"right SIJ": ras_of(*FOUND["right"]), "left SIJ": ras_of(*FOUND["left"])})
    assert sh.GetItemParent(sh.GetItemByDataNode(joints)) == study
    assert "grade 3" in joints.GetNthControlPointDescription(0)

    # The user drags the left point to pixel (55.5, 36) and presses "Re-grade at points".
    joints.SetNthControlPointPosition(1, *ras_of(55.5, 36.0))
    doc, again = logic.regradePelvisAtPoints(volume, model=grader)
    assert same_points(grader.calls[-1], {"right": FOUND["right"], "left": (55.5, 36.0)})
    assert again is heatmap  # the same heat map node, refilled
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 1
    assert points(joints)["left SIJ"] == pytest.approx(ras_of(55.5, 36.0))  # the point stays where the user put it
    values = slicer.util.arrayFromVolume(heatmap)[0]
    assert values[36, 55] == pytest.approx(0.9) and values[31, 60] == 0  # graded there, not where it was found

    # A point the user deleted: said, not graded somewhere else.
    joints.RemoveNthControlPoint(0)
    with pytest.raises(ValueError, match="right SIJ"):
        logic.regradePelvisAtPoints(volume, model=grader)
    assert len(grader.calls) == 2


@needs_joints
def test_regrading_before_grading_says_so(scoring):
    volume, _, _ = pelvis_in_a_study()
    with pytest.raises(ValueError, match="Grade the sacroiliac joints first"):
        scoring.AxSpAScoringLogic().regradePelvisAtPoints(volume, model=FakeGrader())


def test_the_heat_map_is_coloured_over_the_radiograph_at_the_opacity_and_hides(scoring):
    from axspa.slicer.volumes import HEAT_MAP_COLORS

    logic = scoring.AxSpAScoringLogic()
    volume, _, _ = pelvis_in_a_study()
    composites = views()
    _, heatmap = logic.scorePelvis(volume, model=FakeGrader())
    display = heatmap.GetDisplayNode()
    colors = display.GetColorNode()
    assert colors.GetName() == HEAT_MAP_COLORS and display.GetColorNodeID() == colors.GetID()
    rgba = [0.0] * 4
    colors.GetColor(0, rgba)
    assert rgba[3] == 0.0  # zero is transparent: the radiograph shows through
    colors.GetColor(255, rgba)
    assert rgba[3] == 1.0 and rgba[0] > 0.9 and rgba[2] < 0.1  # the hottest opaque red
    assert not display.GetAutoWindowLevel() and (display.GetWindowLevelMin(), display.GetWindowLevelMax()) == (0, 1)
    legend = slicer.vtkSlicerColorLogic.GetColorLegendDisplayNode(heatmap)
    assert legend is not None

    assert logic.showHeatmapLayers(heatmap, 0.3, True, background=volume) == 2
    for composite in composites:
        assert composite.GetBackgroundVolumeID() == volume.GetID()
        assert composite.GetForegroundVolumeID() == heatmap.GetID()
        assert composite.GetForegroundOpacity() == pytest.approx(0.3)
    assert legend.GetVisibility() and display.GetVisibility()

    logic.showHeatmapLayers(heatmap, 0.3, False)
    assert all(c.GetForegroundVolumeID() is None for c in composites)
    assert all(c.GetBackgroundVolumeID() == volume.GetID() for c in composites)  # the radiograph stays
    assert not legend.GetVisibility() and not display.GetVisibility()
    logic.showHeatmapLayers(heatmap, 1.7, True)
    assert all(c.GetForegroundVolumeID() == heatmap.GetID() and c.GetForegroundOpacity() == 1.0 for c in composites)
    assert legend.GetVisibility()


# ------------------------------------------------------------------------------------------------------ panel

@pytest.fixture
def panel(scoring, monkeypatch):
    """The module's widget on its .ui's widget names (stand-ins), the fake grader as the installed model."""
    names = [w.get("name") for w in ET.parse(UI).getroot().iter("widget")]
    errors, cursor, layers = [], [], []
    wait_cursor = wait_cursor_recorder(cursor)
    monkeypatch.setattr(slicer.util, "tryWithErrorDisplay", error_display_recorder(errors, wait_cursor))
    monkeypatch.setattr(slicer.util, "WaitCursor", wait_cursor)
    monkeypatch.setattr(slicer.util, "setSliceViewerLayers", lambda **kw: layers.append(kw))
    monkeypatch.setattr(slicer.app, "processEvents", lambda: None, raising=False)
    widget = scoring.AxSpAScoringWidget()
    widget.ui = types.SimpleNamespace(**{name: Widget() for name in names})
    widget.ui.heatmapOpacitySliderWidget.value = 0.5
    widget.ui.showHeatmapCheckBox.checked = True
    widget.logic = scoring.AxSpAScoringLogic()
    grader = FakeGrader()
    widget.logic.loadSijModel = lambda: grader
    widget.logic.ensureModelDependencies = lambda bundles, modelDir=None: None
    volume, _, _ = pelvis_in_a_study()
    widget._parameterNode = types.SimpleNamespace(
        inputVolume=None, region="auto", otherVolume=None, outputMarkups=None, otherMarkups=None, outputTable=None,
        findingThreshold=0.5, pelvisVolume=volume, heatmapVolume=None, heatmapOpacity=0.5, showHeatmap=True,
        readerTable=None, disagreementTable=None, readerName="", study="", placePoints=True)
    widget.makePanelHelpers(defer=lambda function: function())
    widget._checkCanApply()
    widget.errors, widget.grader, widget.layers = errors, grader, layers
    yield widget
    widget.cleanup()


def test_the_ui_has_the_pelvis_controls_bound_to_the_parameter_node(scoring):
    root = ET.parse(UI).getroot()
    widgets = {w.get("name"): w for w in root.iter("widget")}
    pelvis = {w.get("name") for w in widgets["pelvisCollapsibleButton"].iter("widget")}
    assert {"sijRegradeButton", "rightProbabilitiesLabel", "leftProbabilitiesLabel", "operatingPointsLabel",
            "showHeatmapCheckBox", "heatmapOpacitySliderWidget"} <= pelvis

    def bound(name):
        return "".join(widgets[name].find("property[@name='SlicerParameterName']").itertext()).strip()

    assert bound("showHeatmapCheckBox") == "showHeatmap" and bound("heatmapOpacitySliderWidget") == "heatmapOpacity"
    annotations = scoring.AxSpAScoringParameterNode.__annotations__
    assert "showHeatmap" in annotations and "heatmapOpacity" in annotations


def test_panel_grade_shows_probabilities_and_the_heat_map_follows_opacity_and_toggle(panel):
    ui, p = panel.ui, panel._parameterNode
    composites = views()
    assert ui.sijApplyButton.enabled and not ui.sijRegradeButton.enabled  # no points to move yet
    assert not ui.heatmapOpacitySliderWidget.enabled and not ui.showHeatmapCheckBox.enabled

    ui.sijApplyButton.emit("clicked(bool)")
    assert panel.errors == [] and ui.statusLabel.text == "Graded."
    assert ui.rightGradeLabel.text == "3 unequivocal (p=0.70)"
    assert ui.rightProbabilitiesLabel.text == "P(0)=0.00, P(1)=0.10, P(2)=0.10, P(3)=0.70, P(4)=0.10"
    assert ui.leftProbabilitiesLabel.text == "P(0)=0.10, P(1)=0.60, P(2)=0.20, P(3)=0.10, P(4)=0.00"
    assert ui.definiteLabel.text.startswith("yes (P(definite)=")
    assert p.heatmapVolume is not None and panel.layers[-1]["background"] is p.pelvisVolume
    assert all(c.GetForegroundVolumeID() == p.heatmapVolume.GetID() and c.GetForegroundOpacity() == 0.5
               for c in composites)
    assert ui.heatmapOpacitySliderWidget.enabled and ui.showHeatmapCheckBox.enabled

    ui.heatmapOpacitySliderWidget.value = 0.8
    ui.heatmapOpacitySliderWidget.emit("valueChanged(double)", 0.8)
    assert all(c.GetForegroundOpacity() == pytest.approx(0.8) for c in composites)
    ui.showHeatmapCheckBox.checked = False
    ui.showHeatmapCheckBox.emit("toggled(bool)", False)
    assert all(c.GetForegroundVolumeID() is None for c in composites)
    ui.showHeatmapCheckBox.checked = True
    ui.showHeatmapCheckBox.emit("toggled(bool)", True)
    assert all(c.GetForegroundVolumeID() == p.heatmapVolume.GetID() for c in composites)
    # Grading again refills the same heat map.
    heatmap = p.heatmapVolume
    ui.sijApplyButton.emit("clicked(bool)")
    assert p.heatmapVolume is heatmap and slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 2


@needs_joints
def test_panel_shows_both_probabilities_and_regrades_at_the_moved_points(panel):
    ui, p = panel.ui, panel._parameterNode
    ui.sijApplyButton.emit("clicked(bool)")
    assert ui.definiteLabel.text.endswith(", 0.66 direct)")
    assert ui.operatingPointsLabel.text.startswith("sensitive (threshold 0.20): ")
    assert ui.sijRegradeButton.enabled

    joints = panel.logic.sacroiliacJoints(p.pelvisVolume)
    joints.SetNthControlPointPosition(0, *ras_of(24.0, 28.0))
    ui.sijRegradeButton.emit("clicked(bool)")
    assert panel.errors == [] and ui.statusLabel.text == "Graded at your points."
    assert same_points(panel.grader.calls[-1], {"right": (24.0, 28.0), "left": FOUND["left"]})
