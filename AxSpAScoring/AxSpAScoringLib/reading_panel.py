"""The AxSpA Scoring panel's manual reading (ReadingPanel): "New reading", placing the corners in order and
"Save reading"."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow


class ReadingPanel(Workflow):
    """A reading by hand, without any model."""

    def connect(self) -> None:
        self.ui.newReadingButton.connect("clicked(bool)", self.onNewReadingButton)
        self.ui.placeButton.connect("clicked(bool)", self.onPlaceButton)
        self.ui.saveReadingButton.connect("clicked(bool)", self.onSaveReadingButton)

    def onNewReadingButton(self) -> None:
        """A site table of the region (24 sites with a second film) for this reader and study, and the points to
        place in order when asked; nodes that hold anything already are never reused."""
        p = self.parameters
        with slicer.util.tryWithErrorDisplay(_("Failed to start a reading."), waitCursor=True):
            result = self.logic.newReading(p.inputVolume, p.region, p.readerName, p.study, otherVolume=p.otherVolume,
                                           points=p.placePoints, outputTable=p.outputTable,
                                           outputMarkups=p.outputMarkups, otherMarkups=p.otherMarkups)
            p.outputTable = result["table"]
            p.outputMarkups, p.otherMarkups = (result["markups"] + [None, None])[:2]
            self.showScore(self.logic.rescoreFromTable(p.outputTable), [])
            text = _("New reading of {sites} sites: click a row, choose its grade or tick its findings.").format(
                sites=result["table"].GetNumberOfRows())
            self.setStatus(text + (" " + self.startPlacing() if result["markups"] else ""))

    def onPlaceButton(self) -> None:
        self.setStatus(self.startPlacing())

    def startPlacing(self) -> str:
        return placingText(self.widget._placement.start())

    def onSaveReadingButton(self) -> None:
        """Write the reading in the command line's files and <study>.reading.csv (and add it to the reader table)."""
        p = self.parameters
        readerTable = self.ui.readerTablePathLineEdit.currentPath or None
        saved = []

        def save(folder, overwrite):
            saved.append(self.logic.saveReading(folder, p.inputVolume, p.outputTable, p.outputMarkups, p.otherVolume,
                                                p.otherMarkups, reader=p.readerName, study=p.study,
                                                readerTable=readerTable, overwrite=overwrite))
            return saved[-1]

        if self.saveTo(_("Save the mSASSS reading to"), save):
            if readerTable:
                self.ui.readerTablePathLineEdit.addCurrentPathToHistory()
            if saved[-1]["not_graded"]:
                self.ui.statusLabel.text += " " + _("Not graded, saved as unscorable: ") + ", ".join(
                    saved[-1]["not_graded"]) + "."


def placingText(site) -> str:
    """What the status line says while placing: the next corner to click (``site``), or that every one is placed."""
    if site is None:
        return _("Every site is placed; drag a point to move it (its grade stays).")
    return _("Click the corners in order, starting with {site}; right-click or double-click to stop "
             "placing.").format(site=site)
