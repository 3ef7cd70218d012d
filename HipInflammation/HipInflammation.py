import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
from HipInflammationLib.logic import OUTPUT_PARAMETERS, CohortLogic, ModelLogic, ScoringLogic  # noqa: F401
from HipInflammationLib.panel import askAboutEditedSegments, scoreHint, selectOutputsOf, showResultsTable
from slicer import vtkMRMLPlotChartNode, vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode
from slicer.i18n import tr as _
from slicer.i18n import translate
from slicer.parameterNodeWrapper import WithinRange, parameterNodeWrapper
from slicer.ScriptedLoadableModule import (
    ScriptedLoadableModule,
    ScriptedLoadableModuleLogic,
    ScriptedLoadableModuleTest,
    ScriptedLoadableModuleWidget,
)
from slicer.util import VTKObservationMixin


def _addEngineToPath() -> None:
    """Make the `axspa` engine importable: installed, it sits beside this file in qt-scripted-modules;
    in a source checkout (module path <repo>/HipInflammation) it is one folder up."""
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (here, os.path.dirname(here)):
        if os.path.isfile(os.path.join(folder, "axspa", "__init__.py")):
            if folder not in sys.path:
                sys.path.append(folder)
            return


_addEngineToPath()


#
# HipInflammation
#


class HipInflammation(ScriptedLoadableModule):
    """Uses ScriptedLoadableModule base class, available at:
    https://github.com/Slicer/Slicer/blob/main/Base/Python/slicer/ScriptedLoadableModule.py
    """

    def __init__(self, parent):
        ScriptedLoadableModule.__init__(self, parent)
        self.parent.title = _("Hip Inflammation")
        self.parent.categories = [translate("qSlicerAbstractCoreModule", "Quantification")]
        self.parent.dependencies = []
        self.parent.contributors = ["SlicerAxSpA contributors"]
        self.parent.helpText = _("""
Segments femoral heads, acetabula, bone marrow edema (BME) and effusion-synovitis on coronal STIR MRI
of the hips, and scores them per patient side: the UNet-score (Zheng et al. 2023: lesion gray-value
proportion summed over up to 15 coronal slices around the largest femoral head), its area-fraction
variant, lesion volumes and HIMRISS-style slice sums (not the official HIMRISS reader protocol).
"Segment with model" runs the installed hip-segmenter model, or a bundle folder you choose (the panel says
which it will use, or that none is installed), into the ten segments the scores read (patient sides; a
segmentation of your own needs these names, matched ignoring case): Right femoral head, Left femoral head,
Right acetabulum, Left acetabulum, Right femoral BME, Left femoral BME, Right acetabular BME, Left
acetabular BME, Right effusion-synovitis, Left effusion-synovitis. Segments you edited are never
overwritten. A per-slice table and a plot of the lesion proportion per slice go with the scores. "Score
existing segmentation" (named "Recompute scores" once scored) scores the selected segmentation as it is now,
e.g. after editing it in Segment Editor, without running any model; it is disabled until a STIR volume and a
segmentation (Outputs) are selected. "Export..." writes hip.json, the per-slice CSV and the .seg.nrrd into a
folder you choose. Models trained with this extension learn from synthetic phantoms and are not validated on
real patients.
See the <a href="https://github.com/SlicerAxSpA/SlicerAxSpA#readme">documentation</a>.
""")
        self.parent.acknowledgementText = _("""
The scoring follows Zheng et al. 2023 (UNet-score) and the HIMRISS hip inflammation MRI scoring system.
Built on the 3D Slicer scripted module template.
""")
        # Sample data sets are registered once the Sample Data module exists.
        slicer.app.connect("startupCompleted()", registerSampleData)


#
# Register sample data sets in Sample Data module
#


def registerSampleData():
    """Add the phantom STIR series listed in Resources/SampleData/manifest.json to Sample Data."""
    from axspa.slicer.samples import register_samples

    register_samples(__file__, "HipInflammation", "Hip Inflammation")


#
# HipInflammationParameterNode
#


@parameterNodeWrapper
class HipInflammationParameterNode:
    """
    The parameters needed by the module.

    inputVolume - coronal STIR MRI.
    outputSegmentation - hip segments (created when empty; segments the user edited are kept).
    resultsTable - per side scores (created when empty).
    slicesTable - per-slice values of both sides (created when empty).
    plotChart - lesion proportion per slice (created when empty; no GUI).
    halfWidth - slices scored on each side of the slice with the largest femoral head.
    minLesionAreaMm2 - smallest lesion area on a slice counted in the HIMRISS-style sums.
    """

    inputVolume: vtkMRMLScalarVolumeNode
    outputSegmentation: vtkMRMLSegmentationNode
    resultsTable: vtkMRMLTableNode
    slicesTable: vtkMRMLTableNode
    plotChart: vtkMRMLPlotChartNode
    halfWidth: Annotated[int, WithinRange(0, 30)] = 7
    minLesionAreaMm2: Annotated[float, WithinRange(0.0, 500.0)] = 5.0


