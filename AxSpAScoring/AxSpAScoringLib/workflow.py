"""What the AxSpA Scoring panel's workflows share (workflow.Workflow): the widget's ui, logic, parameter node
and model job runner, read through the widget each time (a scene close or a reload replaces them), the totals
shown, the status line and saving into a folder; and the state of the panel's buttons (updatePanel).

One class per workflow derives from Workflow: spine_panel.SpinePanel (model scoring, re-grading, re-scoring,
export, the results table), reading_panel.ReadingPanel (a reading by hand), sij_panel.SijPanel (the sacroiliac
joints) and compare_panel.ComparePanel (a reader's grades). Each connects its own buttons.
"""

from typing import Optional

import slicer
from slicer.i18n import tr as _


class Workflow:
    """One workflow of the panel, on the module widget ``widget`` (its ui, logic, _parameterNode and _job)."""

    def __init__(self, widget) -> None:
        self.widget = widget

    @property
    def ui(self):
        return self.widget.ui

    @property
    def logic(self):
        return self.widget.logic

    @property
    def job(self):
        return self.widget._job

    @property
    def parameters(self):
        return self.widget._parameterNode

    def setStatus(self, text: str) -> None:
        self.ui.statusLabel.text = text

    def modelDir(self):
        """The model folder chosen in the panel, or None for the installed bundles."""
        return self.ui.modelDirPathLineEdit.currentPath or None

    def showScore(self, score: dict, warnings: Optional[list] = None) -> None:
        """Totals in the panel (and the table and selected site as they now are); ``warnings`` replace the shown
        ones when given."""
        from axspa.spine.texts import msasss_summary
        from AxSpAScoringLib.panel import showSiteTable

        texts = msasss_summary(score)
        self.ui.cervicalLabel.text = texts["cervical"]
        self.ui.lumbarLabel.text = texts["lumbar"]
        self.ui.totalLabel.text = texts["total"]
        self.ui.imputedSitesLabel.text = texts["imputed_sites"]
        if warnings is not None:
            self.ui.warningsLabel.text = "\n".join(warnings) or _("none")
        siteEditor, p = self.widget._siteEditor, self.parameters
        if siteEditor and p and p.outputTable:
            showSiteTable(self.ui.resultsTableView, p.outputTable)  # new columns: hidden again
            siteEditor.show(p.outputTable, siteEditor.site)

    def saveTo(self, title: str, write) -> bool:
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


def updatePanel(widget) -> None:
    """The buttons of the panel as the parameter node and the model job now allow (the widget's _checkCanApply);
    the site table shown and followed by the live totals."""
    from AxSpAScoringLib.panel import showSiteTable
    from AxSpAScoringLib.reading import readingInfo

    ui, p = widget.ui, widget._parameterNode
    running = bool(widget._job and widget._job.running)
    idle = not running
    ui.progressBar.visible = ui.cancelButton.visible = running  # hidden when idle
    # While a job runs, Apply becomes Cancel (the same place the user just clicked).
    if not hasattr(widget, "_applyText"):
        widget._applyText = ui.applyButton.text
    ui.applyButton.text = _("Cancel") if running else widget._applyText
    ui.applyButton.enabled = running or bool(p and p.inputVolume)
    ui.applyButton.toolTip = (_("Stop after the current step") if running else
                              _("Locate and grade every site with the installed models")
                              if p and p.inputVolume else _("Select a spine radiograph"))
    table = p.outputTable if p else None
    ui.newReadingButton.enabled = idle and bool(p and p.inputVolume)
    ui.placeButton.enabled = idle and bool(p and (p.outputMarkups or p.otherMarkups))
    ui.saveReadingButton.enabled = ui.exportButton.enabled = idle and bool(table and p.inputVolume)
    ui.rescoreButton.enabled = idle and bool(table)
    ui.regradeButton.enabled = (idle and bool(table and p.inputVolume and p.outputMarkups)
                                and readingInfo(table) is None)  # a manual reading runs no model
    ui.sijApplyButton.enabled = idle and bool(p and p.pelvisVolume)
    ui.sijRegradeButton.enabled = idle and bool(p and p.pelvisVolume
                                                and widget.logic.sacroiliacJoints(p.pelvisVolume))
    ui.heatmapOpacitySliderWidget.enabled = ui.showHeatmapCheckBox.enabled = bool(p and p.heatmapVolume)
    ui.cancelButton.enabled = running
    hasReader = bool(ui.readerPathLineEdit.currentPath or (p and p.readerTable))
    ui.compareButton.enabled = idle and bool(table) and hasReader
    if table:
        showSiteTable(ui.resultsTableView, table)
    if widget._live:
        widget._live.watch(table)
