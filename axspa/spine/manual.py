"""A reading done by hand, without any model (the AxSpA Scoring panel's "New reading" and "Save reading").

A reading starts as the sites of one or two regions with no grade and no finding (``reading_sites``). It is
saved in the command line's files (``<stem>.spine.json``, ``<stem>.mrk.json``, ``<stem>.sites.csv`` per
radiograph, ``study.json`` for a cervical + lumbar pair; axspa.spine.outputs) and in a reader table,
``<study>.reading.csv`` with the columns ``study, reader, site, grade`` (``write_reading_table``):

- ``axspa msasss <study>.reading.csv`` (or ``<stem>.sites.csv``) scores it;
- ``axspa agree scores`` compares reader tables (one reader's table of many studies is built up with
  ``add_to_reader_table``);
- ``axspa progression`` takes the ``.spine.json`` or the reading table as a visit's result;
- ``axspa train`` learns from the ``.spine.json`` beside its image (the points, and the findings ticked).

A document of a reading carries ``"reading": {"reader", "study"}`` (an addition the schema allows).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Mapping, Optional, Sequence

from axspa.image import InputError
from axspa.results import PathLike, kept_message, write_file_safely
from axspa.spine.rules import grade_sites
from axspa.spine.sites import ALL_SITES, FINDINGS, REGIONS, canonical_site
from axspa.texts import cell

READING_COLUMNS = ("study", "reader", "site", "grade")
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def reading_sites(regions: Sequence[str]) -> list[dict]:
    """Every site of ``regions`` (12 or 24, in anatomical order), not located, not graded, no finding ticked."""
    for region in regions:
        if region not in REGIONS:
            raise ValueError(f"region must be cervical or lumbar, got {region!r}")
    return [{"id": site, "point": None, "grade": None, "findings": dict.fromkeys(FINDINGS, 0.0)}
            for region in regions for site in REGIONS[region]]


def reading_file_name(study: str) -> str:
    """``<study>.reading.csv`` with the characters a file name cannot hold replaced."""
    return (_UNSAFE.sub("_", study.strip()) or "reading") + ".reading.csv"


def grades_without_findings(sites: Sequence[Mapping]) -> list[str]:
    """Sites whose grade the ticked findings do not give under the rules (bridging counted across the disc
    level): a grade chosen directly. ``axspa train`` learns the findings, so a reading meant as training
    data should tick them."""
    findings = {s["id"]: s.get("findings") or {} for s in sites}
    ruled = grade_sites({site: {f: float(v or 0.0) for f, v in found.items()} for site, found in findings.items()})
    return [s["id"] for s in sites if s.get("grade") is not None and ruled.get(s["id"]) != s.get("grade")]


def reading_rows(study: str, reader: str, grades: Mapping[str, Optional[int]]) -> list[list[str]]:
    """The rows of a reader table for one study (anatomical order; an unscorable site has an empty grade)."""
    if not study.strip():
        raise InputError("a reading needs a study id (axspa agree scores matches readers by study)")
    return [[study.strip(), reader.strip(), site, cell(grades[site])] for site in ALL_SITES if site in grades]


def reading_table_text(rows: Sequence[Sequence[str]], header: Sequence[str] = READING_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_reading_table(path: PathLike, study: str, reader: str, grades: Mapping[str, Optional[int]],
                        overwrite: bool = False) -> Optional[str]:
    """``study,reader,site,grade`` of one reading; atomically, a different existing file kept unless
    ``overwrite``. Returns the message about a kept file, or None."""
    text = reading_table_text(reading_rows(study, reader, grades))
    written = write_file_safely(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), overwrite)
    return None if written else kept_message(path)


def add_to_reader_table(path: PathLike, study: str, reader: str, grades: Mapping[str, Optional[int]],
                        overwrite: bool = False) -> Optional[str]:
    """Add one study's reading to a reader's table of many studies (created when absent; the input of
    ``axspa agree scores``). The other studies' rows are kept as they are; rows of the same study with
    other grades are replaced (where they were) only with ``overwrite``. Returns the message when they were
    kept, or None. InputError naming the file when it is not a reader table (columns study, site, grade)."""
    path = Path(path)
    header, rows = list(READING_COLUMNS), []
    if path.exists():
        header, rows = _read_table(path)
    column = {name: header.index(name) for name in header}
    new = [[{"study": s, "reader": r, "site": site, "grade": g}.get(name, "") for name in header]
           for s, r, site, g in reading_rows(study, reader, grades)]
    ours = [row for row in rows if row[column["study"]].strip() == study.strip()]
    if ours and _grades_of(ours, column) == _grades_of(new, column):
        return None
    if ours and not overwrite:
        return (f"{path}: study {study.strip()!r} is already there with other grades; kept "
                f"(save with overwrite to replace its rows)")
    merged: list[list[str]] = []
    for row in rows:  # the study's rows replaced where they were; a new study at the end
        if row[column["study"]].strip() != study.strip():
            merged.append(row)
        elif new:
            merged += new
            new = []
    text = reading_table_text(merged + new, header)
    write_file_safely(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), overwrite=True)
    return None


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as a UTF-8 CSV reader table ({exc})") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return list(READING_COLUMNS), []
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    parsed = list(csv.reader(lines, delimiter=delimiter))
    header = [h.strip().lower() for h in parsed[0]]
    missing = [c for c in ("study", "site", "grade") if c not in header]
    if missing:
        raise InputError(f"{path}: not a reader table (missing column(s) {', '.join(missing)}; "
                         "expected study, site, grade)")
    return header, [row + [""] * (len(header) - len(row)) for row in parsed[1:]]


def _grades_of(rows: Sequence[Sequence[str]], column: Mapping[str, int]) -> dict:
    return {canonical_site(row[column["site"]]) or row[column["site"]]: row[column["grade"]].strip()
            for row in rows}
