import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
from AxSpAScoringLib.logic import CohortLogic, ModelLogic, ReadingLogic
from AxSpAScoringLib.selftest import SelfTests
from AxSpAScoringLib.widget import WidgetLifecycle
from slicer import vtkMRMLMarkupsFiducialNode, vtkMRMLScalarVolumeNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import Choice, WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin


def _addEngineToPath() -> None:
    """Make the `axspa` engine importable: installed, it sits beside this file in qt-scripted-modules;
    in a source checkout (module path <repo>/AxSpAScoring) it is one folder up."""
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, os.path.dirname(here)):
        if os.path.isfile(os.path.join(folder, "axspa", "__init__.py")):
            if folder not in sys.path:
                sys.path.append(folder)
            return


_addEngineToPath()


class AxSpAScoring(ScriptedLoadableModule):
    """Uses ScriptedLoadableModule base class, available at:
    https://github.com/Slicer/Slicer/blob/main/Base/Python/slicer/ScriptedLoadableModule.py
    """

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("AxSpA Scoring")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "Quantification")]
        self.parent.dependencies = []
        self.parent.contributors = ["SlicerAxSpA contributors"]
        self.parent.helpText = _("""
Scores axial spondyloarthritis radiographs for research: the mSASSS (24 anterior vertebral corners of
lateral cervical and lumbar radiographs, 0-72) and the modified New York grade of both sacroiliac
joints on an AP pelvic radiograph. A film can be read by hand without any model ("New reading": choose a
grade or tick the findings per site, click the corners in order, "Save reading"). The bundled spine
models (landmarks and corner findings) are trained on synthetic phantoms and are not validated on real
patients; no sacroiliac model is bundled yet (choose your own model folder).
See the <a href="https://github.com/SlicerAxSpA/SlicerAxSpA#readme">documentation</a>.
""")
        self.parent.acknowledgementText = _("""
Scoring rules follow the published mSASSS and modified New York criteria; the model designs follow
Chen et al. 2024, Koo et al. 2022 and Bressem et al. 2021. Built on the 3D Slicer scripted module template.
""")
        # Sample data sets are registered once the Sample Data module exists.
        slicer.app.connect("startupCompleted()", registerSampleData)



def registerSampleData():
    """Add the phantom radiographs listed in Resources/SampleData/manifest.json to Sample Data."""
    from axspa.slicer.samples import register_samples

    register_samples(__file__, "AxSpAScoring", "AxSpA Scoring")



@parameterNodeWrapper
class AxSpAScoringParameterNode:
    """The parameters needed by the module (nodes left empty are created when needed; no GUI: none)."""

    inputVolume: vtkMRMLScalarVolumeNode  # lateral spine radiograph
    region: Annotated[str, Choice(["auto", "cervical", "lumbar"])] = "auto"
    otherVolume: vtkMRMLScalarVolumeNode  # optional film of the other segment of the visit (study total)
    outputMarkups: vtkMRMLMarkupsFiducialNode  # sites of inputVolume as control points
    otherMarkups: vtkMRMLMarkupsFiducialNode  # sites of otherVolume (no GUI)
    outputTable: vtkMRMLTableNode  # one row per site of both radiographs
    findingThreshold: Annotated[float, WithinRange(0.05, 0.95)] = 0.5  # probability above which a finding counts
    pelvisVolume: vtkMRMLScalarVolumeNode  # AP pelvic radiograph for sacroiliitis
    heatmapVolume: vtkMRMLScalarVolumeNode  # where the sacroiliitis heat map goes (no GUI)
    heatmapOpacity: Annotated[float, WithinRange(0.0, 1.0)] = 0.5  # the heat map over the radiograph
    showHeatmap: bool = True
    readerTable: vtkMRMLTableNode  # a reader's grades (site, grade) as a table, to compare with outputTable
    disagreementTable: vtkMRMLTableNode  # where the comparison with the reader goes (no GUI)
    readerName: str = ""  # who reads, for a manual reading ("New reading")
    study: str = ""  # and which study
    placePoints: bool = True  # whether "New reading" also makes the points to place in order
    # The visit's clinical indices (AxSpAScoringLib/clinical_panel.py): 0-10 answers, CRP in mg/L, ESR in mm/h;
    # -1 (the spin boxes' lowest value) is "not answered" / "not measured".
    clinicalBasdaiQ1: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # fatigue
    clinicalBasdaiQ2: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # spinal pain
    clinicalBasdaiQ3: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # peripheral joint pain/swelling
    clinicalBasdaiQ4: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # enthesitis (tenderness)
    clinicalBasdaiQ5: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # morning stiffness severity
    clinicalBasdaiQ6: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # morning stiffness duration (0-2 h)
    clinicalBasfi1: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi2: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi3: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi4: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi5: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi6: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi7: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi8: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi9: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalBasfi10: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalCrp: Annotated[float, WithinRange(-1.0, 1000.0)] = -1.0  # mg/L
    clinicalEsr: Annotated[float, WithinRange(-1.0, 200.0)] = -1.0  # mm/h
    clinicalBackPain: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # not answered: BASDAI Q2
    clinicalPatientGlobal: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0
    clinicalPeripheral: Annotated[float, WithinRange(-1.0, 10.0)] = -1.0  # not answered: BASDAI Q3
    clinicalTable: vtkMRMLTableNode  # the "Clinical indices" table last computed (no GUI)



