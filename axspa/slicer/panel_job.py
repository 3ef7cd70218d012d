"""The panels' model job runner: progress bar, status line, Cancel button, and a calm message when no model can
run (a bundle not installed, a package the user declined to install).

A model job ends with a result, cancelled, or unavailable: ``run_model_job`` turns these into a ``JobOutcome``;
``PanelJob`` is what both Slicer modules do around it. Slicer itself is passed in, so nothing here imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from axspa.bundles import ModelMissingError
from axspa.jobs import CancelFlag, CancelledError, DependencyError, progress_percent

# ---------------------------------------------------------------------------------------- job outcome

@dataclass
class JobOutcome:
    """How a model-backed job ended: its result, or cancelled, or why no model could run."""

    result: Any = None
    cancelled: bool = False
    unavailable: Optional[str] = None


def run_model_job(job: Callable[[], Any]) -> JobOutcome:
    """Run ``job``; Cancel and a missing model or declined package install are outcomes the panel
    shows calmly, not errors (any other exception propagates to Slicer's error display)."""
    try:
        return JobOutcome(result=job())
    except CancelledError:
        return JobOutcome(cancelled=True)
    except (ModelMissingError, DependencyError) as exc:
        return JobOutcome(unavailable=str(exc))


class PanelJob:
    """A module panel's model job: progress bar and status line live while it runs, the Cancel button
    honoured, and a cancelled job or a model that cannot run reported calmly.

    ``slicer`` is the Slicer module (for ``util.tryWithErrorDisplay``, ``util.warningDisplay``,
    ``util.WaitCursor`` and ``app.processEvents``); ``ui`` holds ``progressBar`` and ``statusLabel``;
    ``busy(running)`` is called when a job starts and ends (to enable or disable the panel's buttons); ``title``
    is the module's name for the warning window and ``hint`` what the user can still do without a model; ``tr``
    translates the texts shown.

    The wait cursor is shown only while the job computes: a job that asks the user something (install a package,
    run a bundle's own code, keep edited segments) asks first and computes inside ``with job.computing():``; a
    job that asks nothing may run whole under it (``run(job, waitCursor=True)``). A question asked under the wait
    cursor shows the hourglass in Slicer.
    """

    def __init__(self, slicer: Any, ui: Any, busy: Callable[[bool], None], title: str, hint: str,
                 tr: Callable[[str], str] = lambda text: text) -> None:
        self.slicer, self.ui, self.busy, self.title, self.hint, self.tr = slicer, ui, busy, title, hint, tr
        self.cancel = CancelFlag()
        self.running = False

    def progress(self, fraction: float, message: str) -> None:
        """The engine's progress callback."""
        self.ui.progressBar.value = progress_percent(fraction)
        self.ui.statusLabel.text = message
        self.slicer.app.processEvents()  # lets the Cancel button be pressed while the model runs

    def request_cancel(self) -> None:
        """What the panel's Cancel button does."""
        self.cancel.cancel()
        self.ui.statusLabel.text = self.tr("Cancelling...")

    def computing(self) -> Any:
        """A context manager: the wait cursor while its block runs (Slicer's ``util.WaitCursor``). Only
        computation goes in it, after any question to the user."""
        return self.slicer.util.WaitCursor()

    def run(self, job: Callable[[], Any], waitCursor: bool = False) -> Any:
        """Run ``job()``; its result, or None when it was cancelled, no model could run, or it failed.
        ``waitCursor``: the whole job under the wait cursor (only for a job that asks the user nothing; others
        use ``computing()`` inside).

        A failure (a predictor raising on an odd image, any error) is displayed by Slicer's
        ``tryWithErrorDisplay``, which re-raises it; here it ends: the status line says the job failed and
        why, the progress bar is reset, the buttons come back. Never a dead panel."""
        def work() -> Any:
            if not waitCursor:
                return job()
            with self.computing():
                return job()

        outcome = JobOutcome()  # stays empty if the job fails
        self.cancel.reset()
        self._set_running(True)
        self.ui.progressBar.value = 0
        try:
            # No wait cursor here: the job may ask the user first (see the class docstring).
            with self.slicer.util.tryWithErrorDisplay(self.tr("Failed to compute results.")):
                outcome = run_model_job(work)
        except Exception as exc:  # noqa: BLE001 (shown by tryWithErrorDisplay; the panel lives on)
            self.ui.progressBar.value = 0
            self.ui.statusLabel.text = self.tr("Failed:") + " " + (" ".join(str(exc).split()) or type(exc).__name__)
            return None
        finally:
            self._set_running(False)
        if outcome.cancelled:
            self.ui.statusLabel.text = self.tr("Cancelled.")
        elif outcome.unavailable:
            self.ui.statusLabel.text = self.tr("No model run.")
            self.slicer.util.warningDisplay(
                self.tr("The model cannot run:") + f"\n\n{outcome.unavailable}\n\n" + self.hint,
                windowTitle=self.title)
        return outcome.result

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.busy(running)
