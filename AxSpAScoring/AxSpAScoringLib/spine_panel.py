"""The AxSpA Scoring panel's spine model workflow (SpinePanel): "Score with model" (Cancel while it runs),
re-grading the moved points, re-scoring the table, exporting the result and the results table's clicks."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow


class SpinePanel(Workflow):
    """Model scoring of the spine radiograph(s), and what follows it."""

    def connect(self) -> None:
        ui = self.ui
        ui.applyButton.connect("clicked(bool)", self.onApplyButton)
        ui.cancelButton.connect("clicked(bool)", self.onCancelButton)
        ui.rescoreButton.connect("clicked(bool)", self.onRescoreButton)
        ui.regradeButton.connect("clicked(bool)", self.onRegradeButton)
        ui.exportButton.connect("clicked(bool)", self.onExportButton)
        ui.resultsTableView.connect("clicked(QModelIndex)", self.onResultsTableClicked)

    def onCancelButton(self) -> None:
        self.job.request_cancel()

    def onApplyButton(self) -> None:
        """Score the radiograph(s) with the models when the user clicks "Score with model" (Cancel while running)."""
        if self.job and self.job.running:
            self.job.request_cancel()
            return
        p, logic, runner = self.parameters, self.logic, self.job
        modelDir = self.modelDir()

        def job():  # questions (installs, a bundle's own code) first, then the wait cursor
            logic.ensureModelDependencies(logic.SPINE_BUNDLES, modelDir)
            models = logic.loadSpineModels(modelDir)
            with runner.computing():
                return logic.scoreSpine(
                    p.inputVolume, p.region, otherVolume=p.otherVolume, outputMarkups=p.outputMarkups,
                    otherMarkups=p.otherMarkups, outputTable=p.outputTable, threshold=p.findingThreshold,
                    progress=runner.progress, cancel=runner.cancel, models=models)

        result = runner.run(job)
        if result is None:
            return
        if modelDir:
            self.ui.modelDirPathLineEdit.addCurrentPathToHistory()
        # Keep the nodes the logic created so the next run reuses them.
        p.outputMarkups, p.outputTable = result["markups"][0], result["table"]
        if len(result["markups"]) > 1:
            p.otherMarkups = result["markups"][1]
        self.showScore(result["score"], result["warnings"])
        review = [s["id"] for doc in result["documents"] for s in doc["sites"] if s.get("review")]
        self.setStatus(_("Scored.") + (" " + _("Please review: ") + ", ".join(review) if review else ""))

    def onRegradeButton(self) -> None:
        """Re-run the corner model at the control points the user moved, and only there."""
        from axspa.jobs import scaled_progress

        p, logic, runner = self.parameters, self.logic, self.job
        pairs = [(v, m) for v, m in ((p.inputVolume, p.outputMarkups), (p.otherVolume, p.otherMarkups)) if v and m]
        if not logic.movedSites([m for _v, m in pairs]):
            self.setStatus(_("No control point was moved since it was graded."))
            return
        modelDir = self.modelDir()

        def job():
            logic.ensureModelDependencies(logic.CORNER_BUNDLES, modelDir)
            corners = logic.loadCornerModel(modelDir)
            with runner.computing():
                return [logic.regradeMovedSites(
                    volume, markups, p.outputTable, threshold=p.findingThreshold, corners=corners,
                    cancel=runner.cancel,
                    progress=scaled_progress(runner.progress, n / len(pairs), (n + 1) / len(pairs)))
                    for n, (volume, markups) in enumerate(pairs)]

        results = runner.run(job)
        if results is None:
            return
        regraded = [site for r in results for site in r["regraded"] + r["partners"]]
        kept = [site for r in results for site in r["kept"]]
        self.showScore(results[-1]["score"])
        text = _("Re-graded: ") + ", ".join(regraded) + "."
        if kept:
            text += " " + _("Your grades were kept: ") + ", ".join(kept) + "."
        self.setStatus(text)

    def onRescoreButton(self) -> None:
        """Score the grades in the output table (edited by the user); needs no model. An empty table (just
        created) becomes a new reading of the region."""
        from AxSpAScoringLib.reading import isEmptyTable

        if isEmptyTable(self.parameters.outputTable):
            self.widget.readingPanel.onNewReadingButton()
            return
        with slicer.util.tryWithErrorDisplay(_("Failed to compute results."), waitCursor=True):
            score = self.logic.rescoreFromTable(self.parameters.outputTable)
            self.showScore(score)
            self.setStatus(_("Re-scored from the table."))

    def onExportButton(self) -> None:
        """Write the command line's files (JSON, CSV, markups) of the result as it stands."""
        p = self.parameters
        self.saveTo(_("Export the mSASSS result to"), lambda folder, overwrite: self.logic.exportResults(
            folder, p.inputVolume, p.outputMarkups, p.outputTable, p.otherVolume, p.otherMarkups, overwrite=overwrite))

    def onResultsTableClicked(self, index) -> None:
        """Show the clicked row's site in the "Selected site" box and centre the slice views on its point."""
        from AxSpAScoringLib.nodes import findSitePoint
        from AxSpAScoringLib.panel import siteOfRow

        p = self.parameters
        site = siteOfRow(index)
        self.widget._siteEditor.show(p.outputTable, site)
        found = findSitePoint([p.outputMarkups, p.otherMarkups], site) if site else None
        if site and found is None:
            self.setStatus(_("{site} has no control point placed.").format(site=site))
        elif found:
            slicer.modules.markups.logic().JumpSlicesToNthPointInMarkup(found[0].GetID(), found[1], True)
