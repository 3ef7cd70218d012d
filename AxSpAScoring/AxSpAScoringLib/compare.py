"""Compare the module's mSASSS result with a reader's grades ("Compare with reader" section): the MRML
side of axspa.spine.agreement.compare_grades.

The result is the site table the module wrote (columns ``site``, ``grade``); the reader's grades come
from a CSV (axspa.spine.readings.read_reading_table) or from a table node already loaded in Slicer. Only
the sites both list are compared, so a cervical-only result is not charged with the reader's lumbar sites.

The disagreement table has string columns (an unscorable grade shows as a blank cell, as in the site
table): ``site``, ``ours``, ``reader``, ``difference`` (ours - reader, signed; blank when either side is
unscorable) and ``agree`` ("no"/"yes"). Disagreeing sites come first, in anatomical order, then the
agreeing ones, so a reader study user reads the list of sites to re-check top-down and still sees
every compared site.

MRML classes and vtk only (plus slicer.i18n for the summary text), so it runs under slicer-core too.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional

from slicer.i18n import tr as _

DISAGREEMENT_TABLE_NAME = "mSASSS disagreements"
COLUMNS = ("site", "ours", "reader", "difference", "agree")
# Attribute of the disagreement table naming where the reader's grades came from.
READER_SOURCE_ATTRIBUTE = "AxSpA.ReaderSource"
# What a compared control point's description ends with; replaced, never stacked, on the next compare.
_READER_NOTE = re.compile(r"; reader: [^;]*$")
_DESCRIPTIONS = {
    "site": "mSASSS site: anterior vertebral corner (s = upper, i = lower)",
    "ours": "grade in the current result table; empty = unscorable",
    "reader": "the reader's grade; empty = unscorable",
    "difference": "ours - reader; empty when either grade is unscorable",
    "agree": "yes when both grades are equal (both unscorable counts as agreement)",
}


def readerGradesFromTable(tableNode: Any, study: Optional[str] = None) -> dict[str, Optional[int]]:
    """Grades by canonical site id from a table node with ``site`` and ``grade`` columns (e.g. a reader's
    CSV loaded with Add Data) and, for a reader-study table, a ``study`` column: ``study`` picks its rows
    (required when it holds several studies). InputError naming the table for an unknown or repeated site,
    a bad grade or an unknown study."""
    from axspa.image import InputError
    from axspa.slicer.tables import table_to_grades
    from axspa.spine.readings import canonical_grades

    if tableNode is None:
        raise ValueError(_("Select the reader's CSV file or table."))
    source = f"table '{tableNode.GetName()}'"
    studies = studiesOfTable(tableNode)
    if not studies:
        return canonical_grades(table_to_grades(tableNode), source)
    if study is None and len(studies) > 1:
        raise InputError(f"{source}: holds {len(studies)} studies ({', '.join(studies[:10])}); choose one")
    study = studies[0] if study is None else study
    if study not in studies:
        raise InputError(f"{source}: no study {study!r}; the table holds {', '.join(studies[:10])}")
    return canonical_grades(table_to_grades(_rowsOfStudy(tableNode, study)), f"{source}, study {study}")


def studiesOfTable(tableNode: Any) -> list[str]:
    """The studies of a table node's ``study`` column in the order they first appear ([] without one)."""
    table = tableNode.GetTable() if tableNode is not None else None
    column = table.GetColumnByName("study") if table is not None else None
    if column is None:
        return []
    return list(dict.fromkeys(column.GetVariantValue(r).ToString().strip() for r in range(table.GetNumberOfRows())))


def _rowsOfStudy(tableNode: Any, study: str) -> Any:
    """A scene-less table node holding the ``site`` and ``grade`` cells of one study's rows."""
    import slicer
    import vtk

    table = tableNode.GetTable()
    studies, sites, grades = (table.GetColumnByName(c) for c in ("study", "site", "grade"))
    out = slicer.vtkMRMLTableNode()
    out.SetName(tableNode.GetName())
    for name, source in (("site", sites), ("grade", grades)):
        column = vtk.vtkStringArray()
        column.SetName(name)
        for r in range(table.GetNumberOfRows()):
            if source is not None and studies.GetVariantValue(r).ToString().strip() == study:
                column.InsertNextValue(source.GetVariantValue(r).ToString())
        if source is not None:
            out.AddColumn(column)
    return out


