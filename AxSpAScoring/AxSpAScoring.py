import os
import sys
from typing import Annotated, Optional

import slicer
import vtk
from AxSpAScoringLib.logic import CohortLogic, ModelLogic, ReadingLogic
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


#
# Register sample data sets in Sample Data module
#


def registerSampleData():
    """Add the phantom radiographs listed in Resources/SampleData/manifest.json to Sample Data."""
    from axspa.slicer.samples import register_samples

    register_samples(__file__, "AxSpAScoring", "AxSpA Scoring")


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
    readerName, study - who reads and which study, for a manual reading ("New reading").
    placePoints - whether "New reading" also makes the points to place in order.
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
    readerName: str = ""
    study: str = ""
    placePoints: bool = True


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
        self._live = None  # totals that follow every edit of the output table (AxSpAScoringLib.panel.LiveScore)
        self._siteEditor = None  # the "Selected site" box (AxSpAScoringLib.panel.SiteEditor)
        self._placement = None  # place mode over a reading's point lists (AxSpAScoringLib.panel.Placement)

    def setup(self) -> None:
        """Called when the user opens the module the first time and the widget is initialized."""
        import qt

        ScriptedLoadableModuleWidget.setup(self)

        # Load widget from .ui file (created by Qt Designer).
        uiWidget = slicer.util.loadUI(self.resourcePath("UI/AxSpAScoring.ui"))
        self.layout.addWidget(uiWidget)
        self.ui = slicer.util.childWidgetVariables(uiWidget)

        # Set scene in MRML widgets (the .ui connects mrmlSceneChanged to each MRML widget).
        uiWidget.setMRMLScene(slicer.mrmlScene)
        self.logic = AxSpAScoringLogic()
        self.makePanelHelpers(defer=lambda function: qt.QTimer.singleShot(0, function))

        # These connections ensure that we update parameter node when scene is closed
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.StartCloseEvent, self.onSceneStartClose)
        self.addObserver(slicer.mrmlScene, slicer.mrmlScene.EndCloseEvent, self.onSceneEndClose)

        # Buttons
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.newReadingButton.connect("clicked(bool)", self.onNewReadingButton)
        self.ui.placeButton.connect("clicked(bool)", self.onPlaceButton)
        self.ui.saveReadingButton.connect("clicked(bool)", self.onSaveReadingButton)
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

    def makePanelHelpers(self, defer) -> None:
        """The model job runner, the live totals, the "Selected site" box and place mode over the reading's point
        lists (``defer`` runs a function once Qt is back in its loop)."""
        from AxSpAScoringLib.panel import LiveScore, Placement, SiteEditor

        from axspa.slicer.panel_job import PanelJob

        self._job = PanelJob(
            slicer, self.ui, busy=lambda running: self._checkCanApply(), title=_("AxSpA Scoring"), tr=_,
            hint=_("Without a model, read the film by hand: 'New reading' lists the sites of the region (and lets "
                   "you click the corners), choose a grade per site, then 'Save reading'."))
        self._live = LiveScore(self.logic.rescoreFromTable, self._showScore, self._setStatus, defer=defer,
                               paused=lambda: self._job.running)
        self._siteEditor = SiteEditor(self.ui, lambda: self._parameterNode.findingThreshold)
        self._placement = Placement(slicer, lambda: self._parameterNode, defer,
                                    lambda site: self._setStatus(self._placingText(site)))
        self._placement.observe(slicer.mrmlScene)  # and again after a scene is loaded

    def cleanup(self) -> None:
        """Called when the application closes and the module widget is destroyed."""
        self.removeObservers()
        if self._live:
            self._live.watch(None)
        if self._placement:
            self._placement.stop()

    def onReload(self) -> None:
        """Reload re-reads AxSpAScoringLib and the axspa engine too (Slicer's re-runs only this file)."""
        from axspa.slicer.reload import forget_modules

        forget_modules(("AxSpAScoringLib", "axspa"))
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

    def setParameterNode(self, inputParameterNode: Optional[AxSpAScoringParameterNode]) -> None:
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
        from AxSpAScoringLib.panel import showSiteTable
        from AxSpAScoringLib.reading import readingInfo

        p = self._parameterNode
        running = bool(self._job and self._job.running)
        idle = not running
        self.ui.progressBar.visible = self.ui.cancelButton.visible = running  # hidden when idle
        # While a job runs, Apply becomes Cancel (the same place the user just clicked).
        if not hasattr(self, "_applyText"):
            self._applyText = self.ui.applyButton.text
        self.ui.applyButton.text = _("Cancel") if running else self._applyText
        self.ui.applyButton.enabled = running or bool(p and p.inputVolume)
        self.ui.applyButton.toolTip = (_("Stop after the current step") if running else
                                       _("Locate and grade every site with the installed models")
                                       if p and p.inputVolume else _("Select a spine radiograph"))
        table = p.outputTable if p else None
        self.ui.newReadingButton.enabled = idle and bool(p and p.inputVolume)
        self.ui.placeButton.enabled = idle and bool(p and (p.outputMarkups or p.otherMarkups))
        self.ui.saveReadingButton.enabled = self.ui.exportButton.enabled = idle and bool(table and p.inputVolume)
        self.ui.rescoreButton.enabled = idle and bool(table)
        self.ui.regradeButton.enabled = (idle and bool(table and p.inputVolume and p.outputMarkups)
                                         and readingInfo(table) is None)  # a manual reading runs no model
        self.ui.sijApplyButton.enabled = idle and bool(p and p.pelvisVolume)
        self.ui.cancelButton.enabled = running
        hasReader = bool(self.ui.readerPathLineEdit.currentPath or (p and p.readerTable))
        self.ui.compareButton.enabled = idle and bool(table) and hasReader
        if table:
            showSiteTable(self.ui.resultsTableView, table)
        if self._live:
            self._live.watch(table)

    def _modelDir(self):
        """The model folder chosen in the panel, or None for the installed bundles."""
        return self.ui.modelDirPathLineEdit.currentPath or None

    def _setStatus(self, text: str) -> None:
        self.ui.statusLabel.text = text

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

        def job():  # questions (installs, a bundle's own code) first, then the wait cursor
            self.logic.ensureModelDependencies(self.logic.SPINE_BUNDLES, modelDir)
            models = self.logic.loadSpineModels(modelDir)
            with self._job.computing():
                return self.logic.scoreSpine(
                    p.inputVolume, p.region, otherVolume=p.otherVolume, outputMarkups=p.outputMarkups,
                    otherMarkups=p.otherMarkups, outputTable=p.outputTable, threshold=p.findingThreshold,
                    progress=self._job.progress, cancel=self._job.cancel, models=models)

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
            with self._job.computing():
                return [self.logic.regradeMovedSites(
                    volume, markups, p.outputTable, threshold=p.findingThreshold, corners=corners,
                    cancel=self._job.cancel,
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

    # ------------------------------------------------------------------------------ a manual reading

    def onNewReadingButton(self) -> None:
        """A site table of the region (24 sites with a second film) for this reader and study, and the points to
        place in order when asked; nodes that hold anything already are never reused."""
        p = self._parameterNode
        with slicer.util.tryWithErrorDisplay(_("Failed to start a reading."), waitCursor=True):
            result = self.logic.newReading(p.inputVolume, p.region, p.readerName, p.study, otherVolume=p.otherVolume,
                                           points=p.placePoints, outputTable=p.outputTable,
                                           outputMarkups=p.outputMarkups, otherMarkups=p.otherMarkups)
            p.outputTable = result["table"]
            p.outputMarkups, p.otherMarkups = (result["markups"] + [None, None])[:2]
            self._showScore(self.logic.rescoreFromTable(p.outputTable), [])
            text = _("New reading of {sites} sites: click a row, choose its grade or tick its findings.").format(
                sites=result["table"].GetNumberOfRows())
            self.ui.statusLabel.text = text + (" " + self._startPlacing() if result["markups"] else "")

    def onPlaceButton(self) -> None:
        self.ui.statusLabel.text = self._startPlacing()

    def _startPlacing(self) -> str:
        return self._placingText(self._placement.start())

    def _placingText(self, site) -> str:
        if site is None:
            return _("Every site is placed; drag a point to move it (its grade stays).")
        return _("Click the corners in order, starting with {site}; right-click or double-click to stop "
                 "placing.").format(site=site)

    def onSaveReadingButton(self) -> None:
        """Write the reading in the command line's files and <study>.reading.csv (and add it to the reader table)."""
        p = self._parameterNode
        readerTable = self.ui.readerTablePathLineEdit.currentPath or None
        saved = []

        def save(folder, overwrite):
            saved.append(self.logic.saveReading(folder, p.inputVolume, p.outputTable, p.outputMarkups, p.otherVolume,
                                                p.otherMarkups, reader=p.readerName, study=p.study,
                                                readerTable=readerTable, overwrite=overwrite))
            return saved[-1]

        if self._saveTo(_("Save the mSASSS reading to"), save):
            if readerTable:
                self.ui.readerTablePathLineEdit.addCurrentPathToHistory()
            if saved[-1]["not_graded"]:
                self.ui.statusLabel.text += " " + _("Not graded, saved as unscorable: ") + ", ".join(
                    saved[-1]["not_graded"]) + "."

    def onExportButton(self) -> None:
        """Write the command line's files (JSON, CSV, markups) of the result as it stands."""
        p = self._parameterNode
        self._saveTo(_("Export the mSASSS result to"), lambda folder, overwrite: self.logic.exportResults(
            folder, p.inputVolume, p.outputMarkups, p.outputTable, p.otherVolume, p.otherMarkups, overwrite=overwrite))

    def _saveTo(self, title: str, write) -> bool:
        """Ask for a folder and ``write(folder, overwrite)`` into it; files that differ (edited?) are replaced only
        after asking. True when written."""
        import qt

        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), title)
        if not folder:
            return False
        from axspa.slicer.saving import save_keeping_edits

        def writeWaiting(overwrite):
            with slicer.util.WaitCursor():  # not around the question: it shows the normal cursor
                return write(folder, overwrite)

        with slicer.util.tryWithErrorDisplay(_("Failed to save.")):
            save_keeping_edits(writeWaiting, lambda question: slicer.util.confirmYesNoDisplay(
                question, windowTitle=_("AxSpA Scoring")), _)
            self.ui.statusLabel.text = _("Saved to {folder}.").format(folder=folder)
            return True
        return False

    def onResultsTableClicked(self, index) -> None:
        """Show the clicked row's site in the "Selected site" box and centre the slice views on its point."""
        from AxSpAScoringLib.nodes import findSitePoint
        from AxSpAScoringLib.panel import siteOfRow

        p = self._parameterNode
        site = siteOfRow(index)
        self._siteEditor.show(p.outputTable, site)
        found = findSitePoint([p.outputMarkups, p.otherMarkups], site) if site else None
        if site and found is None:
            self.ui.statusLabel.text = _("{site} has no control point placed.").format(site=site)
        elif found:
            slicer.modules.markups.logic().JumpSlicesToNthPointInMarkup(found[0].GetID(), found[1], True)

    def onRescoreButton(self) -> None:
        """Score the grades in the output table (edited by the user); needs no model. An empty table (just
        created) becomes a new reading of the region."""
        from AxSpAScoringLib.reading import isEmptyTable

        if isEmptyTable(self._parameterNode.outputTable):
            self.onNewReadingButton()
            return
        with slicer.util.tryWithErrorDisplay(_("Failed to compute results."), waitCursor=True):
            score = self.logic.rescoreFromTable(self._parameterNode.outputTable)
            self._showScore(score)
            self.ui.statusLabel.text = _("Re-scored from the table.")

    def onSijApplyButton(self) -> None:
        """Grade both sacroiliac joints of the pelvic radiograph."""
        p = self._parameterNode

        def job():  # questions (installs, a bundle's own code) first, then the wait cursor
            self.logic.ensureModelDependencies(self.logic.SIJ_BUNDLES)
            model = self.logic.loadSijModel()
            with self._job.computing():
                return self.logic.scorePelvis(p.pelvisVolume, heatmapVolume=p.heatmapVolume, model=model,
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
        self.ui.sijWarningsLabel.text = "\n".join(doc.get("warnings") or []) or _("none")
        self.ui.statusLabel.text = _("Graded.")

    def onReaderPathChanged(self, path: str) -> None:
        from axspa.image import InputError
        from axspa.spine.readings import list_studies

        if path and self._parameterNode:
            self._parameterNode.readerTable = None
        try:
            self._showStudies(list_studies(path) if path else [])
        except InputError:  # not a table (yet): Compare says why
            self._showStudies([])
        self._checkCanApply()

    def onReaderTableChanged(self, node) -> None:
        from AxSpAScoringLib.compare import studiesOfTable

        if node:
            self.ui.readerPathLineEdit.currentPath = ""
            self._showStudies(studiesOfTable(node))

    def _showStudies(self, studies: list) -> None:
        """The studies of the reader's table in the Study list (empty for a single reading)."""
        combo = self.ui.readerStudyComboBox
        combo.clear()
        for study in studies:
            combo.addItem(study)
        combo.enabled = bool(studies)

    def onCompareButton(self) -> None:
        """List the sites where the output table and the reader's grades differ; highlight their points."""
        from AxSpAScoringLib.compare import summaryText

        p = self._parameterNode
        path = self.ui.readerPathLineEdit.currentPath
        markups = [node for node in (p.outputMarkups, p.otherMarkups) if node]
        study = self.ui.readerStudyComboBox.currentText or None
        with slicer.util.tryWithErrorDisplay(_("Failed to compare with the reader."), waitCursor=True):
            if path:
                result = self.logic.compareWithReader(p.outputTable, path, p.disagreementTable, markups, study)
                self.ui.readerPathLineEdit.addCurrentPathToHistory()
            else:
                result = self.logic.compareWithReaderTable(p.outputTable, p.readerTable, p.disagreementTable,
                                                           markups, study)
            p.disagreementTable = result["table"]
            self.ui.compareSummaryLabel.text = summaryText(result)
            self.ui.disagreementTableView.setMRMLTableNode(result["table"])

    def _showScore(self, score: dict, warnings: Optional[list] = None) -> None:
        """Totals in the panel (and the table and selected site as they now are); ``warnings`` replace the shown
        ones when given."""
        from AxSpAScoringLib.panel import showSiteTable

        from axspa.spine.texts import msasss_summary

        texts = msasss_summary(score)
        self.ui.cervicalLabel.text = texts["cervical"]
        self.ui.lumbarLabel.text = texts["lumbar"]
        self.ui.totalLabel.text = texts["total"]
        self.ui.imputedSitesLabel.text = texts["imputed_sites"]
        if warnings is not None:
            self.ui.warningsLabel.text = "\n".join(warnings) or _("none")
        if self._siteEditor and self._parameterNode and self._parameterNode.outputTable:
            showSiteTable(self.ui.resultsTableView, self._parameterNode.outputTable)  # new columns: hidden again
            self._siteEditor.show(self._parameterNode.outputTable, self._siteEditor.site)


#
# AxSpAScoringLogic
#


class AxSpAScoringLogic(CohortLogic, ModelLogic, ReadingLogic, ScriptedLoadableModuleLogic):
    """Scoring usable from the Python console without the GUI, e.g.

    logic = slicer.util.getModuleLogic("AxSpAScoring")
    result = logic.process(getNode("cspine"), region="auto")        # models -> control points + table
    result = logic.process(cspine, otherVolume=lspine)               # a cervical + lumbar visit: study total
    score = logic.rescoreFromTable(result["table"])                  # after typing grades into the table
    logic.regradeMovedSites(cspine, result["markups"][0], result["table"])  # after moving control points
    logic.exportResults("/tmp/out", cspine, result["markups"][0], result["table"])
    reading = logic.newReading(cspine, "cervical", reader="R1", study="P01-V1")  # by hand, no model
    score = logic.setSiteGrade(reading["table"], "C4i", 2)           # or logic.setSiteFinding(..., "bridging")
    logic.saveReading("/tmp/reading", cspine, reading["table"], reading["markups"][0])
    batch = logic.processCohort("/data/cohort.csv", "/data/out")    # a cohort, as `axspa batch` scores it
    case = logic.loadCase("/data/out", "P001-V1-lumbar")            # one scored case: film, points, table

    process() returns scoreSpine's dict (documents, markups, table, score, warnings) and creates or updates
    the nodes: the markups and the table an earlier run made for the same radiograph (found through their
    node references, axspa.slicer.outputs) are reused. What the user edited there is never overwritten:
    points moved, placed or locked keep their position (and are re-graded where they are), grades typed
    into the table are kept and marked "reader" in its source column. overwrite=True replaces the moved
    points and typed grades with the models' (locked points are still kept). modelDir is a folder of the
    user's own bundles; a bundle that would run its own code is loaded only after the user agrees. The methods
    are in AxSpAScoringLib/logic.py: ModelLogic (the models), ReadingLogic (what needs no model) and
    CohortLogic (processCohort, loadCase: a cohort scored in this process into per-case folders and tables).
    """

    def __init__(self) -> None:
        """Called when the logic class is instantiated. Can be used for initializing member variables."""
        ScriptedLoadableModuleLogic.__init__(self)
        self._trustedModelDirs = set()  # model folders whose bundle code the user agreed to run

    def getParameterNode(self):
        return AxSpAScoringParameterNode(super().getParameterNode())


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
        self.setUp()
        self.test_ManualReadingRoundTrip()

    def test_RescoreManualReading(self):
        """A reader's grades in a table node give the mSASSS worked by hand, and edits are picked up."""
        from axspa.slicer.tables import sites_to_table
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

    def test_ManualReadingRoundTrip(self):
        """A reading by hand (no model): grades and a ticked finding, saved, scored again by `axspa msasss`."""
        import contextlib
        import io
        import json
        import tempfile

        import numpy as np

        from axspa.cli import main

        self.delayDisplay("A manual reading, saved and scored by the command line")
        volume = slicer.util.addVolumeFromArray(np.zeros((1, 64, 48), dtype=np.int16), name="cspine")
        logic = AxSpAScoringLogic()
        reading = logic.newReading(volume, "cervical", reader="R1", study="S1")
        table = reading["table"]
        self.assertEqual(table.GetNumberOfRows(), 12)
        for site in ("C2i", "C3s", "C3i", "C4s", "C4i", "C5s", "C5i", "C6s", "C6i", "C7s", "C7i"):
            logic.setSiteGrade(table, site, 1)
        score = logic.setSiteFinding(table, "T1s", "syndesmophyte")  # T1s: grade 2 by the rules
        self.assertEqual((score["cervical"]["raw"], score["cervical"]["imputed"]), (13, 13.0))
        with tempfile.TemporaryDirectory() as folder:
            saved = logic.saveReading(folder, volume, table, reading["markups"][0])
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(main(["msasss", saved["reading"], "--json"]), 0)
        self.assertEqual(json.loads(out.getvalue())["cervical"], score["cervical"])
        self.delayDisplay("Test passed")

    def test_GradeOverrideIsMarked(self):
        """A grade typed over the model's is marked as the reader's in the source column and counts in the
        totals; typing the model's grade back makes it the model's again."""
        from axspa.slicer.tables import sites_to_table
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

        from axspa.slicer.tables import sites_to_table
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
