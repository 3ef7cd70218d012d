"""A manual mSASSS reading, without any model ("New reading", the "Selected site" box, "Save reading").

The reading is the module's usual site table (axspa.slicer.tables: site, grade, source, review, confidence and
the eight finding columns, here 0 or 1), every row the reader's ("source" reader), plus the table attribute
``AxSpA.Reading`` = {"reader", "study", "regions"}. A grade cell is "0".."3", "unscorable", or empty while the
site is not graded yet (both read as unscorable by the rules). The points are one fiducial node per
radiograph holding the region's 12 sites, labelled in order and not yet placed, their number fixed: Slicer's
place mode fills the next unplaced point, so a reader clicks C2i, C3s, ... down the column, and stops after the
last one. A point added some other way (the number unlocked in the Markups module) is given the next free site
label when it is placed (``watchPlacedPoints``). Grades live in the table only: moving a point never changes one.

MRML classes and vtk only, so it runs inside Slicer and under slicer-core.
"""

from typing import Optional

READING = "Reading"  # table attribute (AxSpA.Reading): {"reader", "study", "regions"}
READING_SITES = "ReadingSites"  # markups attribute (AxSpA.ReadingSites): the labels placed points take, in order
UNSCORABLE = "unscorable"
# The grade drop-down: index -> grade cell ("" = not graded yet).
GRADE_CELLS = ("", "0", "1", "2", "3", UNSCORABLE)


def readingInfo(tableNode) -> Optional[dict]:
    """The table's reading ({"reader", "study", "regions"}), or None for a model's result."""
    from axspa.slicer import get_json_attribute

    return get_json_attribute(tableNode, READING, None) if tableNode is not None else None


def isReadingNode(node) -> bool:
    """True for the table or a point list of a manual reading."""
    from axspa.slicer import ATTRIBUTE_PREFIX

    return node is not None and any(node.GetAttribute(ATTRIBUTE_PREFIX + name) for name in (READING, READING_SITES))


def isEmptyTable(tableNode) -> bool:
    """True for a table with no site column (e.g. one just made with "Create new table")."""
    table = tableNode.GetTable() if tableNode is not None else None
    return table is None or table.GetColumnByName("site") is None


def newReadingTable(scene, regions, reader: str, study: str, tableNode=None, name: str = "mSASSS reading"):
    """The site table of a new reading: every site of ``regions``, no grade, no finding ticked, every row the
    reader's. Reuses ``tableNode`` (its rows replaced)."""
    from axspa.slicer import set_json_attribute
    from axspa.slicer.tables import WRITTEN_GRADES, mark_grade_sources, sites_to_table
    from axspa.spine.manual import reading_sites
    from axspa.spine.sites import FINDINGS

    if tableNode is not None:
        tableNode.SetAndObserveTable(None)  # a reused table: nothing of it is kept
    node = sites_to_table(scene, reading_sites(regions), node=tableNode, name=name, findings=FINDINGS,
                          overwrite=True)
    set_json_attribute(node, WRITTEN_GRADES, {})  # no engine grade: every grade is the reader's
    set_json_attribute(node, READING, {"reader": reader.strip(), "study": study.strip(), "regions": list(regions)})
    mark_grade_sources(node)
    return node


def newReadingPoints(scene, region: str, markupsNode=None, name: str = "mSASSS points"):
    """A fiducial node holding the region's 12 sites as unplaced control points labelled in order (place mode
    fills them one click at a time). Reuses ``markupsNode`` (its points replaced).

    The number of points is fixed (FixedNumberOfControlPoints): Slicer's place mode then leaves off by itself once
    the last corner is placed, and deleting a point in Slicer clears its position (the next click places it again)
    instead of removing it. No maximum is set: Slicer's place mode makes a new, empty point list as soon as the
    mouse moves over a view once a list holds its maximum, and the next clicks would land there, outside the
    reading."""
    from axspa.slicer import set_json_attribute
    from axspa.spine.sites import REGIONS

    node = markupsNode if markupsNode is not None else scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", name)
    if node.GetDisplayNode() is None:
        node.CreateDefaultDisplayNodes()
    sites = list(REGIONS[region])
    wasModifying = node.StartModify()
    try:
        node.SetFixedNumberOfControlPoints(False)
        node.SetMaximumNumberOfControlPoints(-1)
        node.RemoveAllControlPoints()
        for site in sites:
            index = node.AddControlPoint(0.0, 0.0, 0.0, site)
            node.UnsetNthControlPointPosition(index)  # undefined: a click in place mode places it
        node.SetFixedNumberOfControlPoints(True)
        node.SetControlPointPlacementStartIndex(0)
        set_json_attribute(node, READING_SITES, sites)
    finally:
        node.EndModify(wasModifying)
    return node


