import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
from HipInflammationLib.logic import OUTPUT_PARAMETERS, CohortLogic, ModelLogic, ScoringLogic  # noqa: F401
from HipInflammationLib.selftest import SelfTests
from HipInflammationLib.widget import WidgetLifecycle
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



def registerSampleData():
    """Add the phantom STIR series listed in Resources/SampleData/manifest.json to Sample Data."""
    from axspa.slicer.samples import register_samples

    register_samples(__file__, "HipInflammation", "Hip Inflammation")



@parameterNodeWrapper
class HipInflammationParameterNode:
    """The parameters needed by the module (nodes left empty are created when needed; no GUI: none)."""

    inputVolume: vtkMRMLScalarVolumeNode  # coronal STIR MRI
    outputSegmentation: vtkMRMLSegmentationNode  # hip segments (segments the user edited are kept)
    resultsTable: vtkMRMLTableNode  # per side scores
    slicesTable: vtkMRMLTableNode  # per-slice values of both sides
    plotChart: vtkMRMLPlotChartNode  # lesion proportion per slice (no GUI)
    halfWidth: Annotated[int, WithinRange(0, 30)] = 7  # slices scored each side of the largest femoral head
    minLesionAreaMm2: Annotated[float, WithinRange(0.0, 500.0)] = 5.0  # smallest lesion counted in HIMRISS sums



class HipInflammationWidget(WidgetLifecycle, ScriptedLoadableModuleWidget, VTKObservationMixin):
    """The panel: its workflow is HipInflammationLib.hip_panel.HipPanel (hipPanel), which connects its buttons;
    the life cycle shared by every module is in HipInflammationLib/widget.py."""

    def __init__(self, parent=None) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        from HipInflammationLib.hip_panel import HipPanel

        ScriptedLoadableModuleWidget.__init__(self, parent)
        VTKObservationMixin.__init__(self)  # needed for parameter node observation
        self.logic = None
        self._parameterNode = None
        self._parameterNodeGuiTag = None
        self._job = None  # the job runner (progress bar, status line), made in setup()
        self.hipPanel = HipPanel(self)  # segment with model, score a segmentation, export

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.setup(self)
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/HipInflammation.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)
        uiWidget.setMRMLScene(slicer.mrmlScene)  # the .ui connects mrmlSceneChanged to each MRML widget

        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.slicer.panel_job import PanelJob

        self.logic = HipInflammationLogic()
        self._job = PanelJob(
            slicer, self.ui, busy=lambda running: self._checkCanApply(), title=_("Hip Inflammation"),
            hint=_("A segmentation you draw can still be scored with 'Score existing segmentation'."), tr=_)
        # These connections ensure that we update parameter node when scene is closed
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)
        self.hipPanel.connect()
        # The segment names a segmentation needs, from the engine (the .ui holds the same text).
        self.ui.segmentNamesLabel.text = _("Scored segments (names matched ignoring case): {names}.").format(
            names=", ".join(segment.name for segment in HIP_SEGMENTS))
        self.initializeParameterNode()  # needed for module reload
        self.hipPanel.onModelDirChanged()

    def setParameterNode(self, inputParameterNode: Optional[HipInflammationParameterNode]) -> None:
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
        self.hipPanel.updatePanel()



class HipInflammationLogic(CohortLogic, ModelLogic, ScoringLogic, ScriptedLoadableModuleLogic):
    """Segmentation and scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("HipInflammation")
    doc = logic.process(getNode("STIR"))              # model -> segments, tables, plot; the axspa.hip/1 document
    doc = logic.recompute(getNode("STIR"))            # after editing the segments, with no model run

    The methods, with more examples, are in HipInflammationLib/logic.py: ModelLogic (loading the model),
    ScoringLogic (segmenting and scoring) and CohortLogic (a cohort scored into per-case folders and tables).
    """

    HIP_BUNDLES = ModelLogic.HIP_BUNDLES

    def __init__(self) -> None:
        ScriptedLoadableModuleLogic.__init__(self)
        self._trustedModelDirs = set()  # model folders whose bundle code the user agreed to run

    def getParameterNode(self):
        return HipInflammationParameterNode(super().getParameterNode())


class HipInflammationTest(SelfTests, ScriptedLoadableModuleTest):
    """The module's self-tests, on ScriptedLoadableModuleTest (the others are in HipInflammationLib/selftest.py)."""

    Logic = HipInflammationLogic

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
