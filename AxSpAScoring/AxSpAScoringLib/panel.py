"""The AxSpA Scoring panel's glue that is not one button's handler: totals that follow every edit of the site
table (LiveScore), the "Selected site" box (SiteEditor: grade drop-down and the eight findings as check
boxes), the site table shown without its finding columns, and Slicer's place mode for a reading's corners
(Placement: from one film's point list to the next).

Widgets are used only through the properties and ``connect`` PythonQt gives them (``text``, ``checked``,
``currentIndex``, ...), so the tests drive this code with stand-ins and a real MRML scene.
"""

from typing import Callable, Optional

# Check box of each finding in the .ui.
FINDING_BOXES = {"erosion": "erosionCheckBox", "sclerosis": "sclerosisCheckBox", "squaring": "squaringCheckBox",
                 "syndesmophyte": "syndesmophyteCheckBox", "bridging": "bridgingCheckBox",
                 "osteophyte": "osteophyteCheckBox", "other": "otherFindingCheckBox",
                 "not_visible": "notVisibleCheckBox"}


class LiveScore:
    """Re-scores the site table each time it changes (a grade chosen, a finding ticked, a cell typed) and hands
    the score to ``show``; a problem (a grade of 5 typed in) goes to ``error``. ``defer`` runs the re-scoring
    later (in Slicer once Qt is back in its loop, as the table view is still writing the edit); changes made
    while it is pending, or while ``paused()`` (a model job runs), start no other one."""

    def __init__(self, rescore: Callable, show: Callable, error: Callable[[str], None],
                 defer: Callable[[Callable], None] = lambda function: function(),
                 paused: Callable[[], bool] = lambda: False) -> None:
        self.rescore, self.show, self.error, self.defer, self.paused = rescore, show, error, defer, paused
        self.table, self._tag, self._pending = None, None, False

    def watch(self, table) -> None:
        """Follow ``table`` (None: none) instead of the one followed so far, and show its score."""
        if table is self.table:
            return
        if self.table is not None:
            self.table.RemoveObserver(self._tag)
        self.table, self._tag = table, None
        if table is not None:
            self._tag = table.AddObserver("ModifiedEvent", self._onModified)
            self._onModified()

    def _onModified(self, caller=None, event=None) -> None:
        if not self._pending and not self.paused():
            self._pending = True
            self.defer(self._rescore)

    def _rescore(self) -> None:
        from axspa.image import InputError

        try:
            if self.table is not None and not self.paused():
                self.show(self.rescore(self.table))
        except InputError as exc:
            self.error(str(exc))
        finally:
            self._pending = False  # the source cells re-scoring marks were ignored while pending


class SiteEditor:
    """The "Selected site" box: the grade drop-down (not graded, 0-3, unscorable) and one check box per finding,
    for the site clicked in the table. A grade chosen is written into the table as it is; a finding ticked or
    unticked sets the site's grade by the rules (reading.setSiteFinding). ``threshold()`` is the panel's
    finding threshold (a model's probabilities above it show as ticked)."""

    def __init__(self, ui, threshold: Callable[[], float]) -> None:
        self.ui, self.threshold = ui, threshold
        self.table, self.site, self._showing = None, None, False
        ui.siteGradeComboBox.connect("currentIndexChanged(int)", self.onGradeChosen)
        for finding, name in FINDING_BOXES.items():
            getattr(ui, name).connect("toggled(bool)", lambda on, f=finding: self.onFindingToggled(f, on))

    def show(self, table, site: Optional[str]) -> None:
        """Show ``site`` of ``table`` (None: nothing selected, the box disabled)."""
        from AxSpAScoringLib.reading import siteDetail

        try:
            detail = siteDetail(table, site, self.threshold()) if table is not None and site else None
        except ValueError:  # no row for it (e.g. another table)
            detail = None
        self.table, self.site = (table, site) if detail else (None, None)
        self._showing = True
        try:
            self.ui.siteDetailGroupBox.enabled = detail is not None
            self.ui.siteLabel.text = _siteText(site, detail)
            self.ui.siteGradeComboBox.currentIndex = detail["index"] if detail else 0
            for finding, name in FINDING_BOXES.items():
                box = getattr(self.ui, name)
                box.checked = bool(detail and detail["findings"][finding])
                value = detail["probabilities"][finding] if detail else None
                shown = detail and detail["confidence"] is not None and value is not None
                box.toolTip = (f"{finding.replace('_', ' ')}: model probability {value:.2f}" if shown
                               else f"{finding.replace('_', ' ')} at this corner")
        finally:
            self._showing = False

    def onGradeChosen(self, index: int) -> None:
        from AxSpAScoringLib.reading import GRADE_CELLS, UNSCORABLE, setSiteGrade

        if self._showing or self.table is None or not 0 <= index < len(GRADE_CELLS):
            return
        cell = GRADE_CELLS[index]
        setSiteGrade(self.table, self.site, None if cell == UNSCORABLE else cell if cell == "" else int(cell))

    def onFindingToggled(self, finding: str, present: bool) -> None:
        from AxSpAScoringLib.reading import setSiteFinding

        if self._showing or self.table is None:
            return
        setSiteFinding(self.table, self.site, finding, present, self.threshold())
        self.show(self.table, self.site)  # the grade the rules gave


