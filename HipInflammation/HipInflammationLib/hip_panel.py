"""The Hip Inflammation panel's workflow (HipPanel): "Segment with model" (Cancel while it runs), "Score existing
segmentation" ("Recompute scores" once scored), "Export..." and the model folder; and the state of the panel's
buttons (updatePanel, the widget's _checkCanApply).

HipPanel reads the widget's ui, logic, parameter node and job runner through the widget each time (a scene
close or a reload replaces them), so the tests drive it with stand-ins.
"""

import os

import slicer
from slicer.i18n import tr as _

from HipInflammationLib.panel import askAboutEditedSegments, scoreHint, selectOutputsOf, showResultsTable


class HipPanel:
    """Segmenting with the model, scoring a segmentation as it is and exporting, on the module widget ``widget``
    (its ui, logic, _parameterNode and _job)."""

    def __init__(self, widget) -> None:
        self.widget = widget
        self.modelRunning = False  # while the model runs, Apply is the Cancel button
        self.lastInput = None  # outputs follow the input volume when it changes

    @property
    def ui(self):
        return self.widget.ui

    @property
    def logic(self):
        return self.widget.logic

    @property
    def job(self):
        return self.widget._job

    def connect(self) -> None:
        self.ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        self.ui.scoreButton.connect("clicked(bool)", self.onScoreButton)
        self.ui.exportButton.connect("clicked(bool)", self.onExportButton)
        self.ui.modelDirPathLineEdit.connect("currentPathChanged(QString)", self.onModelDirChanged)

    def modelDir(self):
        """The model folder chosen in the panel, or None for the installed bundle."""
        return self.ui.modelDirPathLineEdit.currentPath or None

    def onModelDirChanged(self, path=None) -> None:
        """Say which model "Segment with model" will use, or why there is none."""
        from axspa.bundles import ModelMissingError, find_bundle
        from axspa.slicer.packages import model_folder

        try:
            folder = find_bundle(self.logic.HIP_BUNDLES[0], model_folder(self.modelDir()))
            self.ui.modelStatusLabel.text = _("Model: {folder}").format(folder=folder)
        except ModelMissingError as exc:
            self.ui.modelStatusLabel.text = str(exc)

    def onApplyButton(self) -> None:
        """Segment with the model, then score, when the user clicks "Segment with model" (Cancel while running)."""
        if self.modelRunning:
            self.job.request_cancel()
            return
        p, logic, runner = self.widget._parameterNode, self.logic, self.job
        modelDir = self.modelDir()

        def job():  # questions (edited segments, installs, a bundle's own code) first, then the wait cursor
            onEdited = self.askAboutEditedSegments(p.inputVolume, p.outputSegmentation)
            logic.ensureModelDependencies(modelDir)
            model = logic.loadModel(modelDir)
            with runner.computing():
                return logic.segmentWithModel(
                    p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth, minLesionAreaMm2=p.minLesionAreaMm2,
                    resultsTable=p.resultsTable, slicesTable=p.slicesTable, plotChart=p.plotChart, model=model,
                    onEdited=onEdited, progress=runner.progress, cancel=runner.cancel)

        self.modelRunning = True
        try:
            result = runner.run(job)
        finally:
            self.modelRunning = False
            self.widget._checkCanApply()
        if result is None:
            return
        if modelDir:
            self.ui.modelDirPathLineEdit.addCurrentPathToHistory()
        self.showResult(result, _("Segmented and scored."))

    def askAboutEditedSegments(self, volume, segmentation) -> str:
        """"keep" or "new": what the model does with segments the user edited in the chosen segmentation."""
        edited = self.logic.editedSegments(volume, segmentation) if volume and segmentation else []
        return askAboutEditedSegments(slicer, segmentation, edited)

    def onScoreButton(self) -> None:
        """Score the selected segmentation as it is now (drawn, or edited in Segment Editor); needs no model."""
        p = self.widget._parameterNode
        result = self.job.run(lambda: self.logic.scoreSegmentation(
            p.inputVolume, p.outputSegmentation, halfWidth=p.halfWidth, minLesionAreaMm2=p.minLesionAreaMm2,
            resultsTable=p.resultsTable, slicesTable=p.slicesTable, plotChart=p.plotChart), waitCursor=True)
        if result is not None:
            self.showResult(result, _("Scored the segments as they are now (no model run)."))

    def onExportButton(self) -> None:
        """Write hip.json, <stem>.slices.csv and <stem>.seg.nrrd of the segments as they are now."""
        import qt

        from axspa.slicer.saving import save_keeping_edits

        p = self.widget._parameterNode
        settings = qt.QSettings()
        start = settings.value("HipInflammation/ExportFolder") or os.path.expanduser("~")
        folder = qt.QFileDialog.getExistingDirectory(slicer.util.mainWindow(), _("Export the hip result to"), start)
        if not folder:
            return

        def export(overwrite=False):
            return self.job.run(lambda: self.logic.exportResults(
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
        self.showResult(result, _("Exported to {folder}.").format(folder=folder))

    def showResult(self, result: dict, status: str) -> None:
        from axspa.hip.texts import hip_summary

        p = self.widget._parameterNode
        p.outputSegmentation, p.resultsTable = result["segmentation"], result["table"]
        p.slicesTable, p.plotChart = result["slices"], result["plot"]
        self.ui.summaryLabel.text = hip_summary(result["document"]["sides"])
        self.ui.warningsLabel.text = "\n".join(result["warnings"]) or _("none")
        showResultsTable(self.ui.resultsTableView, result["table"])
        self.ui.statusLabel.text = status
        self.widget._checkCanApply()
        self.logic.showResults(p.inputVolume, result)

    def updatePanel(self) -> None:
        """The buttons as the parameter node and the job now allow; a new input volume gets its own outputs."""
        from axspa.slicer.outputs import output_kind

        ui, p = self.ui, self.widget._parameterNode
        if p is not None and p.inputVolume is not self.lastInput:
            self.lastInput = p.inputVolume
            selectOutputsOf(p)
        idle = not (self.job and self.job.running)
        hasInput = bool(p and p.inputVolume)
        hasSegmentation = hasInput and bool(p.outputSegmentation)
        # While the model runs, Apply becomes Cancel (the same place the user just clicked).
        if not hasattr(self, "applyText"):
            self.applyText = ui.applyButton.text
        ui.applyButton.text = _("Cancel") if self.modelRunning else self.applyText
        ui.applyButton.enabled = self.modelRunning or (idle and hasInput)
        ui.applyButton.toolTip = (
            _("Stop after the current step") if self.modelRunning else
            _("Segment the hips with the model (installed, or the folder chosen above), then score them")
            if hasInput else _("Select a STIR volume"))
        scored = hasSegmentation and output_kind(p.outputSegmentation) == "segmentation"
        ui.scoreButton.text = _("Recompute scores") if scored else _("Score existing segmentation")
        ui.scoreButton.enabled = idle and hasSegmentation
        ui.scoreButton.toolTip = (
            _("Score the segments as they are now (e.g. edited in Segment Editor), without running any model")
            if hasSegmentation else _("Select a STIR volume and, under Outputs, the segmentation to score"))
        ui.exportButton.enabled = idle and hasSegmentation
        ui.scoreHintLabel.text = scoreHint(idle, hasInput, hasSegmentation, scored)
        ui.progressBar.visible = not idle
        if p and p.resultsTable:
            showResultsTable(ui.resultsTableView, p.resultsTable)
