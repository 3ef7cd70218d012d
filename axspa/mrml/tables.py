"""Table nodes: mSASSS sites <-> a table a user can read, sort and edit in Slicer's table view, and
read-only tables of text (results, disagreements).

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
from axspa.mrml import get_json_attribute, set_json_attribute

WRITTEN_GRADES = "WrittenGrades"
KEPT_GRADES = "KeptGrades"
SOURCE_MODEL, SOURCE_READER = "model", "reader"
_TEXT_COLUMNS = ("site", "grade", "source", "review")
_EMPTY_GRADES = {"", "na", "nan", "none", "null", "-", "unscorable"}
_DESCRIPTIONS = {
    "site": "mSASSS site: anterior vertebral corner (s = upper, i = lower)",
    "grade": "mSASSS grade 0-3; empty = unscorable. Edit and rescore to use your grade.",
    "source": "model: the grade the engine computed; reader: a grade a reader typed in (kept when re-scoring)",
    "review": "yes: low confidence, a reader should check this site",
    "confidence": "model confidence in the grade",
}


def sites_to_table(scene: Any, sites: list[dict], node: Any = None, name: str = "mSASSS sites", *,
                   findings: Sequence[str], overwrite: bool = False) -> Any:
    """Fill a table node with one row per site (columns in the module docstring, one per finding of
    ``findings``); reuse ``node`` when given, keeping grades the user edited there unless ``overwrite``.
    Returns the node."""
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    rows = [_row_of_site(site, findings) for site in sites]
    kept: list[str] = []
    written: dict = {} if overwrite else get_json_attribute(node, WRITTEN_GRADES, {})
    extra: list[dict] = []
    if node.GetTable() is not None and node.GetNumberOfRows() > 0:
        current = _read_rows(node)
        if not overwrite:
            kept = _keep_user_grades(rows, current, written)
        extra = _user_rows(current, rows, findings)
    for row in rows:
        if row["site"] not in kept:
            written[row["site"]] = row["grade"]
    for row in rows + extra:
        row["source"] = _source(row["site"], row["grade"], written)
    node.SetAndObserveTable(_vtk_table(rows + extra, findings))
    _describe(node, findings)
    set_json_attribute(node, WRITTEN_GRADES, written)
    set_json_attribute(node, KEPT_GRADES, kept)
    return node


def _describe(node: Any, findings: Sequence[str]) -> None:
    for column, text in _DESCRIPTIONS.items():
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
        grades[site] = _parse_grade(node, site, row["grade"])
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
        source = _source(site, _text(table, r, "grade"), written)
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
            "grade": grades[site], "source": _source(site, _text(table, r, "grade"), written),
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
            values = _row_of_site(site, findings)
            if "grade" in site:
                current = _text(table, row, "grade")
                if existed and (label not in written or _grade_key(current) != _grade_key(written[label])):
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
                           vtk.vtkVariant(_source(label, _text(table, row, "grade"), written)))
        table.Modified()
    finally:
        node.EndModify(was_modifying)
    set_json_attribute(node, WRITTEN_GRADES, written)
    return kept


def _add_missing_columns(node: Any, findings: Sequence[str]) -> None:
    import vtk

    table = node.GetTable()
    for name in (*_TEXT_COLUMNS, "confidence", *findings):
        if table.GetColumnByName(name) is not None:
            continue
        column = vtk.vtkStringArray() if name in _TEXT_COLUMNS else vtk.vtkDoubleArray()
        column.SetName(name)
        column.SetNumberOfValues(table.GetNumberOfRows())
        for r in range(table.GetNumberOfRows()):
            column.SetValue(r, "" if name in _TEXT_COLUMNS else math.nan)
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
        value = _to_float(table.GetValue(row, c).ToString().strip())
    return None if math.isnan(value) else value


def _grade_key(text: str) -> str:
    """A grade cell as a comparable key: "2", "2.0" and " 2 " are the same grade, every way of
    writing unscorable is ""."""
    text = (text or "").strip()
    if text.lower() in _EMPTY_GRADES:
        return ""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def _source(site: str, grade: str, written: Mapping[str, Any]) -> str:
    if site in written and _grade_key(grade) == _grade_key(written[site]):
        return SOURCE_MODEL
    return SOURCE_READER


def _row_of_site(site: dict, findings_columns: Sequence[str]) -> dict:
    findings = site.get("findings") or {}
    grade = site.get("grade")
    review = site.get("review")
    row = {"site": str(site["id"]), "grade": "" if grade is None else str(int(grade)),
           "review": "" if review is None or site.get("confidence") is None else ("yes" if review else "no"),
           "confidence": _float_or_nan(site.get("confidence"))}
    row.update({f: _float_or_nan(findings.get(f)) for f in findings_columns})
    return row


def _float_or_nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def _keep_user_grades(rows: list[dict], current: list[dict], written: dict) -> list[str]:
    """Put back grades the user typed over ours (or into a row we never wrote); return their sites."""
    user_grade = {r["site"]: r.get("grade", "").strip() for r in current if r.get("site")}
    kept = []
    for row in rows:
        site = row["site"]
        if site not in user_grade:
            continue
        if site not in written or _grade_key(user_grade[site]) != _grade_key(written[site]):
            row["grade"] = user_grade[site]
            kept.append(site)
    return kept


def _user_rows(current: list[dict], rows: list[dict], findings: Sequence[str]) -> list[dict]:
    """Rows in the table for sites the engine did not write this time: kept, never dropped."""
    ours = {r["site"] for r in rows}
    extra = []
    for r in current:
        if r.get("site") and r["site"] not in ours:
            row = {"site": r["site"], "grade": r.get("grade", "").strip(), "review": r.get("review", "")}
            row.update({c: _to_float(r.get(c)) for c in ("confidence", *findings)})
            extra.append(row)
    return extra


def _to_float(text: Optional[str]) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _vtk_table(rows: list[dict], findings: Sequence[str]) -> Any:
    import vtk

    table = vtk.vtkTable()
    for name in _TEXT_COLUMNS:
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


def _parse_grade(node: Any, site: str, text: str) -> Optional[int]:
    if text.lower() in _EMPTY_GRADES:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer() or not 0 <= value <= 3:
        raise InputError(f"table '{node.GetName()}', site {site}: grade {text!r} is not 0, 1, 2, 3 "
                         "or empty (unscorable)")
    return int(value)


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