def writeDisagreementTable(scene: Any, rows: list[dict], node: Any = None,
                           name: str = DISAGREEMENT_TABLE_NAME) -> Any:
    """Fill (or create) a table node with one row per compared site; a reused node's rows are replaced.
    A derived view of two readings: an edit here would change neither, so the table is locked."""
    from axspa.slicer.tables import text_table

    cells = [[_cellText(column, row) for column in COLUMNS] for row in rows]
    return text_table(scene, COLUMNS, cells, node, name, descriptions=_DESCRIPTIONS)


def _cellText(column: str, row: dict) -> str:
    value = row[column]
    if column == "agree":
        return "yes" if value else "no"
    if value is None:
        return ""
    if column == "difference" and value > 0:
        return f"+{value}"
    return str(value)


def markDisagreements(markupsNodes: Iterable[Any], rows: list[dict]) -> list[str]:
    """On control points labelled with a compared site: disagreeing ones selected, with "; reader: N" at
    the end of their description; agreeing ones unselected, note removed. Positions and lock flags are
    never touched. Returns the labels marked as disagreeing."""
    byLabel = {r["site"]: r for r in rows}
    marked = []
    for node in markupsNodes:
        if node is None:
            continue
        wasModifying = node.StartModify()  # one Modified event for the whole update
        try:
            for index in range(node.GetNumberOfControlPoints()):
                row = byLabel.get(node.GetNthControlPointLabel(index))
                if row is None:
                    continue
                description = _READER_NOTE.sub("", node.GetNthControlPointDescription(index) or "")
                if not row["agree"]:
                    reader = "unscorable" if row["reader"] is None else str(row["reader"])
                    description = f"{description}; reader: {reader}" if description else f"reader: {reader}"
                    marked.append(row["site"])
                node.SetNthControlPointDescription(index, description)
                node.SetNthControlPointSelected(index, not row["agree"])
        finally:
            node.EndModify(wasModifying)
    return marked


def compareWithReaderGrades(resultTable: Any, readerGrades: Mapping[str, Optional[int]], source: str,
                            outputTable: Any = None, markups: Iterable[Any] = ()) -> dict:
    """The whole comparison: axspa.spine.agreement.compare_grades' dict plus "table" (the disagreement table,
    created under the result table's study when not given) and "marked" (labels of the highlighted control
    points)."""
    from axspa.slicer.hierarchy import place_if_new
    from axspa.slicer.tables import table_to_grades
    from axspa.spine.agreement import compare_grades

    if resultTable is None:
        raise ValueError(_("Select the output table that holds the result's grades."))
    if outputTable is not None and outputTable is resultTable:
        raise ValueError(_("The disagreement table must not be the result table itself."))
    comparison = compare_grades(table_to_grades(resultTable), readerGrades, source)
    table = writeDisagreementTable(resultTable.GetScene(), comparison["rows"], outputTable)
    table.SetAttribute(READER_SOURCE_ATTRIBUTE, source)
    place_if_new(table, outputTable is None, resultTable)
    comparison["table"] = table
    comparison["marked"] = markDisagreements(markups, comparison["rows"])
    return comparison


def summaryText(comparison: Mapping) -> str:
    """One line for the panel, e.g. "21 of 24 sites agree (88%); reader total 23.5 vs ours 22.0"."""
    from axspa.texts import number

    n, agree = comparison["n_compared"], comparison["n_agree"]
    text = _("{agree} of {n} sites agree ({percent}%)").format(
        agree=agree, n=n, percent=int(100 * comparison["exact_agreement"] + 0.5))  # half up: 87.5 -> 88
    for label, ours, reader in _scoresToShow(comparison):
        text += "; " + _("reader {label} {reader} vs ours {ours}").format(
            label=label, reader=number(reader, ".1f", _("missing")), ours=number(ours, ".1f", _("missing")))
    oneSided = len(comparison["only_ours"]) + len(comparison["only_reader"])
    if oneSided:
        text += "; " + _("{count} site(s) listed on one side only not compared").format(count=oneSided)
    return text


def _scoresToShow(comparison: Mapping) -> list[tuple[str, Optional[float], Optional[float]]]:
    # The 0-72 total when both sides have one; otherwise the segments both sides could score (a single
    # cervical or lumbar radiograph has no total); the total, even if missing, when there is neither.
    if comparison["our_total"] is not None and comparison["reader_total"] is not None:
        return [(_("total"), comparison["our_total"], comparison["reader_total"])]
    shown = []
    for segment, label in (("cervical", _("cervical")), ("lumbar", _("lumbar"))):
        ours = comparison["our_score"][segment]["imputed"]
        reader = comparison["reader_score"][segment]["imputed"]
        if ours is not None and reader is not None:
            shown.append((label, ours, reader))
    return shown or [(_("total"), comparison["our_total"], comparison["reader_total"])]

