"""The batch's output folder: one folder per case, swapped in whole with its record, and the cohort tables.

``DIR/cases/<case_id>/`` holds the family's files and ``case.json``: what made them (input hash, the
job's options, the model versions) and their sha256. A rerun skips a case whose record matches and whose
files are all there, re-scores one whose input, options or model changed, and never replaces a file a user
edited (or added) in a case folder unless told to. A case folder is built in ``DIR/.batch/staging`` and
moved into place in one rename, so a batch killed at any moment leaves each case either as it was or
complete: starting it again gives the same outputs as a run never interrupted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Optional

from axspa.batch.plan import PLAN_COLUMNS, Case, Plan, plan_rows
from axspa.batch.work import CaseResult, Options
from axspa.results import sha256_file, write_text_safely

RECORD = "case.json"
RECORD_SCHEMA = "axspa.batch-case/1"
JOB_BUNDLES = {"spine": ("spine-landmarks", "spine-corners"), "sij": ("sij-grader",), "hip": ("hip-segmenter",)}
SUMMARY_START = ["case_id", "patient_id", "visit_date", "job", "status", "path", "region", "result"]
SUMMARY_END = ["warnings", "models", "seconds", "error"]
COHORT_COLUMNS = ["patient", "visit_date", "result", "job", "case_id", "region"]


def case_dir(out: Path, case_id: str) -> Path:
    return out / "cases" / case_id


def work_dir(out: Path) -> Path:
    return out / ".batch"


def clean_work_dir(out: Path) -> None:
    """Leftovers of a killed batch (half-built case folders) are removed; finished cases are untouched."""
    for name in ("staging", "old"):
        shutil.rmtree(work_dir(out) / name, ignore_errors=True)


# ------------------------------------------------------------------------------------------ model versions

def model_versions(job: str, options: Options) -> str:
    """The bundles a job uses, as ``name@version#<sha256 of bundle.json>`` (bundle.json lists the sha256 of
    every file, so new weights under an old version number count as a change); ModelMissingError when
    one is not installed. Reads no weights and imports no torch."""
    from axspa.bundles import find_bundle

    model_dir = Path(options.model_dir) if options.model_dir else None
    ids = []
    for name in JOB_BUNDLES[job]:
        folder = find_bundle(name, model_dir)
        info_path = folder / "bundle.json"
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        ids.append(f"{info.get('name', name)}@{info.get('version', '?')}#{sha256_file(info_path)[:12]}")
    return " ".join(ids)


def case_key(case: Case, options: Options, models: str) -> dict:
    """Everything that decides a case's outputs; a rerun with the same key and complete outputs skips it."""
    return {"job": case.job, "input_sha256": case.input_sha256, "region": case.region if case.job == "spine" else "",
            "series_uid": case.series_uid, "options": options.for_job(case.job), "models": models}


# ---------------------------------------------------------------------------------------- case records

