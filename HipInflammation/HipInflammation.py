import logging
import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
from slicer import vtkMRMLScalarVolumeNode, vtkMRMLSegmentationNode, vtkMRMLTableNode
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
"Score existing segmentation" scores a segmentation you drew or corrected, without any model.
No trained segmentation model is shipped yet: "Segment with model" needs a hip-segmenter bundle installed
(see the documentation). Models trained with this extension learn from synthetic phantoms
and are not validated on real patients.
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
    import SampleData

    from axspa.slicer_support import find_resources_dir, read_sample_manifest

    try:
        sources = read_sample_manifest(find_resources_dir(__file__, "SampleData"), module="HipInflammation")
    except Exception as exc:  # a broken manifest must not break Slicer's startup
        logging.warning(f"Hip Inflammation sample data not registered: {exc}")
        return
    for source in sources:
        SampleData.SampleDataLogic.registerCustomSampleDataSource(**source.register_kwargs())


#
# HipInflammationParameterNode
#


@parameterNodeWrapper
class HipInflammationParameterNode:
    """
    The parameters needed by the module.

    inputVolume - coronal STIR MRI.
    outputSegmentation - hip segments (created when empty; edited segments are kept).
    resultsTable - per side scores (created when empty).
    halfWidth - slices scored on each side of the slice with the largest femoral head.
    minLesionAreaMm2 - smallest lesion area on a slice counted in the HIMRISS-style sums.
    """

    inputVolume: vtkMRMLScalarVolumeNode
    outputSegmentation: vtkMRMLSegmentationNode
    resultsTable: vtkMRMLTableNode
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
        self._job = None  # the model job runner (progress bar, Cancel button), made in setup()

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.setup(self)

        # Load widget from .ui file (created by Qt Designer).
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/HipInflammation.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)

        # Set scene in MRML widgets (the .ui connects mrmlSceneChanged to each MRML widget).
        uiWidget.setMRMLScene(slicer.mrmlScene)

        from axspa.jobs import PanelJob

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
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)

        # Make sure parameter node is initialized (needed for module reload)
        self.initializeParameterNode()

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()

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
        from axspa.slicer_support import connect_parameters_to_gui

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
        p = self._parameterNode
        running = bool(self._job and self._job.running)
        idle = not running
        hasInput = bool(p and p.inputVolume)
        self.ui.applyButton.enabled = idle and hasInput
        self.ui.applyButton.toolTip = (_("Segment the hips with the installed model, then score them")
                                       if hasInput else _("Select a STIR volume"))
        self.ui.scoreButton.enabled = idle and hasInput and bool(p.outputSegmentation)
        self.ui.cancelButton.enabled = running
        if p and p.resultsTable:
            self.ui.resultsTableView.setMRMLTableNode(p.resultsTable)

    # -------------------------------------------------------------------------------- running a job

    def onCancelButton(self) -> None:
        self._job.request_cancel()

    def onApplyButton(self) -> None:
        """Segment with the model, then score, when the user clicks "Segment with model"."""
        p = self._parameterNode

        def job():
            from axspa.slicer_support import ensure_model_dependencies

            ensure_model_dependencies(slicer, self.logic.HIP_BUNDLES, "Hip Inflammation")
            return self.logic.segmentWithModel(
                p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth,
                minLesionAreaMm2=p.minLesionAreaMm2, resultsTable=p.resultsTable,
                progress=self._job.progress, cancel=self._job.cancel)

        result = self._job.run(job)
        if result is not None:
            self._showResult(result)

    def onScoreButton(self) -> None:
        """Score the selected segmentation (drawn or corrected by the user); needs no model."""
        p = self._parameterNode
        # Through the panel's job runner as Apply is: an error is shown once, then the status line says why
        # and the panel stays usable (tryWithErrorDisplay alone re-raises into the console).
        result = self._job.run(lambda: self.logic.scoreSegmentation(
            p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth, minLesionAreaMm2=p.minLesionAreaMm2,
            resultsTable=p.resultsTable))
        if result is not None:
            self._showResult(result)

    def _showResult(self, result: dict) -> None:
        from axspa.hip.texts import hip_summary

        p = self._parameterNode
        p.outputSegmentation, p.resultsTable = result["segmentation"], result["table"]
        self.ui.summaryLabel.text = hip_summary(result["document"]["sides"])
        self.ui.warningsLabel.text = "\n".join(result["warnings"]) or _("none")
        self.ui.resultsTableView.setMRMLTableNode(result["table"])
        self.ui.progressBar.value = 100
        self.ui.statusLabel.text = _("Scored.")


