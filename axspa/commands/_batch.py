"""What every batch subcommand shares: a progress bar, going on past a bad case, a record of why.

A case that fails (bad file, unreadable series) is written to ``DIR/failures.csv`` with the
reason, the batch goes on, and the command exits 1 so scripts notice.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Callable, Iterable

from tqdm import tqdm

from axspa.image import InputError
from axspa.results import InvalidDocumentError


def run_batch(items: Iterable[str], out_dir: Path, work: Callable[[str], str], what: str) -> int:
    """Run ``work(item) -> one-line summary`` on each item; failures recorded, never fatal."""
    items = list(items)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    bar = tqdm(items, desc=what, unit="case", disable=len(items) < 2 or not sys.stderr.isatty())
    for item in bar:
        try:
            summary = work(item)
        except (InputError, InvalidDocumentError, FileNotFoundError, ValueError) as exc:
            failures.append((item, str(exc)))
            tqdm.write(f"FAILED {item}: {exc}", file=sys.stderr)
            continue
        tqdm.write(summary)
    _write_failures(out_dir / "failures.csv", failures)
    if failures:
        print(f"{len(failures)} of {len(items)} failed; reasons in {out_dir / 'failures.csv'}", file=sys.stderr)
    return 1 if failures else 0


def _write_failures(path: Path, failures: list[tuple[str, str]]) -> None:
    if not failures:
        if path.exists():
            path.unlink()  # a clean re-run leaves no stale failure list behind
        return
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["input", "reason"])
        writer.writerows(failures)


def report_kept(path: Path) -> str:
    return f"kept {path}: it differs from the new result (edited?); pass --overwrite to replace it"