def read_record(out: Path, case_id: str) -> Optional[dict]:
    try:
        record = json.loads((case_dir(out, case_id) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("schema") == RECORD_SCHEMA else None


def is_done(out: Path, case_id: str, key: dict) -> Optional[dict]:
    """The record of a case already scored with ``key`` whose outputs are all there, else None."""
    record = read_record(out, case_id)
    if record is None or record.get("key") != key:
        return None
    folder = case_dir(out, case_id)
    return record if all((folder / name).is_file() for name in record.get("outputs", {})) else None


def edited_files(out: Path, case_id: str) -> list[str]:
    """Files of a case folder that the batch did not write as they are: edited, added, or a folder without
    a record (not the batch's). Replacing the folder would lose them."""
    folder = case_dir(out, case_id)
    if not folder.exists():
        return []
    record = read_record(out, case_id)
    written = (record or {}).get("outputs", {})
    changed = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name == RECORD and record is not None:
            continue
        if name not in written or sha256_file(path) != written[name]:
            changed.append(name)
    return changed


def write_case(out: Path, case: Case, key: dict, result: CaseResult) -> dict:
    """The case's folder built in staging with its record, then swapped in; returns the record."""
    record = {"schema": RECORD_SCHEMA, "case": {k: v for k, v in case.to_dict().items() if k != "files"},
              "key": key, "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in result.files.items()},
              "summary": result.summary, "seconds": round(result.seconds, 3)}
    staging = work_dir(out) / "staging" / case.case_id
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, data in result.files.items():
        (staging / name).write_bytes(data)
    (staging / RECORD).write_text(json.dumps(record, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    target = case_dir(out, case.case_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        old = work_dir(out) / "old" / case.case_id
        shutil.rmtree(old, ignore_errors=True)
        old.parent.mkdir(parents=True, exist_ok=True)
        _move(target, old)
        _move(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        _move(staging, target)
    return record


def _move(source: Path, target: Path) -> None:
    os.replace(source, target)  # one rename: a folder is either there whole or not


# ------------------------------------------------------------------------------------------------- tables

def summary_rows(plan: Plan, out: Path, failures: dict[str, str]) -> list[dict[str, Any]]:
    """One row per case of the plan: its scores from its record, or failed with the reason."""
    rows = []
    for case in plan.cases:
        row: dict[str, Any] = {"case_id": case.case_id, "patient_id": case.patient_id, "visit_date": case.visit_date,
                               "job": case.job, "path": case.path, "region": case.region if case.job == "spine" else ""}
        record = None if case.case_id in failures else read_record(out, case.case_id)
        if record is None:
            row.update(status="failed", error=failures.get(case.case_id, "not scored (batch interrupted)"))
        else:
            summary = dict(record.get("summary", {}))
            summary["warnings"] = " | ".join(summary.get("warnings") or [])
            row.update(summary, status="scored", seconds=record.get("seconds"),
                       result=f"cases/{case.case_id}/{summary.get('result', '')}")
            if case.job == "spine":
                row["region"] = summary.get("region", row["region"])
        rows.append(row)
    return rows


def write_tables(out: Path, plan: Plan, failures: dict[str, str], traces: dict[str, str]) -> None:
    """summary.csv, cohort.csv, plan.csv and failures.csv (+ failures.log with tracebacks), each atomic."""
    rows = summary_rows(plan, out, failures)
    middle = sorted({k for r in rows for k in r} - set(SUMMARY_START) - set(SUMMARY_END))
    _write_csv(out / "summary.csv", SUMMARY_START + middle + SUMMARY_END, rows)
    cohort = [{"patient": r["patient_id"], "visit_date": r["visit_date"], "result": r["result"], "job": r["job"],
               "case_id": r["case_id"], "region": r["region"]}
              for r in rows if r["status"] == "scored" and r["patient_id"] and r["visit_date"]]
    _write_csv(out / "cohort.csv", COHORT_COLUMNS, cohort)
    _write_csv(out / "plan.csv", list(PLAN_COLUMNS), plan_rows(plan))
    failed = [{"case_id": line.case_id, "job": line.job, "input": line.path, "reason": line.reason}
              for line in plan.failed_lines()]
    by_id = {c.case_id: c for c in plan.cases}
    failed += [{"case_id": cid, "job": by_id[cid].job, "input": by_id[cid].path, "reason": why}
               for cid, why in failures.items() if cid in by_id]
    _write_or_remove(out / "failures.csv", _csv_text(["case_id", "job", "input", "reason"], failed) if failed else "")
    log = "\n".join(f"{cid}\n{trace}" for cid, trace in traces.items() if cid in failures)
    _write_or_remove(out / "failures.log", log)


def _csv_text(columns: list[str], rows: Iterable[dict]) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return text.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    write_text_safely(path, _csv_text(columns, rows), overwrite=True)  # the batch's own tables: always this run's


def _write_or_remove(path: Path, text: str) -> None:
    if text:
        write_text_safely(path, text, overwrite=True)
    elif path.exists():
        path.unlink()  # a clean rerun leaves no stale failure list behind