#
# HipInflammationWidget
#


class HipInflammationWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
    """Uses ScriptedLoadableModuleWidget base class, available at:
    https://github.com/Slicer/Slicer/blob/main/Base/Python/slicer/ScriptedLoadableModule.py
    """

    def __init__(self, parent=None) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)  # needed for parameter node observation
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._job = None  # the job runner (progress bar, status line), made in setup()
        self._modelRunning = False  # while the model runs, Apply is the Cancel button
        self._lastInput = None  # outputs follow the input volume when it changes

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.setup(self)

        # Load widget from .ui file (created by Qt Designer).
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/HipInflammation.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)

        # Set scene in MRML widgets (the .ui connects mrmlSceneChanged to each MRML widget).
        uiWidget.setMRMLScene(slicer.mrmlScene)

        from axspa.slicer.panel_job import PanelJob

        self.logic = HipInflammationLogic()
        self._job = PanelJob(
            slicer, self.ui, busy=lambda running: self._checkCanApply(), title=_("Hip Inflammation"),
            hint=_("A segmentation you draw can still be scored with 'Score existing segmentation'."), tr=_)

        # These connections ensure that we update parameter node when scene is closed
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)

        # Buttons
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.scoreButton.connect("clicked(bool)", self.onScoreButton)
        self.ui.exportButton.connect("clicked(bool)", self.onExportButton)
        self.ui.modelDirPathLineEdit.connect("currentPathChanged(QString)", self.onModelDirChanged)

        # The segment names a segmentation needs, from the engine (the .ui holds the same text).
        from axspa.hip.segments import HIP_SEGMENTS

        self.ui.segmentNamesLabel.text = _("Scored segments (names matched ignoring case): {names}.").format(
            names=", ".join(segment.name for segment in HIP_SEGMENTS))

        # Make sure parameter node is initialized (needed for module reload)
        self.initializeParameterNode()
        self.onModelDirChanged()

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()

    def onReload(self) -> None:
        """Reload re-reads HipInflammationLib and the axspa engine too (Slicer's re-runs only this file)."""
        from axspa.slicer.reload import forget_modules

        forget_modules(("HipInflammationLib", "axspa"))
        ScriptedLoadableModuleWidget.onReload(self)

    def enter(self) -> None:
        """Called each time the user opens this module."""
        self.initializeParameterNode()

    def exit(self) -> None:
        """Called each time the user opens a different module."""
        # Do not react to parameter node changes (GUI will be updated when the user enters into the module)
        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self._parameterNodeGuiTag = None
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)

    def onSceneStartClose(self, caller, event) -> None:
        """Called just before the scene is closed."""
        self.setParameterNode(None)

    def onSceneEndClose(self, caller, event) -> None:
        """Called just after the scene is closed."""
        if self.parent.isEntered:
            self.initializeParameterNode()

    def initializeParameterNode(self) -> None:
        """Ensure parameter node exists and observed."""
        self.setParameterNode(self.logic.getParameterNode())

        # Select default input nodes if nothing is selected yet to save a few clicks for the user
        if not self._parameterNode.inputVolume:
            firstVolumeNode = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLScalarVolumeNode")
            if firstVolumeNode:
                self._parameterNode.inputVolume = firstVolumeNode

    def setParameterNode(self, inputParameterNode: Optional[HipInflammationParameterNode]) -> None:
        """Set and observe parameter node, so the GUI always shows the node's state."""
        from axspa.slicer.parameters import connect_parameters_to_gui

        if self._parameterNode:
            self._parameterNode.disconnectGui(self._parameterNodeGuiTag)
            self.removeObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)
        self._parameterNode = inputParameterNode
        if self._parameterNode:
            # Note: in the .ui file, a Qt dynamic property called "SlicerParameterName" is set on each
            # widget that binds to a parameter (two-way); the tag lets exit() undo it.
            self._parameterNodeGuiTag = connect_parameters_to_gui(self._parameterNode, self.ui)
            self.addObserver(self._parameterNode, vtk.vtkCommand.ModifiedEvent, self._checkCanApply)
            self._checkCanApply()

    def _checkCanApply(self, caller=None, event=None) -> None:
        from axspa.slicer.outputs import output_kind

        p = self._parameterNode
        if p is not None and p.inputVolume is not self._lastInput:
            self._lastInput = p.inputVolume
            self._selectOutputsOf(p)
        idle = not (self._job and self._job.running)
        hasInput = bool(p and p.inputVolume)
        hasSegmentation = hasInput and bool(p.outputSegmentation)
        # While the model runs, Apply becomes Cancel (the same place the user just clicked).
        if not hasattr(self, "_applyText"):
            self._applyText = self.ui.applyButton.text
        self.ui.applyButton.text = _("Cancel") if self._modelRunning else self._applyText
        self.ui.applyButton.enabled = self._modelRunning or (idle and hasInput)
        self.ui.applyButton.toolTip = (
            _("Stop after the current step") if self._modelRunning else
            _("Segment the hips with the model (installed, or the folder chosen above), then score them")
            if hasInput else _("Select a STIR volume"))
        scored = hasSegmentation and output_kind(p.outputSegmentation) == "segmentation"
        self.ui.scoreButton.text = _("Recompute scores") if scored else _("Score existing segmentation")
        self.ui.scoreButton.enabled = idle and hasSegmentation
        self.ui.scoreButton.toolTip = (
            _("Score the segments as they are now (e.g. edited in Segment Editor), without running any model")
            if hasSegmentation else _("Select a STIR volume and, under Outputs, the segmentation to score"))
        self.ui.exportButton.enabled = idle and hasSegmentation
        self.ui.scoreHintLabel.text = self._scoreHint(idle, hasInput, hasSegmentation, scored)
        self.ui.progressBar.visible = not idle
        if p and p.resultsTable:
            self._showResultsTable(p.resultsTable)

    _scoreHint = staticmethod(scoreHint)  # (idle, hasInput, hasSegmentation, scored) -> the hint's text

    def _showResultsTable(self, table) -> None:
        """The per-side table, its columns fitted to the panel."""
        showResultsTable(self.ui.resultsTableView, table)

    def _selectOutputsOf(self, p) -> None:
        """Outputs of a new input volume (see HipInflammationLib.panel.selectOutputsOf)."""
        selectOutputsOf(p)

    def _modelDir(self):
        """The model folder chosen in the panel, or None for the installed bundle."""
        return self.ui.modelDirPathLineEdit.currentPath or None

    def onModelDirChanged(self, path=None) -> None:
        """Say which model "Segment with model" will use, or why there is none."""
        from axspa.bundles import ModelMissingError, find_bundle
        from axspa.slicer.packages import model_folder

        try:
            folder = find_bundle(self.logic.HIP_BUNDLES[0], model_folder(self._modelDir()))
            self.ui.modelStatusLabel.text = _("Model: {folder}").format(folder=folder)
        except ModelMissingError as exc:
            self.ui.modelStatusLabel.text = str(exc)

    # -------------------------------------------------------------------------------- running a job

    def onApplyButton(self) -> None:
        """Segment with the model, then score, when the user clicks "Segment with model" (Cancel while running)."""
        if self._modelRunning:
            self._job.request_cancel()
            return
        p = self._parameterNode
        modelDir = self._modelDir()

        def job():  # questions (edited segments, installs, a bundle's own code) first, then the wait cursor
            onEdited = self._askAboutEditedSegments(p.inputVolume, p.outputSegmentation)
            self.logic.ensureModelDependencies(modelDir)
            model = self.logic.loadModel(modelDir)
            with self._job.computing():
                return self.logic.segmentWithModel(
                    p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth, minLesionAreaMm2=p.minLesionAreaMm2,
                    resultsTable=p.resultsTable, slicesTable=p.slicesTable, plotChart=p.plotChart, model=model,
                    onEdited=onEdited, progress=self._job.progress, cancel=self._job.cancel)

        self._modelRunning = True
        try:
            result = self._job.run(job)
        finally:
            self._modelRunning = False
            self._checkCanApply()
        if result is None:
            return
        if modelDir:
            self.ui.modelDirPathLineEdit.addCurrentPathToHistory()
        self._showResult(result, _("Segmented and scored."))

    def _askAboutEditedSegments(self, volume, segmentation) -> str:
        """"keep" or "new": what the model does with segments the user edited in the chosen segmentation."""
        edited = self.logic.editedSegments(volume, segmentation) if volume and segmentation else []
        return askAboutEditedSegments(slicer, segmentation, edited)

    def onScoreButton(self) -> None:
        """Score the selected segmentation as it is now (drawn, or edited in Segment Editor); needs no model."""
        p = self._parameterNode
        result = self._job.run(lambda: self.logic.scoreSegmentation(
            p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth, minLesionAreaMm2=p.minLesionAreaMm2,
            resultsTable=p.resultsTable, slicesTable=p.slicesTable, plotChart=p.plotChart), waitCursor=True)
        if result is not None:
            self._showResult(result, _("Scored the segments as they are now (no model run)."))

    def onExportButton(self) -> None:
        """Write hip.json, <stem>.slices.csv and <stem>.seg.nrrd of the segments as they are now."""
        import qt

        from axspa.slicer.saving import save_keeping_edits

        p = self._parameterNode
        settings = qt.QSettings()
        start = settings.value("HipInflammation/ExportFolder") or os.path.expanduser("~")
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), _("Export the hip result to"), start)
        if not folder:
            return

        def export(overwrite=False):
            return self._job.run(lambda: self.logic.exportResults(
                folder, p.inputVolume, p.outputSegmentation, overwrite=overwrite, halfWidth=p.halfWidth,
                minLesionAreaMm2=p.minLesionAreaMm2, resultsTable=p.resultsTable, slicesTable=p.slicesTable,
                plotChart=p.plotChart), waitCursor=True)  # asks nothing: "Replace them?" comes after

        def exportRemembering(overwrite):
            result = export(overwrite)
            if result is not None:
                settings.setValue("HipInflammation/ExportFolder", folder)
            return result

        result = save_keeping_edits(exportRemembering, lambda question: slicer.util.confirmYesNoDisplay(
            question, windowTitle=_("Hip Inflammation")), _)
        if result is None:
            return
        self._showResult(result, _("Exported to {folder}.").format(folder=folder))

    def _showResult(self, result: dict, status: str) -> None:
        from axspa.hip.texts import hip_summary

        p = self._parameterNode
        p.outputSegmentation, p.resultsTable = result["segmentation"], result["table"]
        p.slicesTable, p.plotChart = result["slices"], result["plot"]
        self.ui.summaryLabel.text = hip_summary(result["document"]["sides"])
        self.ui.warningsLabel.text = "\n".join(result["warnings"]) or _("none")
        self._showResultsTable(result["table"])
        self.ui.statusLabel.text = status
        self._checkCanApply()
        self.logic.showResults(p.inputVolume, result)


