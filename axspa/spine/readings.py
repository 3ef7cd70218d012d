"""Read an mSASSS reading table (docs/formats.md, Tables you give the commands): one row per site, a `site` column and
either a `grade` column (0-3, empty = unscorable) or the eight finding columns (0/1).

Tables come from spreadsheets, so the reader accepts a UTF-8 byte-order mark, `,` or `;` as the
delimiter, any letter case in column names and site ids, and blank lines. Every problem is reported as an
InputError naming the file and the line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Mapping, Optional

from axspa.image import InputError
from axspa.results import PathLike
from axspa.spine.rules import grade_sites
from axspa.spine.sites import ALL_SITES, FINDINGS, canonical_site


def missing_rows_warning(path: PathLike, grades: Mapping[str, Optional[int]]) -> Optional[str]:
    """What to tell the user when a reading table has no row for some sites of a segment it reads: they
    count as unscorable (imputed, or the segment missing), like a row with an empty grade."""
    from axspa.spine.sites import REGIONS

    absent = [s for sites in REGIONS.values() if any(s in grades for s in sites) for s in sites if s not in grades]
    if not absent:
        return None
    return (f"{path}: no row for site(s) {' '.join(absent)}; counted as unscorable "
            f"(imputed from the segment's other sites, or the segment missing)")


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a CSV reading table") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save the table as CSV UTF-8") from None


def _delimiter(header_line: str) -> str:
    # A header such as "site;grade" has no comma; "site,grade" no semicolon. The more frequent one wins.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse_grade(path: Path, line: int, text: str) -> int | None:
    """A grade cell: 0-3 ('2.0' accepted), empty for unscorable; InputError naming file and line."""
    text = text.strip()
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value.is_integer() or not (0 <= value <= 3):
        raise InputError(f"{path}, line {line}: grade {text!r} is not an integer from 0 to 3 "
                         "(leave it empty for an unscorable site)")
    return int(value)


def _parse_finding(path: Path, line: int, name: str, text: str) -> float:
    text = text.strip()
    if text not in ("0", "1", "0.0", "1.0"):
        raise InputError(f"{path}, line {line}: finding {name} = {text!r} is not 0 or 1")
    return float(text)


def read_reading_table(path: PathLike, study: str | None = None) -> dict[str, int | None]:
    """Grades by site id from a reading table. With a `grade` column the finding columns, if any, are
    ignored; otherwise the eight findings are graded with the mSASSS rules (bridging makes both sites of
    its disc level 3). A reader-study table (a `study` column, as `axspa agree scores` takes) holds many
    readings: ``study`` picks one, and is required when the table holds more than one."""
    path = Path(path)
    header, rows = _table_rows(path)
    if "study" in header:
        rows = _rows_of_study(path, rows, study)
    elif study is not None:
        raise InputError(f"{path}: no 'study' column, so study {study!r} cannot be selected")
    by_grade = "grade" in header
    seen: dict[str, int] = {}
    grades: dict[str, int | None] = {}
    findings: dict[str, dict[str, float]] = {}
    for line, row in rows:
        site = _parse_site(path, line, row["site"], seen)
        if by_grade:
            grades[site] = parse_grade(path, line, row["grade"])
        else:
            findings[site] = {f: _parse_finding(path, line, f, row[f]) for f in FINDINGS}
    if by_grade:
        return {s: grades[s] for s in ALL_SITES if s in grades}
    return grade_sites(findings)


def list_studies(path: PathLike) -> list[str]:
    """Study ids of a reader-study table in the order they first appear (empty without a `study` column)."""
    header, rows = _table_rows(Path(path))
    return list(dict.fromkeys(row["study"].strip() for _, row in rows)) if "study" in header else []


def _rows_of_study(path: Path, rows: list[tuple[int, dict[str, str]]],
                   study: str | None) -> list[tuple[int, dict[str, str]]]:
    studies = list(dict.fromkeys(row["study"].strip() for _, row in rows))
    if study is None:
        if len(studies) > 1:
            shown = ", ".join(studies[:10]) + (", ..." if len(studies) > 10 else "")
            raise InputError(f"{path}: holds {len(studies)} studies ({shown}); choose one (--study ID)")
        return rows
    chosen = [(line, row) for line, row in rows if row["study"].strip() == study]
    if not chosen:
        raise InputError(f"{path}: no study {study!r}; the table holds {', '.join(studies[:10])}")
    return chosen


def _table_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The lower-cased header and the non-blank rows as (line number, {column: text})."""
    text = _read_text(path)
    first = next((ln for ln in text.splitlines() if ln.strip()), None)
    if first is None:
        raise InputError(f"{path}: empty file; expected a header with a 'site' column")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if not header:
            header = [c.strip().lower() for c in cells]
            _check_header(path, header)
            continue
        if any(c.strip() for c in cells[len(header):]):
            raise InputError(f"{path}, line {reader.line_num}: {len(cells)} values for {len(header)} columns")
        padded = cells + [""] * (len(header) - len(cells))
        rows.append((reader.line_num, dict(zip(header, padded))))
    if not rows:
        raise InputError(f"{path}: no site rows under the header")
    return header, rows


def _check_header(path: Path, header: list[str]) -> None:
    if "site" not in header:
        raise InputError(f"{path}: no 'site' column in the header ({', '.join(header)})")
    if "grade" in header:
        return
    missing = [f for f in FINDINGS if f not in header]
    if missing:
        raise InputError(f"{path}: needs a 'grade' column or the eight finding columns; "
                         f"missing {', '.join(missing)}")


def _parse_site(path: Path, line: int, text: str, seen: dict[str, int]) -> str:
    site = canonical_site(text)
    if site is None:
        raise InputError(f"{path}, line {line}: unknown site {text.strip()!r}; "
                         f"expected one of {', '.join(ALL_SITES)}")
    if site in seen:
        raise InputError(f"{path}, line {line}: site {site} appears twice (first on line {seen[site]})")
    seen[site] = line
    return site


def canonical_grades(grades: Mapping[str, Optional[int]], source: str) -> dict[str, Optional[int]]:
    """Grades keyed by canonical site id from grades keyed as a reader typed them ('c3S ' -> 'C3s'), e.g. the
    rows of a table loaded in Slicer; InputError naming ``source`` for an unknown or repeated site."""
    out: dict[str, Optional[int]] = {}
    for text, grade in grades.items():
        site = canonical_site(text)
        if site is None:
            raise InputError(f"{source}: unknown site {text!r}; expected one of {', '.join(ALL_SITES)}")
        if site in out:
            raise InputError(f"{source}: site {site} appears in more than one row")
        out[site] = grade
    return out
