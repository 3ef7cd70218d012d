import logging
import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
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


#
# AxSpAScoring
#


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
joints on an AP pelvic radiograph. Grades can be edited in the output table and re-scored without any
model. The bundled spine models (landmarks and corner findings) are trained on synthetic phantoms and
are not validated on real patients; no sacroiliac model is bundled yet (choose your own model folder).
See the <a href="https://github.com/SlicerAxSpA/SlicerAxSpA#readme">documentation</a>.
""")
        self.parent.acknowledgementText = _("""
Scoring rules follow the published mSASSS and modified New York criteria; the model designs follow
Chen et al. 2024, Koo et al. 2022 and Bressem et al. 2021. Built on the 3D Slicer scripted module template.
""")
        # Sample data sets are registered once the Sample Data module exists.
        slicer.app.connect("startupCompleted()", registerSampleData)


#
# Register sample data sets in Sample Data module
#


def registerSampleData():
    """Add the phantom radiographs listed in Resources/SampleData/manifest.json to Sample Data."""
    import SampleData

    from axspa.slicer_support import find_resources_dir, read_sample_manifest

    try:
        sources = read_sample_manifest(find_resources_dir(__file__, "SampleData"), module="AxSpAScoring")
    except Exception as exc:  # a broken manifest must not break Slicer's startup
        logging.warning(f"AxSpA Scoring sample data not registered: {exc}")
        return
    for source in sources:
        SampleData.SampleDataLogic.registerCustomSampleDataSource(**source.register_kwargs())


#
# AxSpAScoringParameterNode
#


@parameterNodeWrapper
class AxSpAScoringParameterNode:
    """
    The parameters needed by the module.

    inputVolume - lateral spine radiograph.
    region - "auto", "cervical" or "lumbar".
    otherVolume - optional radiograph of the other segment of the same visit (study total).
    outputMarkups - sites of inputVolume as control points (created when empty).
    otherMarkups - sites of otherVolume (created when empty; no GUI).
    outputTable - one row per site of both radiographs (created when empty).
    findingThreshold - probability above which a finding counts.
    pelvisVolume - AP pelvic radiograph for sacroiliitis.
    heatmapVolume - where the sacroiliitis heat map goes (created when empty; no GUI).
    readerTable - a reader's grades (site, grade) loaded as a table, to compare with outputTable.
    disagreementTable - where the comparison with the reader goes (created when empty; no GUI).
    """

    inputVolume: vtkMRMLScalarVolumeNode
    region: Annotated[str, Choice(["auto", "cervical", "lumbar"])] = "auto"
    otherVolume: vtkMRMLScalarVolumeNode
    outputMarkups: vtkMRMLMarkupsFiducialNode
    otherMarkups: vtkMRMLMarkupsFiducialNode
    outputTable: vtkMRMLTableNode
    findingThreshold: Annotated[float, WithinRange(0.05, 0.95)] = 0.5
    pelvisVolume: vtkMRMLScalarVolumeNode
    heatmapVolume: vtkMRMLScalarVolumeNode
    readerTable: vtkMRMLTableNode
    disagreementTable: vtkMRMLTableNode


#
# AxSpAScoringWidget
#


class AxSpAScoringWidget(ScriptedLoadableModuleWidget, VTKObservationMixin):
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
        self._observedTable = None  # output table whose edits mark reader overrides and re-score
        self._tableEditPending = False

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        ScriptedLoadableModuleWidget.setup(self)

        # Load widget from .ui file (created by Qt Designer).
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/AxSpAScoring.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)

        # Set scene in MRML widgets (the .ui connects mrmlSceneChanged to each MRML widget).
        uiWidget.setMRMLScene(slicer.mrmlScene)

        from axspa.jobs import PanelJob

        self.logic = AxSpAScoringLogic()
        self._job = PanelJob(
            slicer, self.ui, busy=lambda running: self._checkCanApply(), title=_("AxSpA Scoring"),
            hint=_("Grades typed into the output table can still be scored with 'Re-score from table'."), tr=_)

        # These connections ensure that we update parameter node when scene is closed
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)

        # Buttons
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.rescoreButton.connect("clicked(bool)", self.onRescoreButton)
        self.ui.regradeButton.connect("clicked(bool)", self.onRegradeButton)
        self.ui.exportButton.connect("clicked(bool)", self.onExportButton)
        self.ui.resultsTableView.connect("clicked(QModelIndex)", self.onResultsTableClicked)
        self.ui.sijApplyButton.connect("clicked(bool)", self.onSijApplyButton)
        self.ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        self.ui.compareButton.connect("clicked(bool)", self.onCompareButton)
        # The reader's grades come from a CSV file or a loaded table: choosing one clears the other.
        self.ui.readerPathLineEdit.connect("currentPathChanged(QString)", self.onReaderPathChanged)
        self.ui.readerTableSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onReaderTableChanged)

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

    def setParameterNode(self, inputParameterNode: Optional[AxSpAScoringParameterNode]) -> None:
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
        # While a job runs, Apply becomes Cancel (the same place the user just clicked).
        if not hasattr(self, "_applyText"):
            self._applyText = self.ui.applyButton.text
        self.ui.applyButton.text = _("Cancel") if running else self._applyText
        self.ui.applyButton.enabled = running or bool(p and p.inputVolume)
        self.ui.applyButton.toolTip = (_("Stop after the current step") if running else
                                       _("Locate and grade every site with the installed models")
                                       if p and p.inputVolume else _("Select a spine radiograph"))
        self.ui.rescoreButton.enabled = idle and bool(p and p.outputTable)
        self.ui.regradeButton.enabled = idle and bool(p and p.outputTable and p.inputVolume and p.outputMarkups)
        self.ui.exportButton.enabled = idle and bool(p and p.outputTable and p.inputVolume)
        self.ui.sijApplyButton.enabled = idle and bool(p and p.pelvisVolume)
        self.ui.cancelButton.enabled = running
        hasReader = bool(self.ui.readerPathLineEdit.currentPath or (p and p.readerTable))
        self.ui.compareButton.enabled = idle and bool(p and p.outputTable) and hasReader
        if p and p.outputTable:
            self.ui.resultsTableView.setMRMLTableNode(p.outputTable)
        self._observeOutputTable(p.outputTable if p else None)

    def _observeOutputTable(self, table) -> None:
        """Edits in the output table (a grade typed in the table view) mark reader overrides and re-score."""
        if table is self._observedTable:
            return
        if self._observedTable is not None:
            self.removeObserver(self._observedTable, vtk.vtkCommand.ModifiedEvent, self.onOutputTableModified)
        self._observedTable = table
        if table is not None:
            self.addObserver(table, vtk.vtkCommand.ModifiedEvent, self.onOutputTableModified)

    def onOutputTableModified(self, caller=None, event=None) -> None:
        # Not while the table view is still writing the edit into the table: once Qt is back in its loop.
        if not self._tableEditPending and not (self._job and self._job.running):
            import qt

            self._tableEditPending = True
            qt.QTimer.singleShot(0, self._onOutputTableEdited)

    def _onOutputTableEdited(self) -> None:
        from axspa.image import InputError

        try:
            if self._observedTable is not None and not self._job.running:
                self._showScore(self.logic.rescoreFromTable(self._observedTable))  # also marks the overrides
        except InputError as exc:  # e.g. a grade of 5 typed in: say so, the user is still typing
            self.ui.statusLabel.text = str(exc)
        finally:
            self._tableEditPending = False  # the source cells marked above were ignored while pending

    def _modelDir(self):
        """The model folder chosen in the panel, or None for the installed bundles."""
        return self.ui.modelDirPathLineEdit.currentPath or None

    # -------------------------------------------------------------------------------- running a job

    def onCancelButton(self) -> None:
        self._job.request_cancel()

    def onApplyButton(self) -> None:
        """Score the radiograph(s) with the models when the user clicks "Score with model" (Cancel while running)."""
        if self._job and self._job.running:
            self._job.request_cancel()
            return
        p = self._parameterNode
        modelDir = self._modelDir()

        def job():
            self.logic.ensureModelDependencies(self.logic.SPINE_BUNDLES, modelDir)
            return self.logic.scoreSpine(
                p.inputVolume, p.region, otherVolume=p.otherVolume, outputMarkups=p.outputMarkups,
                otherMarkups=p.otherMarkups, outputTable=p.outputTable, threshold=p.findingThreshold,
                progress=self._job.progress, cancel=self._job.cancel, modelDir=modelDir)

        result = self._job.run(job)
        if result is None:
            return
        if modelDir:
            self.ui.modelDirPathLineEdit.addCurrentPathToHistory()
        # Keep the nodes the logic created so the next run reuses them.
        p.outputMarkups, p.outputTable = result["markups"][0], result["table"]
        if len(result["markups"]) > 1:
            p.otherMarkups = result["markups"][1]
        self._showScore(result["score"], result["warnings"])
        review = [s["id"] for doc in result["documents"] for s in doc["sites"] if s.get("review")]
        self.ui.statusLabel.text = _("Scored.") + (" " + _("Please review: ") + ", ".join(review) if review else "")

    def onRegradeButton(self) -> None:
        """Re-run the corner model at the control points the user moved, and only there."""
        from axspa.jobs import scaled_progress

        p = self._parameterNode
        pairs = [(v, m) for v, m in ((p.inputVolume, p.outputMarkups), (p.otherVolume, p.otherMarkups)) if v and m]
        if not self.logic.movedSites([m for _v, m in pairs]):
            self.ui.statusLabel.text = _("No control point was moved since it was graded.")
            return
        modelDir = self._modelDir()

        def job():
            self.logic.ensureModelDependencies(self.logic.CORNER_BUNDLES, modelDir)
            corners = self.logic.loadCornerModel(modelDir)
            return [self.logic.regradeMovedSites(
                volume, markups, p.outputTable, threshold=p.findingThreshold, corners=corners, cancel=self._job.cancel,
                progress=scaled_progress(self._job.progress, n / len(pairs), (n + 1) / len(pairs)))
                for n, (volume, markups) in enumerate(pairs)]

        results = self._job.run(job)
        if results is None:
            return
        regraded = [site for r in results for site in r["regraded"] + r["partners"]]
        kept = [site for r in results for site in r["kept"]]
        self._showScore(results[-1]["score"])
        text = _("Re-graded: ") + ", ".join(regraded) + "."
        if kept:
            text += " " + _("Your grades were kept: ") + ", ".join(kept) + "."
        self.ui.statusLabel.text = text

    def onExportButton(self) -> None:
        """Write the command line's files (JSON, CSV, markups) of the result as it stands."""
        import qt

        p = self._parameterNode
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), _("Export the mSASSS result to"))
        if not folder:
            return
        with slicer.util.tryWithErrorDisplay(_("Failed to export the results."), waitCursor=True):
            args = (folder, p.inputVolume, p.outputMarkups, p.outputTable, p.otherVolume, p.otherMarkups)
            result = self.logic.exportResults(*args)
            if result["kept"] and slicer.util.confirmYesNoDisplay(
                    _("These files differ from the result (edited?) and were kept:") + "\n\n"
                    + "\n".join(result["kept"]) + "\n\n" + _("Replace them?"), windowTitle=_("AxSpA Scoring")):
                result = self.logic.exportResults(*args, overwrite=True)
            self.ui.statusLabel.text = _("Exported to {folder}.").format(folder=folder)

    def onResultsTableClicked(self, index) -> None:
        """Centre the slice views on the control point of the clicked row's site."""
        import qt
        from AxSpAScoringLib.nodes import findSitePoint

        model = index.model()
        columns = [model.headerData(c, qt.Qt.Horizontal) for c in range(model.columnCount())]
        site = model.index(index.row(), columns.index("site") if "site" in columns else 0).data()
        p = self._parameterNode
        if not site or site == "site":  # the header row of a table shown without column headers
            return
        found = findSitePoint([p.outputMarkups, p.otherMarkups], site)
        if found is None:
            self.ui.statusLabel.text = _("{site} has no control point placed.").format(site=site)
            return
        node, point = found
        slicer.modules.markups.logic().JumpSlicesToNthPointInMarkup(node.GetID(), point, True)

    def onRescoreButton(self) -> None:
        """Score the grades in the output table (edited by the user); needs no model."""
        with slicer.util.tryWithErrorDisplay(_("Failed to compute results."), waitCursor=True):
            score = self.logic.rescoreFromTable(self._parameterNode.outputTable)
            self._showScore(score)
            self.ui.statusLabel.text = _("Re-scored from the table.")

    def onSijApplyButton(self) -> None:
        """Grade both sacroiliac joints of the pelvic radiograph."""
        p = self._parameterNode

        def job():
            from axspa.slicer_support import ensure_model_dependencies

            ensure_model_dependencies(slicer, self.logic.SIJ_BUNDLES, "AxSpA Scoring")
            return self.logic.scorePelvis(p.pelvisVolume, heatmapVolume=p.heatmapVolume,
                                          progress=self._job.progress, cancel=self._job.cancel)

        result = self._job.run(job)
        if result is None:
            return
        doc, p.heatmapVolume = result
        if p.heatmapVolume:
            slicer.util.setSliceViewerLayers(background=p.pelvisVolume, foreground=p.heatmapVolume,
                                             foregroundOpacity=0.4, fit=True)
        from axspa.sij.texts import sij_summary

        texts = sij_summary(doc)
        self.ui.rightGradeLabel.text = texts["right"]
        self.ui.leftGradeLabel.text = texts["left"]
        self.ui.definiteLabel.text = texts["definite"]
        self.ui.warningsLabel.text = "\n".join(doc.get("warnings") or []) or _("none")
        self.ui.statusLabel.text = _("Graded.")

    def onReaderPathChanged(self, path: str) -> None:
        if path and self._parameterNode:
            self._parameterNode.readerTable = None
        self._checkCanApply()

    def onReaderTableChanged(self, node) -> None:
        if node:
            self.ui.readerPathLineEdit.currentPath = ""

    def onCompareButton(self) -> None:
        """List the sites where the output table and the reader's grades differ; highlight their points."""
        from AxSpAScoringLib.compare import summaryText

        p = self._parameterNode
        path = self.ui.readerPathLineEdit.currentPath
        markups = [node for node in (p.outputMarkups, p.otherMarkups) if node]
        with slicer.util.tryWithErrorDisplay(_("Failed to compare with the reader."), waitCursor=True):
            if path:
                study = self.ui.readerStudyLineEdit.text.strip() or None
                result = self.logic.compareWithReader(p.outputTable, path, p.disagreementTable, markups, study)
                self.ui.readerPathLineEdit.addCurrentPathToHistory()
            else:
                result = self.logic.compareWithReaderTable(p.outputTable, p.readerTable, p.disagreementTable,
                                                           markups)
            p.disagreementTable = result["table"]
            self.ui.compareSummaryLabel.text = summaryText(result)
            self.ui.disagreementTableView.setMRMLTableNode(result["table"])

    def _showScore(self, score: dict, warnings: Optional[list] = None) -> None:
        """Totals in the panel; ``warnings`` replace the shown ones when given."""
        from axspa.spine.texts import msasss_summary

        texts = msasss_summary(score)
        self.ui.cervicalLabel.text = texts["cervical"]
        self.ui.lumbarLabel.text = texts["lumbar"]
        self.ui.totalLabel.text = texts["total"]
        self.ui.imputedSitesLabel.text = texts["imputed_sites"]
        if warnings is not None:
            self.ui.warningsLabel.text = "\n".join(warnings) or _("none")


