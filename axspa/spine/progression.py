"""Longitudinal mSASSS: change between consecutive visits per patient, annualised and over 2 years,
progressors, new syndesmophytes and bridges, and a cohort table.

A manifest has columns ``patient``, ``visit_date`` (YYYY-MM-DD) and ``result``: a ``.spine.json`` (docs/formats.md,
axspa.spine/1; site grades from "sites"[].grade) or a grades table (``site,grade``). A visit may have several
rows (a cervical and a lumbar result); their grades are merged. Paths are relative to the manifest's folder.
A ``job`` column (the ``cohort.csv`` of ``axspa batch``) keeps the rows whose job is spine or empty.

Change over 2 years = change / interval in years × 2 (linear, as trials report mSASSS progression per 2 years).
Below a minimum interval (``MIN_INTERVAL_YEARS``, configurable) the change is not extrapolated: the rate,
the change over 2 years and the progressor flag are left empty, with a warning (a change over a day is no
yearly rate).
A progressor changes by >= 2 units over 2 years (the smallest detectable change used in the literature);
with visits 2 years apart this is the engine's rule (change >= 2) exactly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from axspa.image import InputError
from axspa.results import PathLike
from axspa.spine.readings import read_reading_table
from axspa.spine.rules import progression
from axspa.spine.sites import ALL_SITES

DAYS_PER_YEAR = 365.25
PROGRESSION_THRESHOLD = 2.0
MIN_INTERVAL_YEARS = 0.5


@dataclass
class Visit:
    patient: str
    visit_date: date
    grades: dict[str, int | None]
    sources: list[str] = field(default_factory=list)


@dataclass
class Interval:
    patient: str
    baseline_date: str
    followup_date: str
    years: float
    baseline_total: float | None
    followup_total: float | None
    change: float | None
    change_per_year: float | None
    change_2y: float | None
    progressor: bool | None
    new_syndesmophytes: list[str]
    new_bridges: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def read_manifest(path: PathLike) -> list[Visit]:
    """Visits of the manifest, grades loaded; InputError naming the manifest (and line) or the result file."""
    from axspa.io.table import read_table

    path = Path(path)
    visits: dict[tuple[str, date], Visit] = {}
    for line, row in read_table(path, "manifest", ("patient", "visit_date", "result")):
        if row.get("job", "spine") not in ("", "spine"):
            continue  # an `axspa batch` cohort.csv also lists hip and sacroiliac results: not mSASSS
        if not row["patient"]:
            raise InputError(f"{path}, line {line}: empty patient id")
        when = _parse_date(path, line, row["visit_date"])
        result = Path(row["result"])
        result = result if result.is_absolute() else path.parent / result
        visit = visits.setdefault((row["patient"], when), Visit(row["patient"], when, {}))
        for site, grade in load_grades(result).items():
            if site in visit.grades:
                raise InputError(f"{path}, line {line}: site {site} of patient {row['patient']} on {when} is "
                                 f"already given by {visit.sources[0]}")
            visit.grades[site] = grade
        visit.sources.append(str(result))
    if not visits:
        raise InputError(f"{path}: no visits")
    return sorted(visits.values(), key=lambda v: (v.patient, v.visit_date))


def _parse_date(path: Path, line: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{path}, line {line}: visit_date {text!r} is not a date YYYY-MM-DD") from None


def load_grades(path: Path) -> dict[str, int | None]:
    """Site grades of a ``.spine.json`` / study JSON with "sites", or of a reading table (CSV)."""
    if not path.exists():
        raise InputError(f"{path}: result file not found")
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable JSON file ({exc})") from None
        sites = doc.get("sites") if isinstance(doc, dict) else None
        if not isinstance(sites, list):
            raise InputError(f"{path}: no \"sites\" list; expected an axspa.spine/1 result")
        grades: dict[str, int | None] = {}
        for entry in sites:
            site = entry.get("id") if isinstance(entry, dict) else None
            if site not in ALL_SITES:
                raise InputError(f"{path}: unknown site id {site!r} in \"sites\"")
            grades[site] = _grade(path, site, entry.get("grade"))
        return grades
    return read_reading_table(path)


def _grade(path: Path, site: str, grade: object) -> int | None:
    """A site's grade from a result document (maybe edited by hand), as the axspa.spine/1 schema allows it:
    an integer 0-3 or null (unscorable); anything else is an InputError naming the file and the site."""
    if grade is None or (isinstance(grade, int) and not isinstance(grade, bool) and 0 <= grade <= 3):
        return grade
    raise InputError(f"{path}: site {site} has grade {json.dumps(grade)}; a grade is 0, 1, 2, 3 or null")


def years_between(start: date, end: date) -> float:
    """Calendar years: whole anniversaries plus the remaining days / 365.25, so visits on the same day two
    years apart are exactly 2.0 years (a change of 2 then counts as 2 per 2 years, not 1.999)."""
    whole = end.year - start.year
    if _anniversary(start, end.year) > end:
        whole -= 1
    return whole + (end - _anniversary(start, start.year + whole)).days / DAYS_PER_YEAR


def _anniversary(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, day=28)


def intervals(visits: list[Visit], threshold: float = PROGRESSION_THRESHOLD,
              min_years: float = MIN_INTERVAL_YEARS, warnings: list[str] | None = None) -> list[Interval]:
    """One row per pair of consecutive visits of each patient; an interval shorter than ``min_years`` is
    not extrapolated to a yearly rate (rate, 2-year change and progressor empty; a line in ``warnings``)."""
    out = []
    by_patient: dict[str, list[Visit]] = {}
    for v in visits:
        by_patient.setdefault(v.patient, []).append(v)
    for patient, seq in by_patient.items():
        for before, after in zip(seq, seq[1:]):
            years = years_between(before.visit_date, after.visit_date)
            if years <= 0:
                raise InputError(f"patient {patient}: two visits on {after.visit_date}; merge them into one "
                                 f"visit (same date) or fix the date")
            p = progression(before.grades, after.grades, sdc=threshold)
            per_year = p.change / years if p.change is not None and years >= min_years else None
            if years < min_years and warnings is not None:
                warnings.append(f"patient {patient}: visits {before.visit_date} and {after.visit_date} are "
                                f"{years:.2g} years apart, less than {min_years:g}; the change is not "
                                f"extrapolated to a rate or a progressor")
            change_2y = per_year * 2.0 if per_year is not None else None
            out.append(Interval(patient, before.visit_date.isoformat(), after.visit_date.isoformat(), round(years, 4),
                                p.baseline_total, p.followup_total, p.change, per_year, change_2y,
                                None if change_2y is None else bool(change_2y >= threshold),
                                list(p.new_syndesmophytes), list(p.new_bridges)))
    return out


def patient_summary(visits: list[Visit], threshold: float = PROGRESSION_THRESHOLD,
                    min_years: float = MIN_INTERVAL_YEARS) -> list[dict]:
    """First to last visit per patient: the change score a cumulative probability plot shows."""
    rows = []
    by_patient: dict[str, list[Visit]] = {}
    for v in visits:
        by_patient.setdefault(v.patient, []).append(v)
    for patient, seq in by_patient.items():
        if len(seq) < 2:
            rows.append({"patient": patient, "visits": 1, "change": None, "years": None, "change_2y": None,
                         "progressor": None})
            continue
        first, last = intervals([seq[0], seq[-1]], threshold, min_years)[0], seq[-1]
        rows.append({"patient": patient, "visits": len(seq), "first_visit": first.baseline_date,
                     "last_visit": last.visit_date.isoformat(), "years": first.years, "change": first.change,
                     "change_2y": first.change_2y, "progressor": first.progressor,
                     "new_syndesmophytes": first.new_syndesmophytes, "new_bridges": first.new_bridges})
    return rows


def analyse(manifest: PathLike, threshold: float = PROGRESSION_THRESHOLD,
            min_years: float = MIN_INTERVAL_YEARS) -> dict:
    """The `axspa progression` result: intervals, per-patient summaries and cohort figures."""
    visits = read_manifest(manifest)
    warnings: list[str] = []
    rows = intervals(visits, threshold, min_years, warnings)
    patients = patient_summary(visits, threshold, min_years)
    scored = [p for p in patients if p["progressor"] is not None]
    return {"schema": "axspa.progression/1", "manifest": str(manifest), "threshold": threshold,
            "n_patients": len(patients), "n_visits": len(visits),
            "n_progressors": sum(1 for p in scored if p["progressor"]),
            "n_with_change": len(scored),
            "min_interval_years": min_years, "warnings": warnings,
            "intervals": [r.to_dict() for r in rows], "patients": patients}