def _siteText(site: Optional[str], detail: Optional[dict]) -> str:
    if detail is None:
        return "Click a row of the table."
    text = f"{site}: {detail['source'] or 'no source'}"
    if detail["confidence"] is not None:
        text += f", confidence {detail['confidence']:.2f}"
    return text


def siteOfRow(index) -> Optional[str]:
    """The site of a table view row (its "site" column, found by header), or None for a header row."""
    import qt

    model = index.model()
    columns = [model.headerData(c, qt.Qt.Horizontal) for c in range(model.columnCount())]
    site = model.index(index.row(), columns.index("site") if "site" in columns else 0).data()
    return site if site and site != "site" else None


def showSiteTable(view, tableNode) -> None:
    """Show the site table in the panel's table view without the eight finding columns (the "Selected site"
    box shows them), so it fits the panel."""
    from axspa.spine.sites import FINDINGS

    view.setMRMLTableNode(tableNode)
    table = tableNode.GetTable() if tableNode is not None else None
    for column in range(table.GetNumberOfColumns() if table is not None else 0):
        view.setColumnHidden(column, table.GetColumnName(column) in FINDINGS)


class Placement:
    """Slicer's place mode over the panel's reading: one point list per film, their corners clicked in order.

    Every reading point list in the scene is watched (PointPositionDefinedEvent): a placed point gets its site label
    (reading.labelPlacedPoints) and, once the last corner of a list is placed (Slicer then leaves place mode by
    itself, the number of points being fixed), placing goes on in the next list of the reading that still has
    corners to place, its film shown. That step runs through ``defer`` (a zero-delay timer in Slicer: place mode
    is left only after the event) and is told to ``placing(site)`` (the label placed next, None when every site is
    placed). The lists are watched again after a scene is loaded or imported (the loaded lists are new nodes).
    ``parameters()`` is the panel's parameter node (None while there is none): its outputMarkups and otherMarkups
    are the reading's lists, of inputVolume and otherVolume."""

    def __init__(self, slicer, parameters: Callable, defer: Callable[[Callable], None],
                 placing: Callable[[Optional[str]], None]) -> None:
        self.slicer, self.parameters, self.defer, self.placing = slicer, parameters, defer, placing
        self.scene, self._sceneTags, self._watched, self._pending = None, [], {}, False

    def observe(self, scene) -> None:
        """Watch the reading point lists of ``scene``, now and after each scene import (or close)."""
        self.stop()
        self.scene = scene
        self._sceneTags = [scene.AddObserver(event, lambda caller, event: self.watchScene())
                           for event in (scene.EndImportEvent, scene.EndCloseEvent)]
        self.watchScene()

    def stop(self) -> None:
        """Remove every observer (the widget's cleanup)."""
        for tag in self._sceneTags:
            self.scene.RemoveObserver(tag)
        for node, tag in self._watched.items():
            node.RemoveObserver(tag)
        self._sceneTags, self._watched = [], {}

    def watchScene(self) -> None:
        """Watch each reading point list of the scene not watched yet; forget those that left it."""
        from axspa.slicer import ATTRIBUTE_PREFIX
        from AxSpAScoringLib.reading import READING_SITES

        if self.scene is None:
            return
        for node in [n for n in self._watched if not self.scene.IsNodePresent(n)]:
            node.RemoveObserver(self._watched.pop(node))
        className = "vtkMRMLMarkupsFiducialNode"
        for index in range(self.scene.GetNumberOfNodesByClass(className)):
            node = self.scene.GetNthNodeByClass(index, className)
            if node not in self._watched and node.GetAttribute(ATTRIBUTE_PREFIX + READING_SITES):
                self._watched[node] = node.AddObserver(node.PointPositionDefinedEvent, self._onPointDefined)

    def start(self) -> Optional[str]:
        """Place mode for the next corner of the reading (startPlacing); the label placed next, or None."""
        self.watchScene()
        markups, volumes = self._lists()
        return startPlacing(self.slicer, markups, volumes)

    def _lists(self) -> tuple:
        """The reading's point lists and their films, in placing order."""
        p = self.parameters()
        return ([p.outputMarkups, p.otherMarkups], [p.inputVolume, p.otherVolume]) if p is not None else ([], [])

    def _onPointDefined(self, caller, event=None) -> None:
        from AxSpAScoringLib.reading import labelPlacedPoints

        labelPlacedPoints(caller)
        ids = [node.GetID() for node in self._lists()[0] if node is not None]
        if caller.GetNumberOfUndefinedControlPoints() == 0 and caller.GetID() in ids and not self._pending:
            self._pending = True
            self.defer(self._goOn)

    def _goOn(self) -> None:
        self._pending = False
        markups, volumes = self._lists()
        self.placing(startPlacing(self.slicer, markups, volumes))


def startPlacing(slicer, markupsNodes, volumes) -> Optional[str]:
    """Slicer's place mode (persistent) for the first markups node that still has a site to place, its film shown;
    returns the label placed next, or None when every site is placed."""
    from AxSpAScoringLib.reading import nextUnplaced

    found = nextUnplaced(markupsNodes)
    if found is None:
        return None
    node, index = found
    volume = volumes[list(markupsNodes).index(node)]
    slicer.util.setSliceViewerLayers(background=volume, fit=True)
    node.SetControlPointPlacementStartIndex(index)
    logic = slicer.modules.markups.logic()
    logic.SetActiveList(node)
    logic.StartPlaceMode(True)
    return node.GetNthControlPointLabel(index)