#
# AxSpAScoringLogic
#


class AxSpAScoringLogic(ScriptedLoadableModuleLogic):
    """Scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("AxSpAScoring")
    result = logic.process(getNode("cspine"), region="auto")        # models -> control points + table
    result = logic.process(cspine, otherVolume=lspine)               # a cervical + lumbar visit: study total
    score = logic.rescoreFromTable(result["table"])                  # after typing grades into the table
    logic.regradeMovedSites(cspine, result["markups"][0], result["table"])  # after moving control points
    logic.exportResults("/tmp/out", cspine, result["markups"][0], result["table"])

    process() returns scoreSpine's dict (documents, markups, table, score, warnings) and creates or updates
    the nodes: the markups and the table an earlier run made for the same radiograph (found through their
    "AxSpAInputVolume" node references) are reused. What the user edited there is never overwritten:
    points moved, placed or locked keep their position (and are re-graded where they are), grades typed
    into the table are kept and marked "reader" in its source column. overwrite=True replaces the moved
    points and typed grades with the models' (locked points are still kept). modelDir is a folder of the
    user's own bundles; a bundle that would run its own code is loaded only after the user agrees.
    """

    SPINE_BUNDLES = ("spine-landmarks", "spine-corners")
    CORNER_BUNDLES = ("spine-corners",)
    SIJ_BUNDLES = ("sij-grader",)

    def __init__(self) -> None:
        """Called when the logic class is instantiated. Can be used for initializing member variables."""
        ScriptedLoadableModuleLogic.__init__(self)
        self._trustedModelDirs = set()  # model folders whose bundle code the user agreed to run

    def getParameterNode(self):
        return AxSpAScoringParameterNode(super().getParameterNode())

    # ------------------------------------------------------------------------------------------ models

    def ensureModelDependencies(self, bundles=SPINE_BUNDLES, modelDir=None) -> None:
        """Check the bundles are there, then install torch (PyTorch extension) and MONAI after asking."""
        from axspa.slicer_support import ensure_model_dependencies

        ensure_model_dependencies(slicer, bundles, "AxSpA Scoring", _path(modelDir))

    def loadSpineModels(self, modelDir=None):
        """Both spine predictors (axspa.spine.pipeline.SpineModels), asking before running a bundle's own code."""
        from axspa.spine.pipeline import SpineModels

        return self._loadTrusting(lambda trust: SpineModels(_path(modelDir), trust), modelDir)

    def loadCornerModel(self, modelDir=None):
        """The corner predictor alone (re-grading), asking before running a bundle's own code."""
        from axspa.bundles import load_predictor
        from axspa.spine.pipeline import CORNER_BUNDLE

        return self._loadTrusting(lambda trust: load_predictor(CORNER_BUNDLE, _path(modelDir), trust), modelDir)

    def _loadTrusting(self, load, modelDir):
        from axspa.slicer_support import load_trusting

        return load_trusting(load, self.confirmBundleCode, self._trustedModelDirs, str(modelDir or ""))

    def confirmBundleCode(self, reason: str) -> bool:
        """Ask the user whether a bundle may run its own code (BundleCodeError's reason)."""
        return slicer.util.confirmYesNoDisplay(
            reason + ".\n\n" + _("This model bundle brings its own Python code, which runs with your permissions "
                                  "when it loads. Trust it only if you know who made it.") + "\n\n"
            + _("Load it and run its code?"), windowTitle=_("AxSpA Scoring"))

    # ------------------------------------------------------------------------------------------- spine

    def process(self, volumeNode, region: str = "auto", otherVolume=None, overwrite: bool = False, modelDir=None,
                threshold: float = 0.5, progress=None, cancel=None) -> dict:
        """Score a radiograph (and the other region's, for the study total) into new or earlier nodes;
        see the class docstring. Returns scoreSpine's dict."""
        from AxSpAScoringLib.nodes import findOutputNode

        if volumeNode is None:
            raise ValueError(_("Select a spine radiograph to score."))
        self.ensureModelDependencies(self.SPINE_BUNDLES, modelDir)
        return self.scoreSpine(
            volumeNode, region, otherVolume=otherVolume,
            outputMarkups=findOutputNode(volumeNode, "vtkMRMLMarkupsFiducialNode"),
            otherMarkups=findOutputNode(otherVolume, "vtkMRMLMarkupsFiducialNode"),
            outputTable=findOutputNode(volumeNode, "vtkMRMLTableNode"), threshold=threshold, progress=progress,
            cancel=cancel, modelDir=modelDir, overwrite=overwrite)

    def scoreSpine(self, inputVolume, region: str = "auto", otherVolume=None, outputMarkups=None,
                   otherMarkups=None, outputTable=None, threshold: float = 0.5, progress=None,
                   cancel=None, modelDir=None, overwrite: bool = False) -> dict:
        """Score one radiograph, or a cervical + lumbar pair for the study total, with the models.

        Returns {"documents": [axspa.spine/1 dicts], "markups": [nodes], "table": node,
        "score": TotalScore.to_dict(), "warnings": [str]}. Output nodes given are reused (points and
        grades the user edited are kept unless ``overwrite``; kept points are re-graded where they are);
        missing ones are created under the input's study. The documents are the models' output; the
        table holds the grades as they stand (exportResults writes those).
        """
        from AxSpAScoringLib.nodes import (
            linkToInputs,
            radiographFromNode,
            storeDocument,
            writeSiteMarkups,
            writeSiteTable,
        )
        from AxSpAScoringLib.regrade import regradeMovedSites

        from axspa.jobs import scaled_progress
        from axspa.mrml.markups import kept_points
        from axspa.mrml.tables import kept_grades
        from axspa.spine.pipeline import score_radiograph

        if inputVolume is None:
            raise ValueError(_("Select a spine radiograph to score."))
        volumes = [inputVolume] + ([otherVolume] if otherVolume is not None else [])
        models = self.loadSpineModels(modelDir)  # loaded once for both radiographs
        documents, markups = [], []
        for n, volume in enumerate(volumes):
            step = scaled_progress(progress, n / len(volumes), (n + 1) / len(volumes))
            wanted = region if n == 0 else _otherRegion(documents[0]["region"])
            doc = score_radiograph(radiographFromNode(volume, _dicomDatabase()), wanted, models=models,
                                   progress=step, cancel=cancel, threshold=threshold)
            documents.append(doc)
        for volume, node, doc in zip(volumes, (outputMarkups, otherMarkups), documents):
            node = writeSiteMarkups(volume, doc["sites"], node, f"mSASSS sites {doc['region']}", overwrite)
            linkToInputs(node, [volume])
            storeDocument(node, doc)
            markups.append(node)
        allSites = [site for doc in documents for site in doc["sites"]]
        table = writeSiteTable(inputVolume, allSites, outputTable, overwrite=overwrite)
        linkToInputs(table, volumes)
        warnings = [w for doc in documents for w in doc.get("warnings", [])]
        kept = [label for node in markups for label in kept_points(node)]
        regraded = []
        for volume, node in zip(volumes, markups):  # the models' grades of kept points are for the models' points
            regraded += regradeMovedSites(volume, node, table, models.corners, threshold,
                                          dicomDatabase=_dicomDatabase())["regraded"]
        if kept:
            warnings.insert(0, _("Points you placed or moved were kept: ") + ", ".join(kept))
        if regraded:
            warnings.insert(0, _("Graded where you placed them: ") + ", ".join(regraded))
        if kept_grades(table):
            warnings.insert(0, _("Grades you edited in the table were kept: ") + ", ".join(kept_grades(table)))
        # Score what the table holds: grades the user had edited there are kept by writeSiteTable.
        return {"documents": documents, "markups": markups, "table": table,
                "score": self.rescoreFromTable(table), "warnings": warnings}

    def movedSites(self, markupsNodes) -> list:
        """Sites whose control points were moved or placed since they were graded (to re-grade)."""
        from AxSpAScoringLib.regrade import movedSites

        return [site for node in markupsNodes if node is not None for site in movedSites(node)]

    def regradeMovedSites(self, volume, markups, table, modelDir=None, threshold: float = 0.5, progress=None,
                          cancel=None, corners=None, model_dir=None) -> dict:
        """Run the corner model at the control points the user moved or placed, and only there.

        Those sites' rows of the table get the new findings, confidence, review flag and grade (through the
        engine's rules; a disc partner's grade follows when the bridging rule changes it); a grade the user
        typed is kept; every other row stays as it is. ``corners`` is a loaded corner predictor (or a
        function returning one); otherwise it is loaded from ``modelDir`` (``model_dir`` is the same) or
        the installed bundles, only when a point moved. Returns {"regraded", "changed", "kept",
        "partners"} (see AxSpAScoringLib.regrade) and "score" (rescoreFromTable).
        """
        from AxSpAScoringLib.regrade import regradeMovedSites

        folder = modelDir if modelDir is not None else model_dir
        if volume is None or markups is None:
            raise ValueError(_("Select the radiograph and its output sites (markups)."))
        result = regradeMovedSites(volume, markups, table, corners or (lambda: self.loadCornerModel(folder)),
                                   threshold, progress=progress, cancel=cancel, dicomDatabase=_dicomDatabase())
        result["score"] = self.rescoreFromTable(table)
        return result

    def exportResults(self, outputDir, inputVolume, outputMarkups, outputTable, otherVolume=None, otherMarkups=None,
                      overwrite: bool = False) -> dict:
        """Write the command line's files (axspa spine) of the result as it stands in the nodes: moved points,
        typed grades (with "source": "reader") and re-graded sites included. <stem>.spine.json, .mrk.json and
        .sites.csv per radiograph, study.json for a cervical + lumbar pair. A file in outputDir that differs
        is kept unless ``overwrite`` (listed in "kept"). Returns {"documents", "study", "files", "kept"}."""
        from AxSpAScoringLib.export import exportResults

        if not outputDir:
            raise ValueError(_("Select a folder to export to."))
        if inputVolume is None or outputTable is None:
            raise ValueError(_("Score a radiograph first: there is no result to export."))
        pairs = [(inputVolume, outputMarkups)]
        if otherVolume is not None and otherMarkups is not None:
            pairs.append((otherVolume, otherMarkups))
        return exportResults(outputDir, pairs, outputTable, overwrite, _dicomDatabase())

    def rescoreFromTable(self, tableNode) -> dict:
        """mSASSS (TotalScore.to_dict()) of the grades in a site table, e.g. after the user edited them.
        Grades that differ from the models' are marked "reader" in the table's source column."""
        from axspa.mrml.tables import mark_grade_sources, table_to_grades
        from axspa.spine.rules import total_score

        if tableNode is None:
            raise ValueError(_("Select the table that holds the site grades."))
        score = total_score(table_to_grades(tableNode)).to_dict()
        mark_grade_sources(tableNode)
        return score

    def compareWithReader(self, resultTable, readerCsvPath, outputTable=None, markups=(), study=None) -> dict:
        """Compare the grades of a site table with a reader's CSV (site,grade or the finding columns).

        Writes the disagreement table ("mSASSS disagreements": site, ours, reader, difference, agree;
        disagreeing sites first), reusing outputTable when given, and highlights the disagreeing control
        points of the given markups nodes. Returns the counts ("n_compared", "n_agree", "exact_agreement",
        "disagreeing_sites", "reader_total", "our_total", ...; see axspa.spine.agreement.compare_grades)
        with "table" and "marked". ``study`` picks one study of a reader-study table (study, site, grade).
        Raises axspa.image.InputError naming the file for a bad CSV.
        """
        from AxSpAScoringLib.compare import compareWithReaderGrades

        from axspa.spine.readings import read_reading_table

        if not readerCsvPath:
            raise ValueError(_("Select the reader's CSV file."))
        grades = read_reading_table(readerCsvPath, study=study)
        return compareWithReaderGrades(resultTable, grades, str(readerCsvPath), outputTable, markups)

    def compareWithReaderTable(self, resultTable, readerTableNode, outputTable=None, markups=()) -> dict:
        """As compareWithReader, with the reader's grades in a table node (columns site, grade)."""
        from AxSpAScoringLib.compare import compareWithReaderGrades, readerGradesFromTable

        grades = readerGradesFromTable(readerTableNode)
        return compareWithReaderGrades(resultTable, grades, f"table '{readerTableNode.GetName()}'", outputTable,
                                       markups)

    def scorePelvis(self, pelvisVolume, heatmapVolume=None, progress=None, cancel=None) -> tuple:
        """Modified New York grades of both sacroiliac joints; returns (axspa.sij/1 dict, heat map node)."""
        from AxSpAScoringLib.nodes import radiographFromNode, showHeatmap

        from axspa.bundles import load_predictor
        from axspa.sij.pipeline import SIJ_BUNDLE, score_pelvis

        if pelvisVolume is None:
            raise ValueError(_("Select a pelvic radiograph to grade."))
        model = self._loadTrusting(lambda trust: load_predictor(SIJ_BUNDLE, None, trust), None)
        doc, heatmap = score_pelvis(radiographFromNode(pelvisVolume, _dicomDatabase()), model=model,
                                    progress=progress, cancel=cancel)
        node = showHeatmap(pelvisVolume, heatmap, heatmapVolume) if heatmap is not None else heatmapVolume
        return doc, node


