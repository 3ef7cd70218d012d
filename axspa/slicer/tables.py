"""Table nodes: mSASSS sites <-> a table a user can read, sort and edit in Slicer's table view, and
read-only tables of text (results, disagreements). The site table's columns and rules (how a grade cell reads,
where a grade comes from, what a rescoring keeps) are the spine family's, axspa.spine.site_table; this file
puts them into and reads them out of vtkMRMLTableNode.

Site table columns (same names as ``<stem>.sites.csv``; the finding columns are the ones the caller
passes, the spine family's ``FINDINGS``):
- ``site``: string, the site id.
- ``grade``: **string** column, "0".."3", or an empty cell for an unscorable/unlocated site. A
  string column is what reads best in Slicer's table view: unscorable shows as a blank cell rather
  than a made-up number (-1) a user could mistake for, or sum as, a grade, and the user can type a
  grade into a blank cell or clear one to mark the site unscorable.
- ``source``: string, where the grade comes from: "model" (the engine wrote it) or "reader" (a
  reader's override: typed into the table, or a row the user added). Derived from the grades, so it
  follows every edit (``mark_grade_sources``).
- ``review``: string, "yes" when the engine flagged the site for a reader's review (low confidence),
  "no" when it did not, empty when it gave no confidence (site not located).
- ``confidence`` and one column per finding (``erosion`` ... ``not_visible``): double, the model's
  probability; NaN (shown as "nan") when the engine gave none.

Columns are found by name, never by position, so tables written before ``source`` and ``review``
existed read the same.

A grade the user edited is kept when the same node is rescored: the grades the engine wrote are in
the node attribute ``AxSpA.WrittenGrades``, and the sites whose edited grade was kept are listed in
``AxSpA.KeptGrades``. Rows the user added for other sites are kept at the end. ``update_site_rows``
re-writes a few sites (e.g. re-graded at moved points) and leaves every other row as it is.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence

from axspa.image import InputError
from axspa.slicer import get_json_attribute, set_json_attribute
from axspa.spine.site_table import (
    DESCRIPTIONS,
    SOURCE_READER,
    TEXT_COLUMNS,
    grade_key,
    grade_source,
    keep_user_grades,
    parse_grade,
    row_of_site,
    to_float,
    user_rows,
)

WRITTEN_GRADES = "WrittenGrades"
KEPT_GRADES = "KeptGrades"


def sites_to_table(scene: Any, sites: list[dict], node: Any = None, name: str = "mSASSS sites", *,
                   findings: Sequence[str], overwrite: bool = False) -> Any:
    """Fill a table node with one row per site (columns in the module docstring, one per finding of
    ``findings``); reuse ``node`` when given, keeping grades the user edited there unless ``overwrite``.
    Returns the node."""
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    rows = [row_of_site(site, findings) for site in sites]
    kept: list[str] = []
    written: dict = {} if overwrite else get_json_attribute(node, WRITTEN_GRADES, {})
    extra: list[dict] = []
    if node.GetTable() is not None and node.GetNumberOfRows() > 0:
        current = _read_rows(node)
        if not overwrite:
            kept = keep_user_grades(rows, current, written)
        extra = user_rows(current, rows, findings)
    for row in rows:
        if row["site"] not in kept:
            written[row["site"]] = row["grade"]
    for row in rows + extra:
        row["source"] = grade_source(row["site"], row["grade"], written)
    node.SetAndObserveTable(_vtk_table(rows + extra, findings))
    _describe(node, findings)
    set_json_attribute(node, WRITTEN_GRADES, written)
    set_json_attribute(node, KEPT_GRADES, kept)
    return node


def _describe(node: Any, findings: Sequence[str]) -> None:
    for column, text in DESCRIPTIONS.items():
        node.SetColumnDescription(column, text)
    for finding in findings:
        node.SetColumnDescription(finding, f"model probability of {finding.replace('_', ' ')}")


def kept_grades(node: Any) -> list[str]:
    """Sites whose user-edited grade the last sites_to_table call kept."""
    return list(get_json_attribute(node, KEPT_GRADES, []))


def table_to_grades(node: Any) -> dict[str, Optional[int]]:
    """Grades by site from the table's ``site`` and ``grade`` columns (None for an empty cell).

    Raises InputError naming the table and the site for a missing column, a repeated site or a
    grade that is not an integer 0-3.
    """
    grades: dict[str, Optional[int]] = {}
    for row in _read_rows(node, required=("site", "grade")):
        site = row["site"]
        if site in grades:
            raise InputError(f"table '{node.GetName()}': site {site} appears in more than one row")
        grades[site] = parse_grade(node.GetName(), site, row["grade"])
    return grades


def mark_grade_sources(node: Any) -> list[str]:
    """Bring the ``source`` column up to date with the grades (a reader's edit in Slicer's table view
    changes only the grade cell): "reader" where the grade differs from the one the engine wrote, or
    the engine wrote none for that site, "model" elsewhere. Only cells that change are written, so
    calling it from an observer of the table does not loop. Returns the reader-graded sites; a table
    without ``site``/``grade`` columns gives [] and one without ``source`` is only read."""
    table = node.GetTable()
    if table is None or table.GetColumnByName("site") is None or table.GetColumnByName("grade") is None:
        return []
    written: dict = get_json_attribute(node, WRITTEN_GRADES, {})
    source_column = _column_index(table, "source")
    readers, changes = [], []
    for r in range(table.GetNumberOfRows()):
        site = _text(table, r, "site")
        if not site:
            continue
        source = grade_source(site, _text(table, r, "grade"), written)
        if source == SOURCE_READER:
            readers.append(site)
        if source_column >= 0 and table.GetValue(r, source_column).ToString() != source:
            changes.append((r, source))
    if changes:
        import vtk

        for r, source in changes:
            table.SetValue(r, source_column, vtk.vtkVariant(source))
        table.Modified()
    return readers


def table_site_rows(node: Any, findings: Sequence[str]) -> dict[str, dict]:
    """Each site's row with typed values: ``grade`` (int or None; InputError for a bad grade, as
    table_to_grades), ``source`` (from the grades, as mark_grade_sources, so an edit not yet marked
    counts), ``review`` (the cell text), ``confidence`` (float or None) and ``findings`` ({finding:
    probability}, or None unless every finding of ``findings`` has a number)."""
    table = node.GetTable()
    grades = table_to_grades(node)
    written: dict = get_json_attribute(node, WRITTEN_GRADES, {})
    result: dict[str, dict] = {}
    for r in range(table.GetNumberOfRows()):
        site = _text(table, r, "site")
        if not site:
            continue
        probabilities = {f: _number(table, r, f) for f in findings}
        result[site] = {
            "grade": grades[site], "source": grade_source(site, _text(table, r, "grade"), written),
            "review": _text(table, r, "review"),
            "confidence": _number(table, r, "confidence"),
            "findings": None if any(v is None for v in probabilities.values()) else probabilities}
    return result


def update_site_rows(node: Any, sites: list[dict], *, findings: Sequence[str]) -> list[str]:
    """Write the engine's new values for ``sites`` into their rows and leave every other row as it is
    (re-grading a few sites). A site dict is as for sites_to_table, but a key it lacks leaves that cell
    alone (e.g. only ``grade`` for a site whose grade changed through its disc partner). A grade the
    user edited is kept (those sites are returned), otherwise the new grade becomes the engine's written
    grade. A site without a row gets one at the end; columns an older table lacks are added."""
    import vtk

    if node.GetTable() is None or node.GetNumberOfColumns() == 0:
        node.SetAndObserveTable(_vtk_table([], findings))
        _describe(node, findings)
    table = node.GetTable()
    _add_missing_columns(node, findings)
    written: dict = get_json_attribute(node, WRITTEN_GRADES, {})
    kept: list[str] = []
    was_modifying = node.StartModify()
    try:
        for site in sites:
            label = str(site["id"])
            row = next((r for r in range(table.GetNumberOfRows()) if _text(table, r, "site") == label), -1)
            existed = row >= 0
            if not existed:
                row = node.AddEmptyRow()
                for column in ("confidence", *findings):
                    table.SetValue(row, _column_index(table, column), vtk.vtkVariant(math.nan))
                table.SetValue(row, _column_index(table, "site"), vtk.vtkVariant(label))
            values = row_of_site(site, findings)
            if "grade" in site:
                current = _text(table, row, "grade")
                if existed and (label not in written or grade_key(current) != grade_key(written[label])):
                    kept.append(label)
                else:
                    table.SetValue(row, _column_index(table, "grade"), vtk.vtkVariant(values["grade"]))
                    written[label] = values["grade"]
            cells = []
            if "confidence" in site:
                cells += [("confidence", values["confidence"]), ("review", values["review"])]
            if site.get("findings"):
                cells += [(f, values[f]) for f in findings]
            for column, value in cells:
                table.SetValue(row, _column_index(table, column), vtk.vtkVariant(value))
            table.SetValue(row, _column_index(table, "source"),
                           vtk.vtkVariant(grade_source(label, _text(table, row, "grade"), written)))
        table.Modified()
    finally:
        node.EndModify(was_modifying)
    set_json_attribute(node, WRITTEN_GRADES, written)
    return kept


def _add_missing_columns(node: Any, findings: Sequence[str]) -> None:
    import vtk

    table = node.GetTable()
    for name in (*TEXT_COLUMNS, "confidence", *findings):
        if table.GetColumnByName(name) is not None:
            continue
        column = vtk.vtkStringArray() if name in TEXT_COLUMNS else vtk.vtkDoubleArray()
        column.SetName(name)
        column.SetNumberOfValues(table.GetNumberOfRows())
        for r in range(table.GetNumberOfRows()):
            column.SetValue(r, "" if name in TEXT_COLUMNS else math.nan)
        table.AddColumn(column)
    _describe(node, findings)


def _column_index(table: Any, name: str) -> int:
    for c in range(table.GetNumberOfColumns()):
        if table.GetColumnName(c) == name:
            return c
    return -1


def _text(table: Any, row: int, name: str) -> str:
    c = _column_index(table, name)
    return table.GetValue(row, c).ToString().strip() if c >= 0 else ""


def _number(table: Any, row: int, name: str) -> Optional[float]:
    """A cell as a float (full precision for numeric columns); None when absent, empty or NaN."""
    c = _column_index(table, name)
    if c < 0:
        return None
    column = table.GetColumn(c)
    if column.IsNumeric():
        value = float(column.GetTuple1(row))
    else:
        value = to_float(table.GetValue(row, c).ToString().strip())
    return None if math.isnan(value) else value


def _vtk_table(rows: list[dict], findings: Sequence[str]) -> Any:
    import vtk

    table = vtk.vtkTable()
    for name in TEXT_COLUMNS:
        column = vtk.vtkStringArray()
        column.SetName(name)
        for row in rows:
            column.InsertNextValue(row.get(name, ""))
        table.AddColumn(column)
    for name in ("confidence", *findings):
        column = vtk.vtkDoubleArray()
        column.SetName(name)
        for row in rows:
            column.InsertNextValue(row[name])
        table.AddColumn(column)
    return table


def _read_rows(node: Any, required: tuple[str, ...] = ()) -> list[dict]:
    """Every row as {column name: cell text}; InputError when a required column is absent."""
    table = node.GetTable()
    names = [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())] if table else []
    for column in required:
        if column not in names:
            raise InputError(f"table '{node.GetName()}': no '{column}' column "
                             f"(columns: {', '.join(names) or 'none'})")
    rows = []
    for r in range(table.GetNumberOfRows() if table else 0):
        rows.append({name: table.GetValue(r, c).ToString().strip() for c, name in enumerate(names)})
    return rows


def text_table(scene: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]], node: Any = None,
               name: str = "Table", descriptions: Optional[Mapping[str, str]] = None,
               titles: bool = False) -> Any:
    """A locked table node of string columns ``columns`` holding ``rows`` (cells as text): computed
    results the user re-computes rather than edits. Reuses ``node`` (its rows replaced) or adds one named
    ``name``; ``descriptions`` become column descriptions, ``titles`` shows the column titles as headers."""
    import vtk

    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    table = vtk.vtkTable()
    for c, title in enumerate(columns):
        column = vtk.vtkStringArray()
        column.SetName(title)
        column.SetNumberOfValues(len(rows))
        for r, row in enumerate(rows):
            column.SetValue(r, str(row[c]))
        table.AddColumn(column)
    was_modified = node.StartModify()
    node.SetAndObserveTable(table)
    if titles:
        for title in columns:
            node.SetColumnTitle(title, title)
        node.SetUseColumnTitleAsColumnHeader(True)
    node.SetLocked(True)
    for column, text in (descriptions or {}).items():
        node.SetColumnDescription(column, text)
    node.EndModify(was_modified)
    return node