#
# HipInflammationLogic
#


class HipInflammationLogic(CohortLogic, ModelLogic, ScoringLogic, ScriptedLoadableModuleLogic):
    """Segmentation and scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("HipInflammation")
    doc = logic.process(getNode("STIR"))              # model -> segments, tables, plot; the axspa.hip/1 document
    doc["sides"]["right"]["unet_score"]["gray_value"]
    # ... edit the segments in Segment Editor, then, with no model run:
    doc = logic.recompute(getNode("STIR"))
    logic.exportResults("/path/to/folder", getNode("STIR"), logic.outputNodes(getNode("STIR"))["segmentation"])
    batch = logic.processCohort("/data/cohort.csv", "/data/out")    # a cohort's hip series, as `axspa batch`
    case = logic.loadCase("/data/out", "P001-V1-hip")               # one scored case: STIR, segments, slices

    process() and recompute() find the nodes an earlier run made for the same volume (node references) and
    update them; segments the user edited are never overwritten (onEdited="keep" leaves them as they are,
    "new" writes the model's segments into a new segmentation). modelDir is a folder of the user's own
    bundle; a bundle that would run its own code is loaded only after the user agrees. The methods are in
    HipInflammationLib/logic.py: ModelLogic (loading the model), ScoringLogic (segmenting and scoring) and
    CohortLogic (processCohort, loadCase: a cohort scored in this process into per-case folders and tables).
    """

    HIP_BUNDLES = ModelLogic.HIP_BUNDLES

    def __init__(self) -> None:
        """Called when the logic class is instantiated. Can be used for initializing member variables."""
        ScriptedLoadableModuleLogic.__init__(self)
        self._trustedModelDirs = set()  # model folders whose bundle code the user agreed to run

    def getParameterNode(self):
        return HipInflammationParameterNode(super().getParameterNode())


