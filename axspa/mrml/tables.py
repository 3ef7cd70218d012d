"""Table nodes: mSASSS sites <-> a table a user can read, sort and edit in Slicer's table view, and
read-only tables of text (results, disagreements).

Site table columns (same names as ``<stem>.sites.csv``; the finding columns are the ones the caller
passes, the spine family's ``FINDINGS``):
- ``site``: string, the site id.
- ``grade``: **string** column, "0".."3", or an empty cell for an unscorable/unlocated site. A
  string column is what reads best in Slicer's table view: unscorable shows as a blank cell rather
  than a made-up number (-1) a user could mistake for, or sum as, a grade, and the user can type a
  grade into a blank cell or clear one to mark the site unscorable.
- ``confidence`` and one column per finding (``erosion`` ... ``not_visible``): double, the model's
  probability; NaN (shown as "nan") when the engine gave none.

A grade the user edited is kept when the same node is rescored: the grades the engine wrote are in
the node attribute ``AxSpA.WrittenGrades``, and the sites whose edited grade was kept are listed in
``AxSpA.KeptGrades``. Rows the user added for other sites are kept at the end.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence

from axspa.image import InputError
from axspa.mrml import get_json_attribute, set_json_attribute

WRITTEN_GRADES = "WrittenGrades"
KEPT_GRADES = "KeptGrades"
_EMPTY_GRADES = {"", "na", "nan", "none", "null", "-", "unscorable"}
_DESCRIPTIONS = {
    "site": "mSASSS site: anterior vertebral corner (s = upper, i = lower)",
    "grade": "mSASSS grade 0-3; empty = unscorable. Edit and rescore to use your grade.",
    "confidence": "model confidence in the grade",
}


def sites_to_table(scene: Any, sites: list[dict], node: Any = None, name: str = "mSASSS sites", *,
                   findings: Sequence[str]) -> Any:
    """Fill a table node with one row per site (columns in the module docstring, one per finding of
    ``findings``); reuse ``node`` when given, keeping grades the user edited there. Returns the node."""
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    rows = [_row_of_site(site, findings) for site in sites]
    kept: list[str] = []
    written: dict = get_json_attribute(node, WRITTEN_GRADES, {})
    if node.GetTable() is not None and node.GetNumberOfRows() > 0:
        current = _read_rows(node)
        kept = _keep_user_grades(rows, current, written)
        rows += _user_rows(current, rows, findings)
    for row in rows:
        if row["site"] not in kept:
            written[row["site"]] = row["grade"]
    node.SetAndObserveTable(_vtk_table(rows, findings))
    for column, text in _DESCRIPTIONS.items():
        node.SetColumnDescription(column, text)
    for finding in findings:
        node.SetColumnDescription(finding, f"model probability of {finding.replace('_', ' ')}")
    set_json_attribute(node, WRITTEN_GRADES, written)
    set_json_attribute(node, KEPT_GRADES, kept)
    return node


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


def _row_of_site(site: dict, findings_columns: Sequence[str]) -> dict:
    findings = site.get("findings") or {}
    grade = site.get("grade")
    row = {"site": str(site["id"]), "grade": "" if grade is None else str(int(grade)),
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
        if site not in written or user_grade[site] != written[site]:
            row["grade"] = user_grade[site]
            kept.append(site)
    return kept


def _user_rows(current: list[dict], rows: list[dict], findings: Sequence[str]) -> list[dict]:
    """Rows in the table for sites the engine did not write this time: kept, never dropped."""
    ours = {r["site"] for r in rows}
    extra = []
    for r in current:
        if r.get("site") and r["site"] not in ours:
            row = {"site": r["site"], "grade": r.get("grade", "").strip()}
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
    for name in ("site", "grade"):
        column = vtk.vtkStringArray()
        column.SetName(name)
        for row in rows:
            column.InsertNextValue(row[name])
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