def _dicomDatabase():
    """Slicer's DICOM database, when the application has one open."""
    return getattr(slicer, "dicomDatabase", None)


def _otherRegion(region: str) -> str:
    return "lumbar" if region == "cervical" else "cervical"


def _path(folder):
    """A model folder as the engine takes it: a Path, or None for the installed bundles."""
    from pathlib import Path

    return Path(folder) if folder else None


#
# AxSpAScoringTest
#


class AxSpAScoringTest(ScriptedLoadableModuleTest):
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
        self.test_RescoreManualReading()
        self.setUp()
        self.test_ModelMissingIsReported()
        self.setUp()
        self.test_CompareWithReader()
        self.setUp()
        self.test_GradeOverrideIsMarked()

    def test_RescoreManualReading(self):
        """A reader's grades in a table node give the mSASSS worked by hand, and edits are picked up."""
        from axspa.mrml.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS, LUMBAR_SITES

        self.delayDisplay("Scoring a manual reading from a table")
        # Cervical: every site 1 except C3s unscorable -> raw 11, imputed 11 + 1 * (11 / 11) = 12.
        # Lumbar: every site 2 -> 24. Total 36.
        sites = [{"id": s, "point": None, "grade": None if s == "C3s" else 1, "findings": {}}
                 for s in CERVICAL_SITES]
        sites += [{"id": s, "point": None, "grade": 2, "findings": {}} for s in LUMBAR_SITES]
        table = sites_to_table(slicer.mrmlScene, sites, name="reading", findings=FINDINGS)
        logic = AxSpAScoringLogic()
        score = logic.rescoreFromTable(table)
        self.assertEqual(score["cervical"]["raw"], 11)
        self.assertAlmostEqual(score["cervical"]["imputed"], 12.0)
        self.assertEqual(score["cervical"]["imputed_sites"], ["C3s"])
        self.assertAlmostEqual(score["lumbar"]["imputed"], 24.0)
        self.assertAlmostEqual(score["total"], 36.0)

        # The user raises L1s to 3 in the table: lumbar 25, total 37.
        column = table.GetColumnIndex("grade")
        for row in range(table.GetNumberOfRows()):
            if table.GetCellText(row, table.GetColumnIndex("site")) == "L1s":
                table.SetCellText(row, column, "3")
        score = logic.rescoreFromTable(table)
        self.assertAlmostEqual(score["lumbar"]["imputed"], 25.0)
        self.assertAlmostEqual(score["total"], 37.0)
        self.delayDisplay("Test passed")

    def test_GradeOverrideIsMarked(self):
        """A grade typed over the model's is marked as the reader's in the source column and counts in the
        totals; typing the model's grade back makes it the model's again."""
        from axspa.mrml.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS

        self.delayDisplay("Overriding a grade in the result table")
        sites = [{"id": s, "point": [10.0, 10.0 * n], "grade": 0, "confidence": 0.9, "review": False}
                 for n, s in enumerate(CERVICAL_SITES)]
        table = sites_to_table(slicer.mrmlScene, sites, name="result", findings=FINDINGS)
        site, grade, source = (table.GetColumnIndex(c) for c in ("site", "grade", "source"))
        row = next(r for r in range(table.GetNumberOfRows()) if table.GetCellText(r, site) == "C4i")
        self.assertEqual(table.GetCellText(row, source), "model")
        table.SetCellText(row, grade, "2")
        logic = AxSpAScoringLogic()
        self.assertAlmostEqual(logic.rescoreFromTable(table)["cervical"]["imputed"], 2.0)
        self.assertEqual(table.GetCellText(row, source), "reader")
        table.SetCellText(row, grade, "0")
        self.assertAlmostEqual(logic.rescoreFromTable(table)["cervical"]["imputed"], 0.0)
        self.assertEqual(table.GetCellText(row, source), "model")
        self.delayDisplay("Test passed")

    def test_CompareWithReader(self):
        """A reader's CSV against a result table: the disagreeing sites (worked by hand) come first."""
        import os
        import tempfile

        from axspa.mrml.tables import sites_to_table
        from axspa.spine.sites import CERVICAL_SITES, FINDINGS

        self.delayDisplay("Comparing a result with a reader's table")
        # Ours: every cervical site 1, C5s unscorable. Reader: the same but C4i 2 and C5s 1.
        ours = [{"id": s, "point": None, "grade": None if s == "C5s" else 1} for s in CERVICAL_SITES]
        table = sites_to_table(slicer.mrmlScene, ours, name="result", findings=FINDINGS)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "reader.csv")
            with open(path, "w") as f:
                f.write("site,grade\n" + "".join(f"{s},{dict(C4i=2).get(s, 1)}\n" for s in CERVICAL_SITES))
            result = AxSpAScoringLogic().compareWithReader(table, path)
        self.assertEqual((result["n_compared"], result["n_agree"]), (12, 10))
        self.assertEqual(result["disagreeing_sites"], ["C4i", "C5s"])
        out = result["table"]
        self.assertEqual([out.GetCellText(r, 0) for r in range(3)], ["C4i", "C5s", "C2i"])
        self.assertEqual([out.GetCellText(1, c) for c in range(5)], ["C5s", "", "1", "", "no"])
        self.delayDisplay("Test passed")

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
