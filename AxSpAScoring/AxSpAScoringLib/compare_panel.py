"""The AxSpA Scoring panel's reader comparison (ComparePanel): the reader's grades from a CSV file or a loaded
table (choosing one clears the other), the study of a multi-study table, and "Compare"."""

import slicer
from slicer.i18n import tr as _

from AxSpAScoringLib.workflow import Workflow


class ComparePanel(Workflow):
    """The output table against a reader's grades."""

    def connect(self) -> None:
        self.ui.compareButton.connect("clicked(bool)", self.onCompareButton)
        self.ui.readerPathLineEdit.connect("currentPathChanged(QString)", self.onReaderPathChanged)
        self.ui.readerTableSelector.connect("currentNodeChanged(vtkMRMLNode*)", self.onReaderTableChanged)

    def onReaderPathChanged(self, path: str) -> None:
        from axspa.image import InputError
        from axspa.spine.readings import list_studies

        if path and self.parameters:
            self.parameters.readerTable = None
        try:
            self.showStudies(list_studies(path) if path else [])
        except InputError:  # not a table (yet): Compare says why
            self.showStudies([])
        self.widget._checkCanApply()

    def onReaderTableChanged(self, node) -> None:
        from AxSpAScoringLib.compare import studiesOfTable

        if node:
            self.ui.readerPathLineEdit.currentPath = ""
            self.showStudies(studiesOfTable(node))

    def showStudies(self, studies: list) -> None:
        """The studies of the reader's table in the Study list (empty for a single reading)."""
        combo = self.ui.readerStudyComboBox
        combo.clear()
        for study in studies:
            combo.addItem(study)
        combo.enabled = bool(studies)

    def onCompareButton(self) -> None:
        """List the sites where the output table and the reader's grades differ; highlight their points."""
        from AxSpAScoringLib.compare import summaryText

        p = self.parameters
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