class AxSpAScoringWidget(WidgetLifecycle, ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The panel: one object per workflow (AxSpAScoringLib: spinePanel model scoring, readingPanel manual
    reading, sijPanel sacroiliac joints, comparePanel a reader's grades, clinicalPanel the clinical indices), each
    connecting its own buttons; the life cycle shared by every module is in AxSpAScoringLib/widget.py."""

    def __init__(self, parent=None) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)  # needed for parameter node observation
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._job = None  # the model job runner (progress bar, Cancel button), made in setup()
        self._live = None  # totals that follow every edit of the output table (AxSpAScoringLib.panel.LiveScore)
        self._siteEditor = None  # the "Selected site" box (AxSpAScoringLib.panel.SiteEditor)
        self._placement = None  # place mode over a reading's point lists (AxSpAScoringLib.panel.Placement)
        self.spinePanel = self.readingPanel = self.sijPanel = self.comparePanel = None  # the workflows
        self.clinicalPanel = None

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        import qt

        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/AxSpAScoring.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)  # the .ui connects mrmlSceneChanged to each MRML widget
        self.logic = AxSpAScoringLogic()
        self.makePanelHelpers(defer=lambda function: qt.QTimer.singleShot(0, function))
        # These connections ensure that we update parameter node when scene is closed
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.initializeParameterNode()  # needed for module reload

    def makePanelHelpers(self, defer) -> None:
        """The model job runner and the workflows on it (AxSpAScoringLib.widget.makeWorkflows); ``defer`` runs a
        function once Qt is back in its loop."""
        from AxSpAScoringLib.widget import makeWorkflows

        from axspa.slicer.panel_job import PanelJob

        self._job = PanelJob(
            slicer, self.ui, busy=lambda running: self._checkCanApply(), title=_("AxSpA Scoring"), tr=_,
            hint=_("Without a model, read the film by hand: 'New reading' lists the sites of the region (and lets "
                   "you click the corners), choose a grade per site, then 'Save reading'."))
        makeWorkflows(self, defer)

    def setParameterNode(self, inputParameterNode: Optional[AxSpAScoringParameterNode]) -> None:
        """Set and observe parameter node, so the GUI always shows the node's state."""
        from axspa.slicer.parameters import connect_parameters_to_gui

        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            # The .ui's "SlicerParameterName" properties bind widgets (two-way); the tag lets exit() undo it.
            self._parameterNodeGuiTag = connect_parameters_to_gui(self._parameterNode, self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)
            self._checkCanApply()

    def _checkCanApply(self, caller=None, event=None) -> None:
        from AxSpAScoringLib.workflow import updatePanel

        updatePanel(self)



class AxSpAScoringLogic(CohortLogic, ModelLogic, ReadingLogic, ScriptedLoadableModuleLogic):
    """Scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("AxSpAScoring")
    result = logic.process(getNode("cspine"), region="auto")        # models -> control points + table
    reading = logic.newReading(cspine, "cervical", reader="R1", study="P01-V1")  # by hand, no model

    The methods, with more examples, are in AxSpAScoringLib/logic.py: ModelLogic (the models), ReadingLogic
    (what needs no model) and CohortLogic (a cohort scored into per-case folders and tables).
    """

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self._trustedModelDirs = set()  # model folders whose bundle code the user agreed to run

    def getParameterNode(self):
        return AxSpAScoringParameterNode(super().getParameterNode())



class AxSpAScoringTest(SelfTests, ScriptedLoadableModuleTest):
    """The module's self-tests, on ScriptedLoadableModuleTest."""

    Logic = AxSpAScoringLogic

    def setUp(self):
        """Do whatever is needed to reset the state - typically a scene clear will be enough."""
        slicer.mrmlScene.Clear()

    def runTest(self):
        """Run as few or as many tests as needed here (the others are in AxSpAScoringLib/selftest.py)."""
        self.setUp()
        self.test_ModelMissingIsReported()
        for test in (self.test_RescoreManualReading, self.test_CompareWithReader, self.test_GradeOverrideIsMarked,
                     self.test_ManualReadingRoundTrip):
            self.setUp()
            test()

    def test_ModelMissingIsReported(self):
        """Without an installed model, scoring says which bundle is missing instead of failing obscurely."""
        import numpy as np

        from axspa.bundles import ModelMissingError, find_bundle

        try:
            for name in AxSpAScoringLogic.SPINE_BUNDLES:
                find_bundle(name)
            self.delayDisplay("Spine models are installed: nothing missing to report")
            return
        except ModelMissingError:
            pass
        volume = slicer.util.addVolumeFromArray(np.zeros((1, 64, 48), dtype=np.int16), name="blank")
        with self.assertRaises(ModelMissingError) as raised:
            AxSpAScoringLogic().scoreSpine(volume, "cervical")
        self.assertIn("spine-", str(raised.exception))
        self.delayDisplay("Test passed")

