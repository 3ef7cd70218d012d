"""The mSASSS site table, as a reader sees it in Slicer's table view and as ``<stem>.sites.csv`` has it: its
columns, how a grade cell is read and compared, where a grade comes from (the engine or a reader), and which
grades and rows a rescoring keeps. Plain values only (rows are dicts of cell values); the table node itself is
axspa.slicer.tables.

Columns: ``site`` (the site id), ``grade`` (text "0".."3", empty for unscorable), ``source`` ("model" or
"reader"), ``review`` ("yes", "no", or empty when the engine gave no confidence), ``confidence`` and one
column per finding (numbers, NaN where the engine gave none).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence

from axspa.image import InputError

SOURCE_MODEL, SOURCE_READER = "model", "reader"
TEXT_COLUMNS = ("site", "grade", "source", "review")
EMPTY_GRADES = {"", "na", "nan", "none", "null", "-", "unscorable"}
DESCRIPTIONS = {
    "site": "mSASSS site: anterior vertebral corner (s = upper, i = lower)",
    "grade": "mSASSS grade 0-3; empty = unscorable. Edit and rescore to use your grade.",
    "source": "model: the grade the engine computed; reader: a grade a reader typed in (kept when re-scoring)",
    "review": "yes: low confidence, a reader should check this site",
    "confidence": "model confidence in the grade",
}


def grade_key(text: str) -> str:
    """A grade cell as a comparable key: "2", "2.0" and " 2 " are the same grade, every way of
    writing unscorable is ""."""
    text = (text or "").strip()
    if text.lower() in EMPTY_GRADES:
        return ""
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else text


def grade_source(site: str, grade: str, written: Mapping[str, Any]) -> str:
    if site in written and grade_key(grade) == grade_key(written[site]):
        return SOURCE_MODEL
    return SOURCE_READER


def row_of_site(site: dict, findings_columns: Sequence[str]) -> dict:
    findings = site.get("findings") or {}
    grade = site.get("grade")
    review = site.get("review")
    row = {"site": str(site["id"]), "grade": "" if grade is None else str(int(grade)),
           "review": "" if review is None or site.get("confidence") is None else ("yes" if review else "no"),
           "confidence": float_or_nan(site.get("confidence"))}
    row.update({f: float_or_nan(findings.get(f)) for f in findings_columns})
    return row


def float_or_nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def keep_user_grades(rows: list[dict], current: list[dict], written: dict) -> list[str]:
    """Put back grades the user typed over ours (or into a row we never wrote); return their sites."""
    user_grade = {r["site"]: r.get("grade", "").strip() for r in current if r.get("site")}
    kept = []
    for row in rows:
        site = row["site"]
        if site not in user_grade:
            continue
        if site not in written or grade_key(user_grade[site]) != grade_key(written[site]):
            row["grade"] = user_grade[site]
            kept.append(site)
    return kept


def user_rows(current: list[dict], rows: list[dict], findings: Sequence[str]) -> list[dict]:
    """Rows in the table for sites the engine did not write this time: kept, never dropped."""
    ours = {r["site"] for r in rows}
    extra = []
    for r in current:
        if r.get("site") and r["site"] not in ours:
            row = {"site": r["site"], "grade": r.get("grade", "").strip(), "review": r.get("review", "")}
            row.update({c: to_float(r.get(c)) for c in ("confidence", *findings)})
            extra.append(row)
    return extra


def to_float(text: Optional[str]) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def parse_grade(table: str, site: str, text: str) -> Optional[int]:
    if text.lower() in EMPTY_GRADES:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer() or not 0 <= value <= 3:
        raise InputError(f"table '{table}', site {site}: grade {text!r} is not 0, 1, 2, 3 "
                         "or empty (unscorable)")
    return int(value)
