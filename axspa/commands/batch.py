"""``axspa batch MANIFEST.csv|FOLDER --out DIR``: score a cohort, resumably, on one machine or a Dask cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from axspa.commands.options import PROBABILITY, integer, number

EPILOG = """\
A manifest has columns case_id, patient_id, visit_date (YYYY-MM-DD), job (spine, sij or hip) and path
(relative to the manifest's folder), and optionally region (spine: cervical, lumbar, auto) and series_uid
(hip: a series of a DICOM folder). A FOLDER is scanned: DICOM radiographs are assigned spine or sij from
BodyPartExamined, SeriesDescription, ProtocolName and ViewPosition, coronal STIR MR series and 3-D volume
files hip; what cannot be assigned is listed in DIR/plan.csv, never guessed.

DIR gets cases/<case_id>/ (the family's files and case.json), summary.csv (a row per case), cohort.csv
(input of `axspa progression DIR/cohort.csv`), plan.csv, and failures.csv when something failed (exit 1).
Run it again to resume: cases scored with the same input, options and models are skipped."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("batch", help="score a cohort from a manifest or a folder (resumable, parallel, Dask)",
                       description="Score every case of a manifest or a folder into DIR: resumable, failures "
                                   "isolated, on worker processes or a Dask cluster.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="MANIFEST.csv|FOLDER", help="a manifest (CSV) or a folder to scan")
    p.add_argument("--out", required=True, type=Path, help="output folder (also what a rerun resumes from)")
    p.add_argument("--plan", action="store_true", help="print the plan (cases, jobs, reasons) and run nothing")
    p.add_argument("--jobs", type=_jobs, help="only these jobs, comma-separated (spine,sij,hip; default all)")
    p.add_argument("--workers", type=integer(0, 256), default=1,
                   help="worker processes (default 1; 0 runs in this process, without the time limit's stop); "
                        "with --cluster the number of Dask workers or SLURM jobs")
    p.add_argument("--case-timeout", type=number(0.0), default=900.0, metavar="SECONDS",
                   help="a case running longer fails and the batch goes on (default 900; 0 for none)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="send the cases to this Dask scheduler (tcp://host:8786)")
    p.add_argument("--cluster", choices=["local", "slurm"], help="start a Dask cluster: here, or SLURM jobs")
    p.add_argument("--queue", help="SLURM partition (--cluster slurm)")
    p.add_argument("--account", help="SLURM account (--cluster slurm)")
    p.add_argument("--cores", type=integer(1, 1024), default=2, help="cores per SLURM job (default 2)")
    p.add_argument("--memory", default="8GB", help="memory per SLURM job (default 8GB)")
    p.add_argument("--walltime", default="02:00:00", help="wall time per SLURM job (default 02:00:00)")
    p.add_argument("--threshold", type=PROBABILITY, default=0.5, help="spine: finding probability (0.5)")
    p.add_argument("--half-width", type=integer(0, 1000), default=7, help="hip: scoring half width in slices (7)")
    p.add_argument("--min-area", type=number(0.0), default=5.0, help="hip: smallest lesion area in mm² (5)")
    p.add_argument("--model-dir", type=Path, help="folder with your own bundles instead of the installed ones")
    p.add_argument("--trust-bundle-code", action="store_true",
                   help="allow bundles to run their own code; only for bundles from people you trust")
    p.add_argument("--overwrite", action="store_true",
                   help="re-score cases whose files were edited by hand, replacing the edits")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-case lines: failures and the "
                                                        "closing line only (for logs)")
    p.set_defaults(func=run)


def _jobs(text: str) -> set[str]:
    from axspa.batch.plan import JOBS

    jobs = {j.strip() for j in text.split(",") if j.strip()}
    unknown = jobs - set(JOBS)
    if unknown or not jobs:
        raise argparse.ArgumentTypeError(f"{text!r}: jobs are {', '.join(JOBS)}")
    return jobs


def run(args: argparse.Namespace) -> int:
    from axspa.batch.plan import plan_text
    from axspa.batch.run import plan_batch, run_batch
    from axspa.batch.work import Options

    plan = plan_batch(args.source, args.out, args.jobs)
    if args.plan:
        print(plan_text(plan))
        return 0
    options = Options(threshold=args.threshold, half_width=args.half_width, min_area=args.min_area,
                      model_dir=str(args.model_dir) if args.model_dir else None, trust_code=args.trust_bundle_code)
    executor = _executor(args)
    display = _Display(len(plan.cases), args.quiet)
    try:
        outcome = run_batch(plan, args.out, options, executor, overwrite=args.overwrite, on_case=display)
    finally:
        display.close()
    for line in plan.failed_lines():
        print(f"FAILED {line.path}: {line.reason}", file=sys.stderr)
    print(outcome.text())
    return outcome.exit_status


def _executor(args: argparse.Namespace):
    from axspa.batch.executors import DaskExecutor, InlineExecutor, ProcessExecutor, start_cluster

    limit = args.case_timeout or None
    if args.scheduler and args.cluster:
        from axspa.image import InputError

        raise InputError("give --scheduler (an existing Dask cluster) or --cluster (start one), not both")
    if args.scheduler:
        return DaskExecutor(address=args.scheduler, limit=limit)
    if args.cluster:
        cluster = start_cluster(args.cluster, workers=max(1, args.workers), queue=args.queue, cores=args.cores,
                                memory=args.memory, walltime=args.walltime, account=args.account)
        return DaskExecutor(cluster=cluster, limit=limit)
    if args.workers == 0:
        return InlineExecutor(limit)
    return ProcessExecutor(args.workers, limit)


class _Display:
    """A progress bar (cases done, failed, rate, ETA) on a terminal; a line per case otherwise; with quiet,
    failures only."""

    def __init__(self, total: int, quiet: bool) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # 3D Slicer's Python has no tqdm: no bar
            from axspa.progress import tqdm

        self.quiet, self.failed = quiet, 0
        self.bar = tqdm(total=total, desc="batch", unit="case", disable=quiet or not sys.stderr.isatty())

    def __call__(self, event) -> None:
        self.bar.update(1)
        self.bar.set_postfix(failed=event.failed, refresh=False)
        if event.status == "failed":
            self.bar.write(f"FAILED {event.case_id}: {event.reason}", file=sys.stderr)
        elif not self.quiet and self.bar.disable:
            print(f"[{event.done}/{event.total}] {event.case_id}: {event.status}", flush=True)

    def close(self) -> None:
        self.bar.close()