#
# HipInflammationLogic
#


class HipInflammationLogic(ScriptedLoadableModuleLogic):
    """Segmentation and scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("HipInflammation")
    result = logic.scoreSegmentation(getNode("STIR"), getNode("Hip segments"))
    result["document"]["sides"]["right"]["unet_score"]
    """

    HIP_BUNDLES = ("hip-segmenter",)

    def __init__(self) -> None:
        """Called when the logic class is instantiated. Can be used for initializing member variables."""
        ScriptedLoadableModuleLogic.__init__(self)

    def getParameterNode(self):
        return HipInflammationParameterNode(super().getParameterNode())

    def segmentWithModel(self, inputVolume, outputSegmentation=None, halfWidth: int = 7,
                         minLesionAreaMm2: float = 5.0, resultsTable=None, progress=None,
                         cancel=None) -> dict:
        """Segment the hips with the model into ``outputSegmentation`` (segments the user edited there
        are kept), then score the segmentation. Returns what scoreSegmentation returns."""
        from HipInflammationLib.nodes import writeSegmentation

        from axspa.hip.pipeline import segment_hip
        from axspa.mrml.segmentations import kept_segments
        from axspa.mrml.volumes import volume_to_engine

        if inputVolume is None:
            raise ValueError(_("Select a coronal STIR volume."))
        masks = segment_hip(volume_to_engine(inputVolume), progress=progress, cancel=cancel)
        segmentation = writeSegmentation(inputVolume, masks, outputSegmentation)
        result = self.scoreSegmentation(inputVolume, segmentation, halfWidth, minLesionAreaMm2, resultsTable)
        kept = kept_segments(segmentation)
        if kept:
            result["warnings"].insert(0, _("Segments you edited were kept: ") + ", ".join(kept))
        return result

    def scoreSegmentation(self, inputVolume, segmentationNode, halfWidth: int = 7,
                          minLesionAreaMm2: float = 5.0, resultsTable=None) -> dict:
        """Scores of a hip segmentation on the STIR volume (no model needed).

        Returns {"document": axspa.hip/1 dict, "segmentation": node, "table": results table node,
        "warnings": [str]}. Segment names are matched to the hip segment names ignoring case.
        """
        from HipInflammationLib.nodes import writeResultsTable

        from axspa.hip.pipeline import score_hip
        from axspa.hip.scores import HipScoreConfig
        from axspa.hip.segments import match_hip_segments
        from axspa.hip.texts import HIP_TABLE_COLUMNS, hip_result_rows
        from axspa.mrml.segmentations import segmentation_to_masks
        from axspa.mrml.volumes import volume_to_engine

        if inputVolume is None or segmentationNode is None:
            raise ValueError(_("Select the STIR volume and the hip segmentation to score."))
        volume = volume_to_engine(inputVolume)
        masks, ignored = match_hip_segments(segmentation_to_masks(segmentationNode, inputVolume))
        config = HipScoreConfig(half_width=int(halfWidth), min_lesion_area_mm2=float(minLesionAreaMm2))
        document = score_hip(volume, masks, config, source=segmentationNode.GetName())
        table = writeResultsTable(inputVolume, HIP_TABLE_COLUMNS, hip_result_rows(document["sides"]),
                                  resultsTable)
        warnings = list(document.get("warnings", []))
        if ignored:
            warnings.append(_("Segments not used (not a hip segment name): ") + ", ".join(ignored))
        warnings += [s["reason"] for s in document["sides"].values() if s.get("reason")]
        return {"document": document, "segmentation": segmentationNode, "table": table, "warnings": warnings}


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

    def test_ScoreSegmentationFromMasks(self):
        """Hip segments built from masks score as worked by hand."""
        import numpy as np

        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.mrml.segmentations import masks_to_segmentation

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