def newReading(volume, region: str, reader: str = "", study: str = "", otherVolume=None, points: bool = True,
               tableNode=None, markupsNode=None, otherMarkupsNode=None) -> dict:
    """A new reading of ``volume`` (``region``) and, when given, ``otherVolume`` (the other region): its site table
    and, with ``points``, one point list per radiograph, each watched so placed points get site labels. Nodes
    given are reused only when empty (nothing read before is lost); new ones go under the radiograph's study.
    ``study`` defaults to the radiograph's name. Returns {"table", "markups": [nodes], "regions"}."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.outputs import link_output
    from AxSpAScoringLib.nodes import MARKUPS, TABLE, otherRegion

    regions = [region] + ([otherRegion(region)] if otherVolume is not None else [])
    volumes = [volume] + ([otherVolume] if otherVolume is not None else [])
    scene = volume.GetScene()
    study = study.strip() or volume.GetName() or "study"
    table = tableNode if tableNode is not None and isEmptyTable(tableNode) else None
    table = newReadingTable(scene, regions, reader, study, table, name=f"{study} mSASSS reading")
    place_if_new(table, table is not tableNode, volume)
    link_output(table, volumes, TABLE)
    markups = []
    for vol, reg, given in zip(volumes, regions, (markupsNode, otherMarkupsNode)) if points else ():
        reuse = given if given is not None and given.GetNumberOfControlPoints() == 0 else None
        node = newReadingPoints(scene, reg, reuse, name=f"{study} mSASSS points {reg}")
        place_if_new(node, reuse is None, vol)
        link_output(node, [vol], MARKUPS)
        watchPlacedPoints(node)
        markups.append(node)
    return {"table": table, "markups": markups, "regions": regions}


def labelPlacedPoints(markupsNode) -> list:
    """Give each control point not labelled with one of the reading's sites the first site label no point
    has yet, in anatomical order. Returns the labels given."""
    from axspa.slicer import get_json_attribute

    sites = get_json_attribute(markupsNode, READING_SITES, [])
    labels = [markupsNode.GetNthControlPointLabel(i) for i in range(markupsNode.GetNumberOfControlPoints())]
    free = [site for site in sites if site not in labels]
    given = []
    for index, label in enumerate(labels):
        if label not in sites and free:
            given.append(free.pop(0))
            markupsNode.SetNthControlPointLabel(index, given[-1])
    return given


def watchPlacedPoints(markupsNode) -> int:
    """Label every point placed from now on (labelPlacedPoints at each PointPositionDefinedEvent); returns the
    observer tag."""
    return markupsNode.AddObserver(markupsNode.PointPositionDefinedEvent,
                                   lambda caller, event: labelPlacedPoints(caller))


def nextUnplaced(markupsNodes) -> Optional[tuple]:
    """(node, index) of the first control point still to place, in the order the nodes are given, or None."""
    import slicer

    for node in markupsNodes:
        for index in range(node.GetNumberOfControlPoints() if node is not None else 0):
            if node.GetNthControlPointPositionStatus(index) == slicer.vtkMRMLMarkupsNode.PositionUndefined:
                return node, index
    return None


# ------------------------------------------------------------------------------------- grades and findings

def _text(table, row: int, column: str) -> str:
    array = table.GetColumnByName(column)
    return array.GetVariantValue(row).ToString().strip() if array is not None else ""


def _number(table, row: int, column: str):
    """A cell as a float; None when the column is absent, the cell empty or NaN."""
    text = _text(table, row, column)
    try:
        value = float(text)
    except ValueError:
        return None
    return None if value != value else value


def _row(tableNode, site: str) -> int:
    table = tableNode.GetTable()
    for row in range(table.GetNumberOfRows()):
        if _text(table, row, "site") == site:
            return row
    raise ValueError(f"table '{tableNode.GetName()}' has no row for site {site}")


def _setCells(tableNode, site: str, cells: dict) -> None:
    """Write {column: value} into the site's row, then one Modified event."""
    import vtk

    table, row = tableNode.GetTable(), _row(tableNode, site)
    for column, value in cells.items():
        table.GetColumnByName(column).SetVariantValue(row, vtk.vtkVariant(value))
    table.Modified()


def setSiteGrade(tableNode, site: str, grade) -> None:
    """The grade the reader chose: 0-3, None (unscorable) or "" (not graded yet)."""
    from axspa.slicer.tables import mark_grade_sources

    cell = "" if grade == "" else UNSCORABLE if grade is None else str(int(grade))
    if cell not in GRADE_CELLS:
        raise ValueError(f"grade {grade!r} is not 0, 1, 2, 3, unscorable or not graded")
    _setCells(tableNode, site, {"grade": cell})
    mark_grade_sources(tableNode)