#
# HipInflammationTest
#


class HipInflammationTest(ScriptedLoadableModuleTest):
    """
    This is the test case for your scripted module.
    Uses ScriptedLoadableModuleTest base class, available at:
    https://github.com/Slicer/Slicer/blob/main/Base/Python/slicer/ScriptedLoadableModule.py
    """

    def setUp(self):
        """Do whatever is needed to reset the state - typically a scene clear will be enough."""
        slicer.mrmlScene.Clear()

    def runTest(self):
        """Run as few or as many tests as needed here."""
        self.setUp()
        self.test_ScoreSegmentationFromMasks()
        self.setUp()
        self.test_RecomputeUsesEditedSegments()

    def test_ScoreSegmentationFromMasks(self):
        """Hip segments built from masks score as worked by hand."""
        import numpy as np

        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.slicer.segmentations import masks_to_segmentation

        self.delayDisplay("Scoring a hip segmentation built from masks")
        # Identity geometry, 1 mm voxels: array axis 1 (j, anterior-posterior) is the coronal axis.
        stir = np.full((8, 40, 40), 100, dtype=np.int16)
        head = np.zeros(stir.shape, dtype=bool)
        head[0:4, 10:15, 10:20] = True  # 5 coronal slices (j 10-14), 4 x 10 = 40 mm2 each
        bme = np.zeros(stir.shape, dtype=bool)
        bme[0:2, 11:13, 10:15] = True  # coronal slices 11 and 12, 2 x 5 = 10 mm2 each
        stir[bme] = 300
        volume = slicer.util.addVolumeFromArray(stir, name="STIR")
        seg = masks_to_segmentation(slicer.mrmlScene, {"Right femoral head": head, "Right femoral BME": bme},
                                    volume, segments=HIP_SEGMENTS)
        result = HipInflammationLogic().scoreSegmentation(volume, seg)
        right, left = result["document"]["sides"]["right"], result["document"]["sides"]["left"]
        self.assertTrue(right["femoral_head_found"])
        self.assertFalse(left["femoral_head_found"])
        # Slices 11 and 12: gray value 10*300 / (30*100 + 10*300) = 0.5 each; area fraction 10/40 each.
        self.assertAlmostEqual(right["unet_score"]["gray_value"], 1.0, places=6)
        self.assertAlmostEqual(right["unet_score"]["area_fraction"], 0.5, places=6)
        self.assertAlmostEqual(right["lesion_volume_ml"]["Right femoral BME"], 0.020, places=6)
        self.assertEqual(right["himriss"]["femoral_bme"], 2)
        self.assertEqual(result["table"].GetNumberOfRows(), 11)  # hip_result_rows: 4 + 3 volumes + 4 sums
        self.delayDisplay("Test passed")

    def test_RecomputeUsesEditedSegments(self):
        """Clearing a BME segment (as Segment Editor would) changes the recomputed scores; no model runs."""
        import numpy as np

        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.slicer.segmentations import masks_to_segmentation, oriented_image_from_mask
        from axspa.slicer.volumes import ijk_to_ras_of

        self.delayDisplay("Recomputing the scores of an edited segmentation")
        stir = np.full((8, 40, 40), 100, dtype=np.int16)
        head = np.zeros(stir.shape, dtype=bool)
        head[0:4, 10:15, 10:20] = True
        bme = np.zeros(stir.shape, dtype=bool)
        bme[0:2, 11:13, 10:15] = True
        stir[bme] = 300
        volume = slicer.util.addVolumeFromArray(stir, name="STIR")
        seg = masks_to_segmentation(slicer.mrmlScene, {"Right femoral head": head, "Right femoral BME": bme},
                                    volume, segments=HIP_SEGMENTS)
        logic = HipInflammationLogic()
        first = logic.scoreSegmentation(volume, seg)
        self.assertEqual(first["document"]["sides"]["right"]["himriss"]["femoral_bme"], 2)
        self.assertEqual(logic.editedSegments(volume, seg), [])
        segmentId = seg.GetSegmentation().GetSegmentIdBySegmentName("Right femoral BME")
        slicer.vtkSlicerSegmentationsModuleLogic.SetBinaryLabelmapToSegment(
            oriented_image_from_mask(np.zeros(stir.shape, bool), ijk_to_ras_of(volume)), seg, segmentId,
            slicer.vtkSlicerSegmentationsModuleLogic.MODE_REPLACE)
        self.assertEqual(logic.editedSegments(volume, seg), ["Right femoral BME"])
        doc = logic.recompute(volume, seg, first["slices"])
        self.assertEqual(doc["sides"]["right"]["himriss"]["femoral_bme"], 0)
        self.assertAlmostEqual(doc["sides"]["right"]["unet_score"]["gray_value"], 0.0)
        self.assertIs(logic.outputNodes(volume)["slices"], first["slices"])
        self.assertEqual(first["slices"].GetNumberOfRows(), 15)  # right side only: slices 10 +- 7
        self.delayDisplay("Test passed")
