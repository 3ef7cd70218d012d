"""What a batch will do: the cases (from a manifest or a folder scan) and every row or file that will not
run, each with its reason. ``plan.csv`` in the output folder and ``axspa batch --plan`` show it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Optional

from axspa.results import PathLike

JOBS = ("spine", "sij", "hip")
REGIONS = ("auto", "cervical", "lumbar")
MANIFEST_COLUMNS = ("case_id", "patient_id", "visit_date", "job", "path")

# What a line of the plan that does not run says about itself; "failed" lines also go to failures.csv
# (something the user asked for, or a file that looks like an image, could not be read).
NOT_RUN = {"failed": "failed", "unassigned": "not assigned a job", "duplicate": "duplicate",
           "ignored": "ignored", "excluded": "job not selected"}


@dataclass
class Case:
    """One input to score: a radiograph file (spine, sij) or a series (hip: a volume file, or a DICOM folder
    with ``series_uid``); ``files`` are what its input hash covers."""

    case_id: str
    job: str
    path: str
    patient_id: str = ""
    visit_date: str = ""
    region: str = "auto"
    series_uid: str = ""
    reason: str = ""
    files: list[str] = field(default_factory=list)
    input_sha256: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PlanLine:
    """A row or file that will not run: ``status`` is a key of NOT_RUN."""

    path: str
    status: str
    reason: str
    case_id: str = ""
    job: str = ""


@dataclass
class Plan:
    source: str
    cases: list[Case] = field(default_factory=list)
    lines: list[PlanLine] = field(default_factory=list)

    def failed_lines(self) -> list[PlanLine]:
        return [line for line in self.lines if line.status == "failed"]

    def select_jobs(self, jobs: Optional[set[str]]) -> None:
        """Keep only the cases of ``jobs`` (a module scores its own); the others are listed as excluded."""
        if not jobs:
            return
        for case in [c for c in self.cases if c.job not in jobs]:
            self.cases.remove(case)
            self.lines.append(PlanLine(case.path, "excluded", f"job {case.job} not selected "
                                       f"(selected: {', '.join(sorted(jobs))})", case.case_id, case.job))


# ------------------------------------------------------------------------------------------- manifest

def read_manifest(path: PathLike) -> Plan:
    """The cases of a manifest (``case_id, patient_id, visit_date, job, path[, region][, series_uid]``; paths
    relative to the manifest's folder). A missing column stops with InputError naming the file; a bad row
    (duplicate case_id, unknown job or region, bad date, empty or missing path) is a failed plan line."""
    path = Path(path)
    rows = _manifest_rows(path)
    plan = Plan(source=str(path))
    first_line: dict[str, int] = {}
    for line, row in rows:
        where = f"{path}, line {line}"
        problem = _row_problem(row, first_line)
        target = _resolve(path, row.get("path", ""))
        if problem is None and not target.exists():
            problem = f"{target}: file or folder not found"
        if problem is not None:
            plan.lines.append(PlanLine(str(target) if row.get("path") else where, "failed", f"{where}: {problem}",
                                       row.get("case_id", ""), row.get("job", "")))
            continue
        first_line[row["case_id"]] = line
        plan.cases.append(Case(case_id=row["case_id"], job=row["job"], path=str(target),
                               patient_id=row["patient_id"], visit_date=row["visit_date"],
                               region=row.get("region") or "auto", series_uid=row.get("series_uid", ""),
                               reason=f"manifest line {line}"))
    return plan


def _manifest_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    from axspa.io.table import read_table

    return read_table(path, "manifest", MANIFEST_COLUMNS,
                      f"a manifest has columns {', '.join(MANIFEST_COLUMNS)} (and optionally region, series_uid)")


def _row_problem(row: dict[str, str], first_line: dict[str, int]) -> Optional[str]:
    case_id = row.get("case_id", "")
    if not case_id:
        return "empty case_id"
    if not SAFE_ID.fullmatch(case_id):
        return f"case_id {case_id!r} may hold only letters, digits, '.', '_' and '-' (it names a folder)"
    if case_id.lower() in {c.lower() for c in first_line}:
        first = next(n for c, n in first_line.items() if c.lower() == case_id.lower())
        return f"duplicate case_id {case_id!r} (first on line {first}); not run"
    if row.get("job") not in JOBS:
        return f"job {row.get('job')!r} is not one of {', '.join(JOBS)}"
    if (row.get("region") or "auto") not in REGIONS:
        return f"region {row.get('region')!r} is not one of {', '.join(REGIONS)}"
    if row.get("visit_date"):
        try:
            date.fromisoformat(row["visit_date"])
        except ValueError:
            return f"visit_date {row['visit_date']!r} is not a date YYYY-MM-DD"
    if not row.get("path"):
        return "empty path"
    return None


def _resolve(manifest: Path, text: str) -> Path:
    target = Path(text).expanduser()
    return target if target.is_absolute() else manifest.parent / target


SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def safe_id(text: str) -> str:
    """A case id from a path or a DICOM tag: letters, digits, '.', '_' and '-' (it names a folder)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    return (cleaned or "case")[:120]


# ------------------------------------------------------------------------------- input hashes, duplicates

def case_files(case: Case) -> list[Path]:
    """The files a case's input hash covers: its series' files, its file, or every file under its folder."""
    if case.files:
        return [Path(f) for f in case.files]
    path = Path(case.path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


def hash_inputs(plan: Plan, file_hash: Callable[[Path], str]) -> None:
    """Set each case's input hash; a case whose input cannot be read becomes a failed line, and a case with
    the same content as an earlier one (by case order) a duplicate line: the same image is scored once."""
    seen: dict[str, Case] = {}
    kept = []
    for case in plan.cases:
        try:
            files = case_files(case)
            digest = hashlib.sha256()
            for f in files:
                digest.update(file_hash(f).encode("ascii"))
            case.input_sha256 = digest.hexdigest()
        except OSError as exc:
            from axspa.jobs import os_error_text

            plan.lines.append(PlanLine(case.path, "failed", os_error_text(exc), case.case_id, case.job))
            continue
        first = seen.get(case.job + case.input_sha256)
        if first is not None:
            plan.lines.append(PlanLine(case.path, "duplicate", f"same content as case {first.case_id} "
                                       f"({first.path}); scored once", case.case_id, case.job))
            continue
        seen[case.job + case.input_sha256] = case
        kept.append(case)
    plan.cases = kept


# ------------------------------------------------------------------------------------------- plan table

PLAN_COLUMNS = ("case_id", "job", "status", "path", "patient_id", "visit_date", "region", "reason")


def plan_rows(plan: Plan) -> list[dict[str, str]]:
    rows = [{"case_id": c.case_id, "job": c.job, "status": "to score", "path": c.path, "patient_id": c.patient_id,
             "visit_date": c.visit_date, "region": c.region if c.job == "spine" else "", "reason": c.reason}
            for c in plan.cases]
    rows += [{"case_id": line.case_id, "job": line.job, "status": NOT_RUN[line.status], "path": line.path,
              "patient_id": "", "visit_date": "", "region": "", "reason": line.reason} for line in plan.lines]
    return rows


def plan_text(plan: Plan) -> str:
    """The plan as an aligned table for the terminal, then one line of counts."""
    rows = plan_rows(plan)
    shown = ("case_id", "job", "status", "region", "path", "reason")
    widths = {c: min(40, max([len(c)] + [len(r[c]) for r in rows])) for c in shown[:-1]}
    lines = ["  ".join(c.ljust(widths[c]) for c in shown[:-1]) + "  reason"]
    for r in rows:
        lines.append("  ".join(_fit(r[c], widths[c]) for c in shown[:-1]) + "  " + r["reason"])
    counts: dict[str, int] = {}
    for line in plan.lines:
        counts[NOT_RUN[line.status]] = counts.get(NOT_RUN[line.status], 0) + 1
    rest = "".join(f", {n} {what}" for what, n in sorted(counts.items()))
    lines.append(f"{len(plan.cases)} case(s) to score{rest}")
    return "\n".join(lines)


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else "…" + text[-(width - 1):]