def siteFindings(tableNode, site: str) -> dict:
    """{finding: value or None} of the site's row."""
    from axspa.spine.sites import FINDINGS

    table, row = tableNode.GetTable(), _row(tableNode, site)
    return {finding: _number(table, row, finding) for finding in FINDINGS}


def setSiteFinding(tableNode, site: str, finding: str, present: bool, threshold: float = 0.5) -> dict:
    """Tick or untick a finding (1 or 0 in its column) and grade the site from its findings by the rules;
    when bridging is or was ticked at the disc level, its partner's grade follows the level's rule too.
    Returns {site: new grade cell} of the rows whose grade was written."""
    from axspa.slicer.tables import mark_grade_sources
    from axspa.spine.rules import grade_sites
    from axspa.spine.sites import disc_of

    _level, upper, lower = disc_of(site)
    before = {s: _flags(tableNode, s, threshold) for s in (upper, lower)}
    _setCells(tableNode, site, {finding: 1.0 if present else 0.0})
    after = {s: _flags(tableNode, s, threshold) for s in (upper, lower)}
    grades = grade_sites(after, threshold=threshold)
    bridging = any(f.get("bridging") for f in (*before.values(), *after.values()))
    written = {}
    for s in (upper, lower) if bridging else (site,):
        written[s] = UNSCORABLE if grades[s] is None else str(grades[s])
        _setCells(tableNode, s, {"grade": written[s]})
    mark_grade_sources(tableNode)
    return written


def _flags(tableNode, site: str, threshold: float) -> dict:
    """The site's findings as 0/1 at ``threshold`` (a missing value counts as absent)."""
    return {f: 1.0 if (v or 0.0) >= threshold else 0.0 for f, v in siteFindings(tableNode, site).items()}


def siteDetail(tableNode, site: str, threshold: float = 0.5) -> dict:
    """What the "Selected site" box shows: "index" in the grade drop-down (GRADE_CELLS), "findings" {finding:
    ticked}, "probabilities" {finding: value or None}, "source", "confidence" (or None)."""
    table, row = tableNode.GetTable(), _row(tableNode, site)
    text = _text(table, row, "grade")
    number = _number(table, row, "grade")
    key = "" if not text else str(int(number)) if number is not None and number.is_integer() else UNSCORABLE
    probabilities = siteFindings(tableNode, site)
    return {"index": GRADE_CELLS.index(key) if key in GRADE_CELLS else 0,
            "findings": {f: v is not None and v >= threshold for f, v in probabilities.items()},
            "probabilities": probabilities, "source": _text(table, row, "source"),
            "confidence": _number(table, row, "confidence")}


def notGraded(tableNode) -> list:
    """Sites of a reading whose grade is still empty (saved as unscorable)."""
    table = tableNode.GetTable()
    return [_text(table, r, "site") for r in range(table.GetNumberOfRows()) if not _text(table, r, "grade")]


# -------------------------------------------------------------------------------------------------- saving

def saveReading(outputDir, pairs, tableNode, reading: dict, overwrite: bool = False, dicomDatabase=None,
                readerTable=None) -> dict:
    """Write the reading as the command line writes a result (export.exportResults: ``<stem>.spine.json``,
    ``.mrk.json``, ``.sites.csv``, ``study.json`` for a pair) and ``<study>.reading.csv`` (study, reader, site,
    grade); with ``readerTable`` (a path) also add the study to that reader's table. ``pairs`` are (volume,
    markups or None), one per region of the reading. Returns exportResults' dict plus "reading" (the reading
    table's path) and "not_graded"."""
    from pathlib import Path

    from axspa.slicer.tables import table_to_grades
    from axspa.spine.manual import add_to_reader_table, reading_file_name, write_reading_table
    from AxSpAScoringLib.export import exportResults

    study = (reading.get("study") or "").strip() or pairs[0][0].GetName() or "reading"
    reading = dict(reading, study=study)
    result = exportResults(outputDir, pairs, tableNode, overwrite, dicomDatabase, reading.get("regions"), reading)
    grades = table_to_grades(tableNode)
    path = Path(outputDir) / reading_file_name(study)
    message = write_reading_table(path, study, reading.get("reader") or "", grades, overwrite)
    result["kept"] += [message] if message else []
    result["files"].append(str(path))
    if readerTable:
        message = add_to_reader_table(readerTable, study, reading.get("reader") or "", grades, overwrite)
        result["kept"] += [message] if message else []
        result["files"].append(str(readerTable))
    result["reading"] = str(path)
    result["not_graded"] = notGraded(tableNode) if readingInfo(tableNode) else []  # a model's: unscorable
    return result
