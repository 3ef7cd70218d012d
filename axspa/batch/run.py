"""A cohort batch: plan, decide per case (done, to score, blocked), score through an executor, write each
case as it finishes, and the tables at the end (also when interrupted or cancelled)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional

from axspa.batch import store
from axspa.batch.plan import Case, Plan, hash_inputs, read_manifest
from axspa.batch.scan import scan_folder
from axspa.batch.work import CaseResult, Options
from axspa.bundles import ModelMissingError
from axspa.image import InputError
from axspa.jobs import Cancel, Progress, report
from axspa.results import PathLike, sha256_file


@dataclass
class CaseEvent:
    """What the progress display hears after each case: ``status`` is scored, unchanged or failed."""

    case_id: str
    status: str
    reason: str
    done: int
    total: int
    failed: int


@dataclass
class BatchOutcome:
    plan: Plan
    out: Path
    scored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        """1 when a case (or a manifest row, or a damaged file) failed, else 0."""
        return 1 if self.failures or self.plan.failed_lines() else 0

    def text(self) -> str:
        not_run = len(self.plan.lines)
        failed = len(self.failures) + len(self.plan.failed_lines())
        return (f"batch: {len(self.scored)} scored, {len(self.unchanged)} unchanged (already scored), "
                f"{failed} failed, {not_run} plan line(s) not run, in {self.seconds:.1f} s; "
                f"tables in {self.out} (summary.csv, cohort.csv, plan.csv"
                + (", failures.csv)" if failed else ")"))


def plan_batch(source: PathLike, out: Optional[PathLike] = None, jobs: Optional[set[str]] = None) -> Plan:
    """The plan of a manifest (a CSV file) or a folder (scanned); inputs hashed (cached in ``out``)."""
    source = Path(source)
    if source.is_dir():
        plan = scan_folder(source, skip=Path(out) if out is not None else None)
    elif source.is_file():
        plan = read_manifest(source)
    else:
        raise InputError(f"{source}: no such manifest or folder")
    plan.select_jobs(jobs)
    out = Path(out) if out is not None else None
    hashes = InputHashes(out if out is not None and out.is_dir() else None)  # --plan creates no folder
    hash_inputs(plan, hashes)
    hashes.save()
    return plan


class InputHashes:
    """sha256 of input files, remembered by (path, size, modification time) in ``DIR/.batch/hashes.json``: a
    rerun over 18,000 films does not read them all again."""

    def __init__(self, out: Optional[Path]) -> None:
        self.path = store.work_dir(out) / "hashes.json" if out is not None else None
        self.known: dict[str, list] = {}
        if self.path is not None and self.path.is_file():
            try:
                self.known = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.known = {}

    def __call__(self, path: Path) -> str:
        stat = path.stat()
        key = os.path.abspath(path)
        entry = self.known.get(key)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
        digest = sha256_file(path)
        self.known[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def save(self) -> None:
        if self.path is None:
            return
        from axspa.results import write_text_safely

        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_safely(self.path, json.dumps(self.known), overwrite=True)


def run_batch(plan: Plan, out: PathLike, options: Optional[Options] = None, executor: Any = None,
              overwrite: bool = False, progress: Progress = None, cancel: Cancel = None,
              on_case: Optional[Callable[[CaseEvent], None]] = None) -> BatchOutcome:
    """Score the plan's cases into ``out``; the executor defaults to this process. Cases done with the same
    input, options and models are skipped; the tables are written even when interrupted or cancelled."""
    from axspa.batch.executors import InlineExecutor

    out = Path(out)
    options = options or Options()
    executor = executor or InlineExecutor()
    outcome = BatchOutcome(plan, out)
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    store.clean_work_dir(out)
    traces: dict[str, str] = {}
    total = len(plan.cases)

    def finished(case_id: str, status: str, reason: str = "") -> None:
        done = len(outcome.scored) + len(outcome.unchanged) + len(outcome.failures)
        report(progress, done / max(total, 1), f"{done}/{total} cases: {case_id} {status}", cancel)
        if on_case is not None:
            on_case(CaseEvent(case_id, status, reason, done, total, len(outcome.failures)))

    try:
        to_run, keys, models = _decide(plan, out, options, overwrite, outcome, finished)
        options = replace(options, models=models)
        by_id = {c.case_id: c for c in to_run}
        for result in executor.run(to_run, options, cancel):
            _store(out, by_id[result.case_id], keys[result.case_id], result, outcome, traces)
            status = "failed" if result.case_id in outcome.failures else "scored"
            finished(result.case_id, status, outcome.failures.get(result.case_id, ""))
    finally:
        executor.close()
        store.write_tables(out, plan, outcome.failures, traces)
        outcome.seconds = time.perf_counter() - start
    return outcome


def _decide(plan: Plan, out: Path, options: Options, overwrite: bool, outcome: BatchOutcome,
            finished: Callable[..., None]) -> tuple[list[Case], dict[str, dict], dict[str, str]]:
    """The cases to score, their keys and the model versions per job; the done ones counted unchanged, the
    blocked ones failed."""
    models: dict[str, str] = {}
    missing: dict[str, str] = {}
    for job in sorted({c.job for c in plan.cases}):
        try:
            models[job] = store.model_versions(job, options)
        except ModelMissingError as exc:
            missing[job] = str(exc)
    to_run, keys = [], {}
    for case in plan.cases:
        if case.job in missing:
            outcome.failures[case.case_id] = missing[case.job]
            finished(case.case_id, "failed", missing[case.job])
            continue
        key = store.case_key(case, options, models[case.job])
        if store.is_done(out, case.case_id, key):
            outcome.unchanged.append(case.case_id)
            finished(case.case_id, "unchanged")
            continue
        edited = [] if overwrite else store.edited_files(out, case.case_id)
        if edited:
            why = (f"{store.case_dir(out, case.case_id)}: {', '.join(edited[:3])}"
                   f"{' and more' if len(edited) > 3 else ''} edited or added since the batch wrote this case; "
                   "kept, not re-scored (--overwrite replaces them)")
            outcome.failures[case.case_id] = why
            finished(case.case_id, "failed", why)
            continue
        to_run.append(case)
        keys[case.case_id] = key
    return to_run, keys, models


def _store(out: Path, case: Case, key: dict, result: CaseResult, outcome: BatchOutcome,
           traces: dict[str, str]) -> None:
    if result.error:
        outcome.failures[case.case_id] = result.error
        if result.trace:
            traces[case.case_id] = result.trace
        return
    try:
        store.write_case(out, case, key, result)
    except OSError as exc:
        from axspa.jobs import os_error_text

        outcome.failures[case.case_id] = f"writing its outputs: {os_error_text(exc)}"
        return
    outcome.scored.append(case.case_id)


# ------------------------------------------------------------------------------------ Slicer's console

def process_cohort(source: PathLike, out: PathLike, jobs: Optional[set[str]] = None,
                   options: Optional[Options] = None, overwrite: bool = False, progress: Progress = None,
                   cancel: Cancel = None) -> BatchOutcome:
    """Plan and score a cohort in this process, one case after another (what the modules' ``processCohort``
    runs inside Slicer: no worker processes, no Dask, no tqdm; Cancel is honoured between cases)."""
    from axspa.batch.executors import InlineExecutor

    plan = plan_batch(source, out, jobs)
    return run_batch(plan, out, options, InlineExecutor(), overwrite, progress, cancel)


CASE_FILE_KINDS = {".spine.json": "document", ".sij.json": "document", "hip.json": "document",
                   ".mrk.json": "markups", ".sites.csv": "table", ".seg.nrrd": "segmentation",
                   ".heatmap.nrrd": "heatmap", ".slices.csv": "slices"}


def case_outputs(out: PathLike, case_id: str) -> dict:
    """What a finished case left, to load it (``loadCase``): ``{"case": the case as planned (path, job,
    series_uid...), "summary": its summary, "files": {kind: path}}`` with kinds document, markups, table,
    segmentation, heatmap, slices. InputError naming the folder when the case was not scored there."""
    out = Path(out)
    record = store.read_record(out, case_id)
    if record is None:
        known = sorted(p.name for p in (out / "cases").glob("*") if (p / store.RECORD).is_file())
        hint = f"; scored cases there: {', '.join(known[:10])}{' ...' if len(known) > 10 else ''}" if known else ""
        raise InputError(f"{store.case_dir(out, case_id)}: no scored case {case_id!r}{hint}")
    folder = store.case_dir(out, case_id)
    files = {}
    for name in sorted(record.get("outputs", {})):
        for ending, kind in CASE_FILE_KINDS.items():
            if name.endswith(ending) and (folder / name).is_file():
                files[kind] = str(folder / name)
    return {"case": record["case"], "summary": record.get("summary", {}), "files": files}
