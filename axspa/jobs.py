"""Running jobs, for the command line and the module panels alike: progress, cancel and the command line's
batches (the panels' job runner is axspa.slicer.panel_job).

- ``report(progress, fraction, message, cancel)`` is how every pipeline tells its caller how far it is,
  and stops with CancelledError when the user asked to cancel; ``CancelFlag`` is the Cancel button's flag;
- ``run_batch`` goes on past a bad case of a command-line batch, records why in ``DIR/failures.csv``
  and exits 1 so scripts notice.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Callable, Iterable, Optional

from axspa.bundles import ModelMissingError, command_line_text

Progress = Optional[Callable[[float, str], None]]
Cancel = Optional[Callable[[], bool]]


class CancelledError(RuntimeError):
    """The user pressed Cancel."""


class DependencyError(RuntimeError):
    """A package the user asked for cannot be used: not installed, declined, or its installer is missing."""


def report(progress: Progress, fraction: float, message: str, cancel: Cancel = None) -> None:
    """Tell the caller how far we are, and stop if the user asked to cancel."""
    if cancel is not None and cancel():
        raise CancelledError(message)
    if progress is not None:
        progress(fraction, message)


# ------------------------------------------------------------------------------------ cancel and progress

class CancelFlag:
    """Set by the panel's Cancel button, read by the engine's ``cancel`` callback."""

    def __init__(self) -> None:
        self._set = False

    def cancel(self) -> None:
        self._set = True

    def reset(self) -> None:
        self._set = False

    @property
    def is_set(self) -> bool:
        return self._set

    def __call__(self) -> bool:
        return self._set


def progress_percent(fraction: float) -> int:
    """A progress bar value 0-100 from the engine's fraction (clamped; NaN counts as 0)."""
    if fraction != fraction:  # NaN
        return 0
    return int(round(100 * min(1.0, max(0.0, float(fraction)))))


def scaled_progress(progress: Optional[Callable[[float, str], None]], start: float,
                    stop: float) -> Callable[[float, str], None]:
    """Map a step's 0-1 progress into [start, stop] of the whole job (two images, one bar)."""
    def relay(fraction: float, message: str) -> None:
        if progress is not None:
            progress(start + (stop - start) * min(1.0, max(0.0, fraction)), message)
    return relay


# ------------------------------------------------------------------------------- command-line batches

def run_batch(items: Iterable[str], out_dir: Path, work: Callable[[str], str], what: str) -> int:
    """Run ``work(item) -> one-line summary`` on each item; a failing case never stops the batch.

    Any exception of one case (a bad file, an OS error writing its outputs, a model that raises on it)
    fails that case only: its one-line reason goes to ``out_dir/failures.csv``, and the traceback of an
    unexpected error to ``out_dir/failures.log``. Only Ctrl-C, a missing model or a missing package
    (the same for every case) stop the batch. Returns the exit status: 1 when some case failed."""
    try:
        from tqdm import tqdm
    except ImportError:  # 3D Slicer's Python has no tqdm: no bar
        from axspa.progress import tqdm

    items = list(items)
    out_dir.mkdir(parents=True, exist_ok=True)
    failures: list[tuple[str, str]] = []
    tracebacks: list[str] = []
    bar = tqdm(items, desc=what, unit="case", disable=len(items) < 2 or not sys.stderr.isatty())
    for item in bar:
        try:
            summary = work(item)
        except (ModelMissingError, DependencyError):
            raise
        except Exception as exc:  # noqa: BLE001 (one case's failure, whatever it is, is that case's)
            reason, trace = failure_reason(exc)
            reason += " (traceback in failures.log)" if trace else ""
            failures.append((item, reason))
            if trace:
                tracebacks.append(f"{item}\n{trace}")
            tqdm.write(f"FAILED {item}: {reason}", file=sys.stderr)
            continue
        tqdm.write(summary)
    _write_failures(out_dir / "failures.csv", failures)
    _write_log(out_dir / "failures.log", tracebacks)
    if failures:
        print(f"{len(failures)} of {len(items)} failed; reasons in {out_dir / 'failures.csv'}", file=sys.stderr)
    return 1 if failures else 0


def os_error_text(exc: OSError) -> str:
    """One line naming the path and the reason of an OS error: ``out/a.json: Is a directory``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is not None:
        where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 is not None else "")
        return f"{where}: {reason}"
    return reason


def failure_reason(exc: BaseException) -> tuple[str, str]:
    """A failed case's one-line reason, and the traceback when the error was not one we expected
    (empty for a bad input or an OS error, whose message says it all). Where the traceback goes is for the
    caller to say (a batch's failures.log, the command line's log file)."""
    import traceback

    from axspa.image import InputError
    from axspa.results import InvalidDocumentError

    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError) or (
            isinstance(exc, FileNotFoundError) and exc.filename is not None):
        return os_error_text(exc), ""
    if isinstance(exc, (ModelMissingError, DependencyError)):
        return command_line_text(exc), ""  # a batch case whose model cannot be loaded: no bug, no traceback
    if isinstance(exc, (InputError, InvalidDocumentError, FileNotFoundError, ValueError)):
        return " ".join(str(exc).split()) or type(exc).__name__, ""
    text = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _write_failures(path: Path, failures: list[tuple[str, str]]) -> None:
    from axspa.results import write_text_safely

    if not failures:
        if path.exists():
            path.unlink()  # a clean re-run leaves no stale failure list behind
        return
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["input", "reason"])
    writer.writerows(failures)
    write_text_safely(path, text.getvalue(), overwrite=True)  # the batch's own record: always this run's


def _write_log(path: Path, tracebacks: list[str]) -> None:
    from axspa.results import write_text_safely

    if not tracebacks:
        if path.exists():
            path.unlink()
        return
    write_text_safely(path, "\n".join(tracebacks), overwrite=True)


def report_kept(path: Path) -> str:
    """What a writer says about an output it kept because it differs from the new result."""
    from axspa.results import kept_message

    return kept_message(path)
